"""Versioning (one version string, in pyproject.toml) and `allkg diff OLD NEW`."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from conftest import PROJECT_ROOT

ALLKG = "https://w3id.org/allkg/vocab/"
ALL = "https://w3id.org/allkg/id/"
ONTOLOGY = URIRef("https://w3id.org/allkg/allkg.owl")


def pyproject_version() -> str:
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def test_version_comes_from_pyproject(built_graph):
    version = pyproject_version()
    assert built_graph.value(ONTOLOGY, OWL.versionInfo) == Literal(version)
    assert built_graph.value(ONTOLOGY, OWL.versionIRI) == URIRef(f"https://w3id.org/allkg/releases/{version}/allkg.owl")
    assert len(list(built_graph.objects(ONTOLOGY, OWL.versionInfo))) == 1


def test_cli_version_is_the_same_string(allkg):
    result = allkg("--version")
    assert result.stdout.strip() == f"allkg {pyproject_version()}"


def test_changelog_has_an_entry_for_the_version():
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{pyproject_version()}]" in changelog


def remove_fact(graph: Graph, subject: str, relation: str, obj: str) -> None:
    """Remove a fact as the build would not have written it: the triple and its provenance record."""
    s, p, o = URIRef(ALL + subject), URIRef(ALLKG + relation), URIRef(ALL + obj)
    records = [r for r in graph.subjects(RDF.subject, s) if (r, RDF.predicate, p) in graph and (r, RDF.object, o) in graph]
    assert len(records) == 1
    graph.remove((s, p, o))
    graph.remove((records[0], None, None))


@pytest.fixture(scope="module")
def changed_copy(built_graph_file, tmp_path_factory) -> Path:
    """The build with one fact removed (ALL has symptom fever) and one entity added (a drug)."""
    graph = Graph().parse(built_graph_file, format="turtle")
    remove_fact(graph, "ALL", "hasSymptom", "fever")
    drug = URIRef(ALL + "test_drug")
    graph.add((drug, RDF.type, URIRef(ALLKG + "Drug")))
    graph.add((drug, RDF.type, OWL.NamedIndividual))
    graph.add((drug, RDFS.label, Literal("test drug", lang="en")))
    path = tmp_path_factory.mktemp("diff") / "changed.ttl"
    graph.serialize(path, format="turtle")
    return path


def test_diff_reports_exactly_the_removed_fact_and_added_entity(allkg, built_graph_file, changed_copy):
    result = allkg("diff", str(built_graph_file), str(changed_copy), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(e["curie"], e["label"], e["kinds"]) for e in report["entities_added"]] == [("all:test_drug", "test drug", ["drug"])]
    removed = report["facts_removed"]
    assert [(f["subject"], f["relation"], f["object"]) for f in removed] == [("all:ALL", "allkg:hasSymptom", "all:fever")]
    assert (removed[0]["subject_label"], removed[0]["relation_label"], removed[0]["object_label"]) == (
        "acute lymphoblastic leukemia", "has symptom", "fever")
    # City of Hope, MedlinePlus and Moffitt list fever among the symptoms of ALL.
    assert {"cityofhope", "medlineplus", "moffitt"} <= set(removed[0]["sources"])
    for kind in ("entities_removed", "terms_added", "terms_removed", "facts_added", "sources_changed",
                 "labels_changed", "definitions_changed"):
        assert report[kind] == [], kind


def test_diff_text_is_readable(allkg, built_graph_file, changed_copy):
    result = allkg("diff", str(built_graph_file), str(changed_copy))
    assert result.returncode == 0
    assert "Entities added (1):" in result.stdout
    assert "+ test drug all:test_drug (drug)" in result.stdout
    assert "- acute lymphoblastic leukemia —has symptom→ fever [" in result.stdout
    markdown = allkg("diff", str(built_graph_file), str(changed_copy), "--format", "markdown").stdout
    assert "## Facts removed (1)" in markdown and "`all:test_drug`" in markdown


def test_diff_of_a_build_with_itself_is_empty(allkg, built_graph_file, built_dist):
    # Same graph in another syntax: no differences at all.
    result = allkg("diff", str(built_graph_file), str(built_dist / "allkg.nt"), "--format", "json", "--exit-code")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["triples_added"] == report["triples_removed"] == 0
    assert report["facts_added"] == report["facts_removed"] == report["entities_added"] == []


def test_diff_reports_version_label_and_definition_changes(built_graph_file, tmp_path):
    from graph_build.diff import diff_graphs

    old = Graph().parse(built_graph_file, format="turtle")
    new = Graph().parse(built_graph_file, format="turtle")
    new.set((ONTOLOGY, OWL.versionInfo, Literal("9.9.9")))
    fever = URIRef(ALL + "fever")
    new.set((fever, RDFS.label, Literal("pyrexia", lang="en")))
    new.set((fever, SKOS.definition, Literal("Raised body temperature.", lang="en")))
    result = diff_graphs(old, new)
    assert (result.old_version, result.new_version) == (pyproject_version(), "9.9.9")
    assert [(c.curie, c.old, c.new) for c in result.labels_changed] == [("all:fever", "fever", "pyrexia")]
    assert [c.curie for c in result.definitions_changed] == ["all:fever"]
    assert result.facts_added == result.facts_removed == []


def test_diff_exit_code_and_bad_input(allkg, built_graph_file, changed_copy, tmp_path):
    assert allkg("diff", str(built_graph_file), str(changed_copy), "--exit-code").returncode == 1
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    result = allkg("diff", str(built_graph_file), str(broken))
    assert result.returncode == 2
    assert result.stderr.startswith("allkg diff: error: ") and "broken.ttl:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_decimal_spellings_are_one_value_but_new_values_are_changes():
    from rdflib.namespace import XSD

    from graph_build.diff import diff_graphs

    def graph(value: str) -> Graph:
        g = Graph()
        g.add((URIRef(ALL + "stat"), URIRef(ALLKG + "value"), Literal(value, datatype=XSD.decimal)))
        return g

    # rdflib writes "4"^^xsd:decimal as 4.0: the same number, so no change.
    assert diff_graphs(graph("4"), graph("4.0")).is_empty
    assert diff_graphs(graph("1.50"), graph("1.5")).is_empty
    changed = diff_graphs(graph("4"), graph("4.5"))
    assert (changed.triples_added, changed.triples_removed) == (1, 1)
