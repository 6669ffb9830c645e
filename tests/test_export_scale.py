"""Exports of graphs above export.FAST_THRESHOLD: the fast route gives the same graph as the
slow one, canonical, sorted, duplicate-free N-Triples, and byte-identical files whatever the
input order, blank-node labels or hash seed. The test graph (~60k triples) is made here, just
above the threshold, with blank-node structures, duplicates and awkward literals."""
from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys

import pyoxigraph as ox
import pytest

from graph_build import export
from graph_build.errors import InputError

ID = "https://w3id.org/allkg/id/"
VOCAB = "https://w3id.org/allkg/vocab/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SUBJECTS = 7_000
RDF_FORMATS = ("nt", "jsonld", "owl")


def graph_lines(blank_prefix: str = "b") -> list[str]:
    """N-Triples lines of the test graph (duplicates included on purpose)."""
    lines: list[str] = []
    for i in range(SUBJECTS):
        s = f"<{ID}E{i:05d}>"
        lines += [
            f"<{ID}E{i:05d}> <{RDF}type> <{VOCAB}Thing{i % 7}> .",
            f'{s} <{RDFS}label> "entity {i}"@en .',
            f'{s} <{RDFS}comment> "d\\u00E9finition \\"{i}\\"\\nsecond line" .',
            f'{s} <{VOCAB}rank> "{i}"^^<{XSD}integer> .',
            f"{s} <{VOCAB}relatedTo> <{ID}E{(i * 7) % SUBJECTS:05d}> .",
            f"{s} <{VOCAB}relatedTo> <{ID}E{(i * 11 + 1) % SUBJECTS:05d}> .",
            f'{s} <{VOCAB}note> "n{i % 13}" .',
        ]
        if i % 97 == 0:  # a duplicate
            lines.append(f'{s} <{RDFS}label> "entity {i}"@en .')
        if i % 50 == 0:  # a literal that looks like a blank node
            lines.append(f'{s} <{RDFS}comment> "see _:x{i}" .')
        if i % 10 == 0:  # an OWL restriction
            r = f"_:{blank_prefix}r{i}"
            lines += [
                f"{s} <{RDFS}subClassOf> {r} .",
                f"{r} <{RDF}type> <{OWL}Restriction> .",
                f"{r} <{OWL}onProperty> <{VOCAB}relatedTo> .",
                f"{r} <{OWL}someValuesFrom> <{ID}E{(i + 1) % SUBJECTS:05d}> .",
            ]
        if i % 100 == 0:  # a union list of three classes, two of them with the same shape
            nodes = [f"_:{blank_prefix}l{i}n{k}" for k in range(3)]
            lines.append(f"{s} <{OWL}unionOf> {nodes[0]} .")
            for k, node in enumerate(nodes):
                lines.append(f"{node} <{RDF}first> <{VOCAB}Thing{k % 2}> .")
                lines.append(f"{node} <{RDF}rest> {nodes[k + 1] if k < 2 else f'<{RDF}nil>'} .")
    return lines


def as_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return graph_lines()


@pytest.fixture(scope="module")
def turtle(lines) -> bytes:
    return as_bytes(lines)  # N-Triples is Turtle


@pytest.fixture(scope="module")
def outputs(turtle) -> dict[str, bytes]:
    return export.export_files(turtle, RDF_FORMATS, notes=[])


def parse(data: bytes, rdf_format: ox.RdfFormat = ox.RdfFormat.TURTLE) -> list[ox.Triple]:
    return [quad.triple for quad in ox.parse(data, format=rdf_format)]


def canonical_set(triples) -> set[str]:
    """The graph as a set of strings, blank nodes labelled by RDFC-1.0 over the whole graph."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad.triple) for quad in dataset}


def test_graph_is_just_above_the_threshold(turtle):
    count = len(parse(turtle))
    assert export.FAST_THRESHOLD < count < 1.5 * export.FAST_THRESHOLD


def test_fast_route_equals_whole_graph_canonicalisation(turtle):
    """Canonicalising only the blank-node lines gives the labels of the whole graph's RDFC-1.0."""
    graph = export.canonical_graph(parse(turtle))
    assert graph.large and graph.ntriples is not None
    reference = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in parse(turtle))
    reference.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    reference_lines = sorted(set(ox.serialize([q.triple for q in reference], format=ox.RdfFormat.N_TRIPLES).splitlines()))
    assert graph.ntriples == b"".join(line + b"\n" for line in reference_lines)
    # The triples are the lines, in the same order.
    assert ox.serialize(graph.triples, format=ox.RdfFormat.N_TRIPLES) == graph.ntriples
    assert export.canonical_triples(parse(turtle)) == graph.triples


def test_fast_route_has_the_slow_routes_triples(turtle, monkeypatch):
    fast = export.canonical_triples(parse(turtle))
    monkeypatch.setattr(export, "FAST_THRESHOLD", 10**9)
    slow = export.canonical_triples(parse(turtle))
    assert len(fast) == len(slow)
    assert canonical_set(fast) == canonical_set(slow)


def test_ntriples_are_sorted_unique_and_complete(outputs, lines):
    nt = outputs["allkg.nt"]
    written = nt.splitlines()
    assert written == sorted(set(written))
    assert nt.endswith(b"\n") and b"\n\n" not in nt
    # 7000 subjects x 7 triples + 140 literal "_:" comments + 700 restrictions x 4 + 70 lists x 7;
    # the 73 duplicate labels are dropped.
    assert len(written) == 49_000 + 140 + 2_800 + 490
    assert sum(1 for line in written if b"_:c14n" in line) == 2_800 + 490
    assert canonical_set(parse(nt, ox.RdfFormat.N_TRIPLES)) == canonical_set(parse(as_bytes(lines)))


def test_jsonld_holds_the_same_triples(outputs):
    document = json.loads(outputs["allkg.jsonld"])
    assert document["@context"] == export.jsonld_context()  # embedded: nothing to fetch
    ids = [node["@id"] for node in document["@graph"]]
    assert len(ids) == len(set(ids)), "one node object per subject"
    assert f"{ID}E00001" in ids
    from_jsonld = canonical_set(parse(outputs["allkg.jsonld"], ox.RdfFormat.JSON_LD))
    assert from_jsonld == canonical_set(parse(outputs["allkg.nt"], ox.RdfFormat.N_TRIPLES))


def test_rdflib_reads_the_large_jsonld(outputs, no_network):
    from rdflib import Graph

    graph = Graph().parse(data=outputs["allkg.jsonld"], format="json-ld")
    as_ntriples = graph.serialize(format="nt", encoding="utf-8")
    assert canonical_set(parse(as_ntriples, ox.RdfFormat.N_TRIPLES)) == canonical_set(
        parse(outputs["allkg.nt"], ox.RdfFormat.N_TRIPLES)
    )


def test_shuffled_input_with_other_blank_labels_gives_identical_files(outputs):
    shuffled = graph_lines(blank_prefix="other")
    random.Random(7).shuffle(shuffled)
    assert export.export_files(as_bytes(shuffled), RDF_FORMATS, notes=[]) == outputs


def test_another_process_and_hash_seed_gives_identical_files(outputs, tmp_path):
    source = tmp_path / "graph.nt"
    source.write_bytes(as_bytes(graph_lines()))
    script = (
        "import hashlib, sys\n"
        "from graph_build.export import export_files\n"
        "out = export_files(open(sys.argv[1], 'rb').read(), ('nt', 'jsonld', 'owl'), notes=[])\n"
        "for name in sorted(out): print(name, hashlib.sha256(out[name]).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run([sys.executable, "-c", script, str(source)], env=env, capture_output=True, text=True, check=True)
    expected = "".join(f"{name} {hashlib.sha256(data).hexdigest()}\n" for name, data in sorted(outputs.items()))
    assert run.stdout == expected


def test_iri_with_a_prefix_as_scheme_is_reported_in_jsonld(lines):
    """<all:x> would be read back as a CURIE under the embedded context: refused, as for small graphs."""
    bad = [*lines, f"<all:x> <{RDFS}label> \"clash\" ."]
    with pytest.raises(InputError, match="all:x"):
        export.export_files(as_bytes(bad), ["jsonld"], notes=[])


def test_literal_that_looks_like_a_curie_keeps_its_value_in_jsonld(lines):
    """A string "all:y" only looks like a clash: the file is still right (written compactly)."""
    graph = [*lines, f'<{ID}E00001> <{RDFS}comment> "all:y" .']
    data = export.export_files(as_bytes(graph), ["jsonld"], notes=[])["allkg.jsonld"]
    assert canonical_set(parse(data, ox.RdfFormat.JSON_LD)) == canonical_set(parse(as_bytes(graph)))


def test_syntax_error_in_a_large_graph_names_the_line(lines):
    bad = [*lines, "<https://w3id.org/allkg/id/E1> <broken"]
    with pytest.raises(InputError, match=rf"^big\.ttl:{len(lines) + 1}: syntax error"):
        export.export_files(as_bytes(bad), ["nt"], where="big.ttl", notes=[])


def test_full_export_of_a_large_graph_merges_the_modules(turtle, tmp_path):
    module = tmp_path / "x_import.ttl"
    module.write_text(f"<{ID}E00001> <{RDFS}seeAlso> [ <{RDFS}label> \"from a module\" ] .\n")
    full = export.export_files(turtle, ["full"], imports_dir=tmp_path, notes=[])[export.FULL_FILE]
    expected = canonical_set(parse(turtle) + parse(module.read_bytes()))
    assert canonical_set(parse(full)) == expected


def test_full_export_alone_equals_full_export_with_the_other_formats(turtle, tmp_path):
    # `--format full` skips canonicalising the graph before the merge: the file must not change.
    (tmp_path / "mini_import.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<http://purl.obolibrary.org/obo/HP_0001945> a owl:Class ; "
        "<http://www.w3.org/2000/01/rdf-schema#subClassOf> [ a owl:Restriction ] .\n", encoding="utf-8")
    alone = export.export_files(turtle, ["full"], imports_dir=tmp_path, notes=[])
    together = export.export_files(turtle, ["nt", "full"], imports_dir=tmp_path, notes=[])
    assert list(alone) == [export.FULL_FILE]
    assert alone[export.FULL_FILE] == together[export.FULL_FILE]
