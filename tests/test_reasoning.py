"""OWL reasoning (allkg reason, the build's reason step): consistency, inferences, explanations, Java.

Expected inferences are written out here from what the sources say (a drug's class, what the
class targets, what a test is for), never computed with the code under test.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

from graph_build.namespaces import ALL, ALLKG
from tests.conftest import run_allkg

INFERRED = "allkg-inferred.ttl"


@pytest.fixture(scope="session")
def inferred(built_dist) -> Graph:
    return Graph().parse(built_dist / INFERRED, format="turtle")


def reason_env(built_dist: Path, **extra: str) -> dict[str, str]:
    return {"ALLKG_DIST": str(built_dist), **extra}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(
        "@prefix allkg: <https://w3id.org/allkg/vocab/> .\n@prefix all: <https://w3id.org/allkg/id/> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix ex: <https://example.org/> .\n" + text,
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------------ the DL input (no Java)

def test_reasoning_input_is_owl_dl_without_provenance_or_annotations(built_graph):
    from graph_build.reason import dl_input

    inp = dl_input(built_graph)
    predicates = set(inp.graph.predicates())
    assert not predicates & {RDF.subject, RDF.predicate, RDF.object, OWL.imports, PROV.wasDerivedFrom,
                             SKOS.definition, SKOS.altLabel, RDFS.label, ALLKG.statedInSection}
    assert (None, RDF.type, RDF.Statement) not in inp.graph
    # Every entity is declared, as owlready2 only sees declared individuals.
    for entity in (ALL.fever, ALL.bortezomib, ALL.pcr_test, ALL.purpose_monitoring):
        assert (entity, RDF.type, OWL.NamedIndividual) in inp.graph
    assert (ALL.bortezomib, ALLKG.memberOfDrugClass, ALL.proteasome_inhibitor) in inp.graph
    # xsd:gYear / xsd:date are outside the OWL 2 datatype map (HermiT refuses them): left out, counted.
    assert (None, ALLKG.referenceYear, None) not in inp.graph
    assert any("gYear" in reason for reason in inp.dropped)


# ------------------------------------------------------------------ the built graph

@pytest.mark.java
def test_build_writes_inferred_graph_with_provenance_header(inferred):
    header = URIRef("https://w3id.org/allkg/allkg-inferred.owl")
    assert (header, RDF.type, OWL.Ontology) in inferred
    activity = inferred.value(header, PROV.wasGeneratedBy)
    assert activity is not None
    agent = inferred.value(activity, PROV.wasAssociatedWith)
    assert "HermiT" in str(inferred.value(agent, RDFS.label))


@pytest.mark.java
def test_meaningful_inferences_are_in_the_inferred_graph_and_not_asserted(inferred, built_graph):
    expected = {
        # bortezomib is a proteasome inhibitor, a class that targets the proteasome.
        (ALL.bortezomib, RDF.type, ALLKG.TargetedTherapyDrug),
        (ALL.bortezomib, ALLKG.targets, ALL.proteasome),
        # imatinib targets the Philadelphia chromosome.
        (ALL.imatinib, RDF.type, ALLKG.TargetedTherapyDrug),
        # venetoclax is a BCL-2 inhibitor.
        (ALL.venetoclax, RDF.type, ALLKG.TargetedTherapyDrug),
        # rituximab is a monoclonal antibody, used in monoclonal antibody therapy, an immunotherapy.
        (ALL.rituximab, RDF.type, ALLKG.ImmunotherapyDrug),
        (ALL.rituximab, ALLKG.usedInTherapy, ALL.monoclonal_antibody_therapy),
        # clofarabine is an anticancer drug used in chemotherapy.
        (ALL.clofarabine, RDF.type, ALLKG.ChemotherapyDrug),
        # PCR testing follows residual disease; lumbar puncture looks for spread to the CNS.
        (ALL.pcr_test, RDF.type, ALLKG.MonitoringTest),
        (ALL.lumbar_puncture, RDF.type, ALLKG.StagingTest),
        (ALL.bone_marrow_biopsy, RDF.type, ALLKG.DiagnosisTest),
        # CAR T-cell therapy is still under study; its high fever is a treatment side effect.
        (ALL.car_t_cell_therapy, RDF.type, ALLKG.InvestigationalTherapy),
        (ALL.very_high_fever, RDF.type, ALLKG.TreatmentSideEffect),
        # subtype of is transitive: B-cell ALL is a kind of ALL, a kind of leukemia, a kind of cancer.
        (ALL.B_ALL, ALLKG.subtypeOf, ALL.cancer),
        # defined classes are subclasses of the class they restrict.
        (ALLKG.TargetedTherapyDrug, RDFS.subClassOf, ALLKG.Drug),
        (ALLKG.StagingTest, RDFS.subClassOf, ALLKG.DiagnosticProcedure),
    }
    missing = expected - set(inferred)
    assert not missing, f"not inferred: {sorted(missing)}"
    investigational = set(inferred.subjects(RDF.type, ALLKG.InvestigationalDrug))
    assert {ALL.bortezomib, ALL.carfilzomib, ALL.ixazomib, ALL.venetoclax, ALL.entospletinib,
            ALL.sapanisertib, ALL.rituximab, ALL.ofatumumab, ALL.epratuzumab, ALL.clofarabine} <= investigational
    assert ALL.imatinib not in investigational  # in use, not under study
    # Nothing in the inferred graph is asserted in the built graph, and each triple has a record.
    records = {(inferred.value(r, RDF.subject), inferred.value(r, RDF.predicate), inferred.value(r, RDF.object))
               for r in inferred.subjects(RDF.type, RDF.Statement)}
    for triple in expected:
        assert triple not in built_graph
        assert triple in records


@pytest.mark.java
def test_inferred_graph_asserts_nothing_the_built_graph_already_has(inferred, built_graph):
    facts = [t for t in inferred if t[1] not in (RDF.subject, RDF.predicate, RDF.object, PROV.wasGeneratedBy)
             and not str(t[0]).startswith("https://w3id.org/allkg/inferred/")
             and not str(t[0]).startswith("https://w3id.org/allkg/allkg-inferred.owl")]
    assert len(facts) > 50
    assert [t for t in facts if t in built_graph] == []


@pytest.mark.java
def test_reason_command_is_consistent_and_reproduces_the_build_file(built_dist, tmp_path):
    out = tmp_path / "inferred.ttl"
    result = run_allkg("reason", "--output", str(out), env=reason_env(built_dist, TMPDIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "consistent, no unsatisfiable class" in result.stdout
    assert "targeted therapy drug" in result.stdout
    assert out.read_bytes() == (built_dist / INFERRED).read_bytes()  # deterministic
    # owlready2's temporary files went to a private folder that is gone; no quadstore anywhere.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inferred.ttl"]


# ------------------------------------------------------------------ explanations

@pytest.fixture(scope="module")
def contradictions(built_dist, tmp_path_factory):
    """One run over three injected contradictions (each is reported: the explanation lists every cause)."""
    folder = tmp_path_factory.mktemp("contradictions")
    disjoint = write(folder, "disjoint.ttl", "all:fever a allkg:Therapy .\n")
    bad_range = write(folder, "range.ttl", "all:ALL allkg:hasSymptom all:imatinib .\n")
    bad_domain = write(folder, "domain.ttl", "all:headache allkg:usedInTherapy all:chemotherapy .\n")
    return run_allkg("reason", str(disjoint), str(bad_range), str(bad_domain), env=reason_env(built_dist))


@pytest.mark.java
def test_contradictions_fail_with_exit_1_and_no_traceback(contradictions):
    assert contradictions.returncode == 1
    assert "the graph is inconsistent" in contradictions.stderr
    assert "Traceback" not in contradictions.stderr


@pytest.mark.java
def test_entity_typed_with_two_disjoint_classes_is_explained(contradictions):
    [line] = [l for l in contradictions.stderr.splitlines() if "'fever' (all:fever)" in l]
    assert "allkg:Therapy" in line and "allkg:Symptom" in line and "allkg:Phenotype" in line
    assert "declared disjoint (owl:AllDisjointClasses" in line


@pytest.mark.java
def test_range_violation_with_a_disjoint_class_is_explained(contradictions):
    [line] = [l for l in contradictions.stderr.splitlines() if "'imatinib' (all:imatinib)" in l]
    assert "allkg:hasSymptom has range allkg:Symptom" in line
    assert "allkg:Drug" in line and "disjoint" in line


@pytest.mark.java
def test_union_domain_violation_is_explained(contradictions):
    [line] = [l for l in contradictions.stderr.splitlines() if "has domain allkg:Drug or allkg:DrugClass" in l]
    assert "all:headache allkg:usedInTherapy all:chemotherapy" in line
    assert "'headache' (all:headache)" in line and "allkg:Symptom" in line


@pytest.mark.java
def test_unsatisfiable_class_is_listed_by_label(built_dist, tmp_path):
    ext = write(tmp_path, "ext.ttl", """
ex:DrugSymptom a owl:Class ; rdfs:label "drug that is a symptom" ;
    owl:equivalentClass [ a owl:Class ; owl:intersectionOf ( allkg:Drug allkg:Symptom ) ] .
""")
    result = run_allkg("reason", str(ext), env=reason_env(built_dist))
    assert result.returncode == 1
    assert "unsatisfiable" in result.stderr
    assert "'drug that is a symptom'" in result.stderr


@pytest.mark.java
def test_user_extension_is_reasoned_over_and_imports_are_never_fetched(built_dist, tmp_path):
    ext = write(tmp_path, "ext.ttl", """
<https://example.org/ext> a owl:Ontology ; owl:imports <https://example.invalid/never-fetched.owl> .
ex:blinatumomab a owl:NamedIndividual , allkg:Drug ; rdfs:label "blinatumomab" ;
    allkg:memberOfDrugClass all:monoclonal_antibody .
""")
    out = tmp_path / "out.ttl"
    result = run_allkg("reason", str(ext), "--output", str(out), env=reason_env(built_dist))
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(out, format="turtle")
    ex = URIRef("https://example.org/blinatumomab")
    assert (ex, RDF.type, ALLKG.ImmunotherapyDrug) in graph
    assert (ex, RDF.type, ALLKG.TargetedTherapyDrug) in graph


def test_syntax_error_in_user_file_names_line_and_column(built_dist, tmp_path):
    ext = write(tmp_path, "bad.ttl", "all:fever a allkg:Therapy\n")
    result = run_allkg("reason", str(ext), env=reason_env(built_dist))
    assert result.returncode in (2, 3)  # 3 when this machine has no Java: checked first
    if result.returncode == 2:
        assert "bad.ttl:" in result.stderr and "syntax error" in result.stderr


def test_missing_built_graph_says_to_build(tmp_path):
    result = run_allkg("reason", env={"ALLKG_DIST": str(tmp_path / "nowhere")})
    assert result.returncode in (2, 3)
    if result.returncode == 2:
        assert "run `allkg build` first" in result.stderr


# ------------------------------------------------------------------ Java missing or too old

def _path_without_java() -> str:
    """PATH with every folder that holds a `java` left out (python stays reachable)."""
    folders = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "java").exists()]
    return os.pathsep.join(folders + [str(Path(sys.executable).parent)])


def test_no_java_on_path_gives_one_clear_line(built_dist):
    env = reason_env(built_dist, PATH=_path_without_java(), JAVA_HOME="")
    result = run_allkg("reason", env=env)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "apt-get install default-jre-headless" in lines[0]
    assert "allkg build --no-reason" in lines[0]


def test_java_pointing_nowhere_fails_the_build_and_no_reason_builds(tmp_path):
    env = {"ALLKG_JAVA": str(tmp_path / "no-such-java")}
    failed = run_allkg("build", "--dist", str(tmp_path / "dist"), env=env)
    assert failed.returncode == 3
    assert "Java" in failed.stderr and "--no-reason" in failed.stderr and "Traceback" not in failed.stderr
    assert not (tmp_path / "dist" / "allkg.ttl").exists()
    built = run_allkg("build", "--no-reason", "--dist", str(tmp_path / "dist"), env=env)
    assert built.returncode == 0, built.stderr
    assert "reasoning skipped" in built.stdout
    assert (tmp_path / "dist" / "allkg.ttl").exists() and not (tmp_path / "dist" / INFERRED).exists()


def test_old_java_is_refused(tmp_path):
    fake = tmp_path / "java"
    fake.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_392"\' >&2\n')
    fake.chmod(0o755)
    from graph_build.java import JavaUnavailable, find_java

    old = os.environ.get("ALLKG_JAVA")
    os.environ["ALLKG_JAVA"] = str(fake)
    try:
        with pytest.raises(JavaUnavailable, match=r"Java 11 or newer, but .* is Java 1\.8"):
            find_java()
    finally:
        if old is None:
            os.environ.pop("ALLKG_JAVA")
        else:
            os.environ["ALLKG_JAVA"] = old


@pytest.mark.java
@pytest.mark.slow
def test_conflict_without_a_direct_explanation_is_found_by_bounded_search(built_dist, tmp_path):
    # A class expression the direct checks do not read: the search re-runs HermiT on parts.
    ext = write(tmp_path, "ext.ttl", "all:fever a [ a owl:Class ; owl:complementOf allkg:Phenotype ] .\n")
    result = run_allkg("reason", str(ext), env=reason_env(built_dist))
    assert result.returncode == 1
    assert "the assertions about 'fever' (all:fever) together contradict the ontology" in result.stderr
