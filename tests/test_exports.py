"""Release exports: every RDF format holds the Turtle graph (checked with two parsers), KGX is
Biolink-shaped, the outputs are deterministic, and nothing is fetched from the network."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from graph_build.export import EXPORT_FORMATS, export_files, parse_formats
from graph_build.kgx import BIOLINK_PREDICATES
from graph_build.errors import InputError

ALLKG = "https://w3id.org/allkg/vocab/"
ALL = "https://w3id.org/allkg/id/"

# file -> (rdflib format, pyoxigraph format)
RDF_EXPORTS = {
    "allkg.nt": ("nt", ox.RdfFormat.N_TRIPLES),
    "allkg.jsonld": ("json-ld", ox.RdfFormat.JSON_LD),
    "allkg.owl": ("xml", ox.RdfFormat.RDF_XML),
}


@pytest.fixture(scope="session")
def turtle_graph(built_dist) -> Graph:
    return Graph().parse(built_dist / "allkg.ttl", format="turtle")


def oxigraph_dataset(path: Path, rdf_format: ox.RdfFormat) -> ox.Dataset:
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=rdf_format))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def ground_triples(dataset: ox.Dataset) -> set[str]:
    return {str(q.triple) for q in dataset if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def test_build_writes_every_export(built_dist):
    for fmt in ("nt", "jsonld", "owl", "kgx"):
        for name in EXPORT_FORMATS[fmt].files:
            assert (built_dist / name).stat().st_size > 500, name


@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_export_is_isomorphic_to_turtle_with_rdflib(built_dist, turtle_graph, name, no_network):
    rdflib_format, _ = RDF_EXPORTS[name]
    exported = Graph().parse(built_dist / name, format=rdflib_format)
    assert len(exported) == len(turtle_graph) > 5000
    assert isomorphic(exported, turtle_graph)


@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_export_matches_turtle_with_pyoxigraph(built_dist, name):
    """A second, independent parser (Rust) reads the same triples as from the Turtle file."""
    _, ox_format = RDF_EXPORTS[name]
    reference = oxigraph_dataset(built_dist / "allkg.ttl", ox.RdfFormat.TURTLE)
    exported = oxigraph_dataset(built_dist / name, ox_format)
    assert len(exported) == len(reference)
    assert ground_triples(exported) == ground_triples(reference)
    assert exported == reference  # blank-node structure too (canonical labels)


def test_jsonld_context_is_local_and_embedded(built_dist):
    document = json.loads((built_dist / "allkg.jsonld").read_text(encoding="utf-8"))
    context_file = json.loads((built_dist / "allkg.context.jsonld").read_text(encoding="utf-8"))
    assert isinstance(document["@context"], dict)  # embedded, not a URL to fetch
    assert document["@context"] == context_file["@context"]
    assert document["@context"]["allkg"] == ALLKG
    first = document["@graph"][0]
    assert first["@id"].startswith(("all:", "allkg:", "fact:", "src:", "http"))


def test_exports_and_parsing_never_touch_the_network(built_dist, no_network):
    outputs = export_files((built_dist / "allkg.ttl").read_bytes())
    Graph().parse(data=outputs["allkg.jsonld"], format="json-ld")
    Graph().parse(data=outputs["allkg.owl"], format="xml")
    list(ox.parse(outputs["allkg.jsonld"], format=ox.RdfFormat.JSON_LD))


def test_exports_are_deterministic(built_dist):
    turtle = (built_dist / "allkg.ttl").read_bytes()
    first, second = export_files(turtle), export_files(turtle)
    assert first == second
    for name, data in first.items():
        assert data == (built_dist / name).read_bytes(), f"{name} differs from the build's"
    lines = first["allkg.nt"].decode().splitlines()
    assert lines == sorted(lines)


def test_version_is_in_the_rdfxml_export(built_dist):
    from graph_build.version import __version__

    graph = Graph().parse(built_dist / "allkg.owl", format="xml")
    ontology = URIRef("https://w3id.org/allkg/allkg.owl")
    assert graph.value(ontology, OWL.versionInfo) == Literal(__version__)
    assert graph.value(ontology, OWL.versionIRI) == URIRef(f"https://w3id.org/allkg/releases/{__version__}/allkg.owl")


def test_owlready2_loads_the_rdfxml_export(built_dist, no_network):
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology((built_dist / "allkg.owl").resolve().as_uri()).load()
    disease = world[ALLKG + "Disease"]
    assert disease is not None
    assert world[ALL + "ALL"] in list(disease.instances())
    assert onto.base_iri


# -- KGX ---------------------------------------------------------------------------------------


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="session")
def kgx_nodes(built_dist) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in read_tsv(built_dist / "kgx" / "nodes.tsv")}


@pytest.fixture(scope="session")
def kgx_edges(built_dist) -> list[dict[str, str]]:
    return read_tsv(built_dist / "kgx" / "edges.tsv")


@pytest.mark.parametrize(
    "node, category",
    [
        ("all:ALL", "biolink:Disease"),
        ("all:fever", "biolink:PhenotypicFeature"),
        ("all:imatinib", "biolink:Drug"),
        ("all:bone_marrow", "biolink:AnatomicalEntity"),
        ("all:lymphoblast", "biolink:Cell"),
        ("all:philadelphia_chromosome", "biolink:SequenceVariant"),
        ("all:down_syndrome", "biolink:Disease"),
        ("src:medlineplus", "biolink:Publication"),
    ],
)
def test_kgx_node_categories(kgx_nodes, node, category):
    assert category in kgx_nodes[node]["category"].split("|")


def test_kgx_nodes_have_names_and_iris(kgx_nodes):
    row = kgx_nodes["all:ALL"]
    assert row["name"] == "acute lymphoblastic leukemia"
    assert "acute lymphocytic leukemia" in row["synonym"].split("|")
    assert row["iri"] == ALL + "ALL"
    assert kgx_nodes["src:medlineplus"]["xref"].startswith("https://medlineplus.gov/")


def find_edge(edges, subject, original_predicate, obj):
    found = [e for e in edges if (e["subject"], e["original_predicate"], e["object"]) == (subject, original_predicate, obj)]
    assert len(found) == 1, (subject, original_predicate, obj)
    return found[0]


def test_kgx_edge_has_biolink_predicate_and_sources(kgx_edges):
    edge = find_edge(kgx_edges, "all:ALL", "allkg:hasSymptom", "all:fever")
    assert edge["predicate"] == "biolink:has_phenotype"
    assert edge["id"].startswith("fact:")
    # MedlinePlus, City of Hope and Moffitt list fever among the symptoms.
    assert {"src:cityofhope", "src:medlineplus", "src:moffitt"} <= set(edge["publications"].split("|"))
    assert "src:medlineplus-symptoms" in edge["sections"].split("|")
    assert edge["knowledge_level"] == "knowledge_assertion"
    assert edge["agent_type"] == "manual_agent"
    assert edge["primary_knowledge_source"]


def test_kgx_uses_the_inverse_mapping_when_needed(kgx_edges):
    """hasRiskFactor's Biolink mapping is not a Biolink 4 predicate; its inverse's is."""
    edge = find_edge(kgx_edges, "all:down_syndrome", "allkg:riskFactorFor", "all:ALL")
    assert edge["predicate"] == "biolink:predisposes_to_condition"


def test_kgx_edges_are_consistent(kgx_nodes, kgx_edges, turtle_graph):
    ids = [e["id"] for e in kgx_edges]
    assert len(ids) == len(set(ids))
    for edge in kgx_edges:
        assert edge["subject"] in kgx_nodes and edge["object"] in kgx_nodes, edge["id"]
        assert edge["predicate"].removeprefix("biolink:") in BIOLINK_PREDICATES
        for publication in edge["publications"].split("|"):
            assert publication in kgx_nodes
    entity_facts = turtle_graph.query(
        """SELECT (COUNT(?r) AS ?n) WHERE { ?r a allkg:FactRecord ; rdf:predicate ?p ; rdf:object ?o .
             ?p a owl:ObjectProperty . FILTER(STRSTARTS(STR(?o), STR(all:))) }""",
        initNs={"allkg": ALLKG, "all": ALL, "rdf": RDF, "owl": OWL},
    )
    assert len(kgx_edges) == int(next(iter(entity_facts))[0])


# -- the release with import modules merged in ---------------------------------------------------


def test_full_export_merges_import_modules(built_dist, tmp_path):
    imports = tmp_path / "imports"
    imports.mkdir()
    module = imports / "mondo_import.ttl"
    module.write_text(
        "@prefix obo: <http://purl.obolibrary.org/obo/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        'obo:MONDO_0004967 a owl:Class ; rdfs:label "acute lymphoblastic leukemia" ;\n'
        "    rdfs:subClassOf [ a owl:Restriction ; owl:onProperty obo:RO_0004026 ; owl:someValuesFrom obo:UBERON_0002371 ] .\n",
        encoding="utf-8",
    )
    turtle = (built_dist / "allkg.ttl").read_bytes()
    outputs = export_files(turtle, ["full"], imports_dir=imports)
    merged = Graph().parse(data=outputs["allkg-full.ttl"], format="turtle")
    expected = Graph().parse(data=turtle, format="turtle")
    expected.parse(module, format="turtle")
    assert isomorphic(merged, expected)
    assert export_files(turtle, ["full"], imports_dir=imports) == outputs


def test_full_export_names_a_broken_import_module(built_dist, tmp_path):
    (tmp_path / "bad.ttl").write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.ttl:1"):
        export_files((built_dist / "allkg.ttl").read_bytes(), ["full"], imports_dir=tmp_path)


def test_unknown_format_is_a_clear_error():
    with pytest.raises(InputError, match="unknown export format 'csv'"):
        parse_formats(["nt,csv"])
    assert parse_formats(["all"]) == list(EXPORT_FORMATS)


def test_export_command(allkg, built_dist, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "allkg.ttl").write_bytes((built_dist / "allkg.ttl").read_bytes())
    result = allkg("export", "--dist", str(dist), "--format", "nt,kgx", "-q")
    assert result.returncode == 0, result.stderr
    assert (dist / "allkg.nt").read_bytes() == (built_dist / "allkg.nt").read_bytes()
    assert (dist / "kgx" / "edges.tsv").exists() and not (dist / "allkg.owl").exists()
    missing = allkg("export", "--dist", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "allkg build" in missing.stderr
