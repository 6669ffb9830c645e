"""The Turtle writer (rdf_io.turtle_bytes): the same graph back whatever its shape, readable
blank nodes (restrictions nested as `[ ]`, lists as `( )`), and the same bytes whatever the
insertion order, the blank-node ids or the process's hash seed."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, XSD

from graph_build import rdf_io

ALL = "https://w3id.org/allkg/id/"
ROOT = Path(__file__).resolve().parents[1]

# Builds the test graph (insertion order and blank-node ids depend on `seed`) and writes
# turtle_bytes of it to stdout; run in this process and in a child with another hash seed.
BUILD = '''
import random
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
import pyoxigraph as ox
from bench.generate import generate

def triples():
    for quad in ox.parse(generate(20_000, seed=11).data, format=ox.RdfFormat.N_TRIPLES):
        t = quad.triple
        o = t.object
        if isinstance(o, ox.Literal):
            obj = (Literal(o.value, lang=o.language) if o.language else
                   Literal(o.value, datatype=URIRef(o.datatype.value)) if o.datatype.value != str(XSD.string)
                   else Literal(o.value))
        else:
            obj = URIRef(o.value)
        yield URIRef(t.subject.value), URIRef(t.predicate.value), obj

def blank_triples():
    # Two restrictions that differ only in their filler, and a two-node list: the labels must
    # come from the structure, not from the order the nodes were made in.
    out = []
    for filler in ("A", "B"):
        r = BNode()
        out += [(URIRef("{ALL}Thing"), RDFS.subClassOf, r), (r, RDF.type, OWL.Restriction),
                (r, OWL.onProperty, URIRef("{ALL}hasPart")), (r, OWL.someValuesFrom, URIRef("{ALL}" + filler))]
    first, second = BNode(), BNode()
    out += [(URIRef("{ALL}Union"), OWL.unionOf, first), (first, RDF.first, URIRef("{ALL}A")),
            (first, RDF.rest, second), (second, RDF.first, URIRef("{ALL}B")), (second, RDF.rest, RDF.nil)]
    # A node shared by two subjects, a two-node cycle, and a members list of a subject-less node.
    shared, left, right, group, cell = BNode(), BNode(), BNode(), BNode(), BNode()
    out += [(URIRef("{ALL}X"), RDFS.seeAlso, shared), (URIRef("{ALL}Y"), RDFS.seeAlso, shared),
            (shared, RDFS.label, Literal("shared")), (left, RDFS.seeAlso, right), (right, RDFS.seeAlso, left),
            (group, RDF.type, OWL.AllDisjointClasses), (group, OWL.members, cell),
            (cell, RDF.first, URIRef("{ALL}A")), (cell, RDF.rest, RDF.nil)]
    out += [(URIRef("{ALL}Odd"), RDFS.comment, Literal('a "quoted"\\\\ line\\nand\\r more', lang="en")),
            (URIRef("{ALL}Odd"), RDFS.label, Literal("été", lang="fr"))]
    return out

def build(seed):
    rows = list(triples()) + blank_triples()
    random.Random(seed).shuffle(rows)
    graph = Graph()
    for row in rows:
        graph.add(row)
    return graph
'''.replace("{ALL}", ALL)


def _build(seed: int) -> Graph:
    namespace: dict = {}
    exec(BUILD, namespace)  # noqa: S102 - our own fixed code, shared with the child process
    return namespace["build"](seed)


def _graph(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def _reparsed(data: bytes) -> tuple[Graph, list]:
    """The bytes read back by rdflib, and by pyoxigraph (as a list: a triple written twice would show)."""
    back = Graph()
    back.parse(data=data, format="turtle")
    return back, [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE)]


def _assert_round_trip(graph: Graph) -> bytes:
    data = rdf_io.turtle_bytes(graph)
    back, ox_triples = _reparsed(data)
    assert isomorphic(back, graph)
    assert len(ox_triples) == len(set(map(str, ox_triples))) == len(graph)
    assert isomorphic(_graph(_from_ox(t) for t in ox_triples), graph)
    return data


def _from_ox(triple):
    bnodes: dict = {}
    return tuple(rdf_io._to_rdflib(term, bnodes) if not isinstance(term, ox.BlankNode) else BNode(term.value)
                 for term in (triple.subject, triple.predicate, triple.object))


@pytest.fixture(scope="module")
def graph() -> Graph:
    return _build(seed=1)


@pytest.fixture(scope="module")
def written(graph) -> bytes:
    return rdf_io.turtle_bytes(graph)


def test_turtle_reparses_to_the_same_graph(graph, written):
    back, ox_triples = _reparsed(written)
    assert len(back) == len(graph) == len(ox_triples)
    assert (URIRef(f"{ALL}Odd"), RDFS.comment, Literal('a "quoted"\\ line\nand\r more', lang="en")) in back
    assert (URIRef(f"{ALL}Odd"), RDFS.label, Literal("été", lang="fr")) in back
    assert isomorphic(back, graph)


def test_turtle_ignores_insertion_order_and_blank_node_ids(written):
    assert rdf_io.turtle_bytes(_build(seed=2)) == written


def test_turtle_is_the_same_in_another_process(written):
    code = BUILD + "\nimport sys\nfrom graph_build import rdf_io\nsys.stdout.buffer.write(rdf_io.turtle_bytes(build(3)))\n"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert child.returncode == 0, child.stderr.decode()[-2000:]
    assert child.stdout == written


def test_blank_nodes_are_nested_where_they_are_referenced_once(written):
    text = written.decode("utf-8")
    assert ("all:Thing rdfs:subClassOf [ a owl:Restriction ;\n"
            "            owl:onProperty all:hasPart ;\n"
            "            owl:someValuesFrom all:A ],\n"
            "        [ a owl:Restriction ;\n") in text
    assert "all:Union owl:unionOf ( all:A all:B ) ." in text
    assert "[] a owl:AllDisjointClasses ;\n    owl:members ( all:A ) ." in text
    # Only the shared node and one node of the cycle keep a label: one shared label written
    # three times (two references, its block), one cycle label written twice.
    assert sorted(Counter(re.findall(r"_:c14n[0-9]+", text)).values()) == [2, 3]
    assert "_:c14n" not in text.split("[] a owl:AllDisjointClasses")[0].split("all:Union ")[1].split("all:X ")[0]


def test_restriction_and_list_layout():
    restriction, head, tail, nested = BNode(), BNode(), BNode(), BNode()
    cls = URIRef(f"{ALL}Treated")
    data = _assert_round_trip(_graph([
        (cls, RDF.type, OWL.Class),
        (cls, OWL.equivalentClass, nested), (nested, RDF.type, OWL.Class), (nested, OWL.intersectionOf, head),
        (head, RDF.first, URIRef(f"{ALL}Patient")), (head, RDF.rest, tail),
        (tail, RDF.first, restriction), (tail, RDF.rest, RDF.nil),
        (restriction, RDF.type, OWL.Restriction), (restriction, OWL.onProperty, URIRef(f"{ALL}receives")),
        (restriction, OWL.someValuesFrom, URIRef(f"{ALL}Therapy")),
    ]))
    assert data.decode("utf-8").endswith(
        "all:Treated a owl:Class ;\n"
        "    owl:equivalentClass [ a owl:Class ;\n"
        "            owl:intersectionOf ( all:Patient [ a owl:Restriction ;\n"
        "                    owl:onProperty all:receives ;\n"
        "                    owl:someValuesFrom all:Therapy ] ) ] .\n")
    assert b"_:" not in data


def test_malformed_lists_are_not_collections():
    # A cell with an extra statement, and a list that does not end in rdf:nil: written as [ ], not ( ).
    odd, cell, open_end = BNode(), BNode(), BNode()
    data = _assert_round_trip(_graph([
        (URIRef(f"{ALL}s"), RDFS.seeAlso, odd), (odd, RDF.first, URIRef(f"{ALL}A")), (odd, RDF.rest, cell),
        (cell, RDF.first, URIRef(f"{ALL}B")), (cell, RDF.rest, RDF.nil), (odd, RDFS.label, Literal("odd")),
        (URIRef(f"{ALL}t"), RDFS.seeAlso, open_end), (open_end, RDF.first, URIRef(f"{ALL}C")),
        (open_end, RDF.rest, URIRef(f"{ALL}D")),
    ]))
    text = data.decode("utf-8")
    assert "rdf:rest ( all:B )" in text  # the well-formed tail still is one
    assert "[ rdf:first all:C ;" in text


def test_shared_nodes_and_cycles_round_trip():
    a, b, c, shared, loop = BNode(), BNode(), BNode(), BNode(), BNode()
    p = URIRef(f"{ALL}p")
    data = _assert_round_trip(_graph([
        (a, p, b), (b, p, c), (c, p, a),  # a three-node cycle nobody points into
        (URIRef(f"{ALL}s"), p, shared), (URIRef(f"{ALL}t"), p, shared), (shared, p, shared),  # shared, self-loop
        (loop, p, loop), (URIRef(f"{ALL}u"), p, loop),  # referenced by itself and by a named subject
        (c, RDFS.label, Literal("c")),
    ]))
    assert data.count(b"_:c14n") >= 4


def test_deep_nesting_and_long_lists_do_not_recurse():
    # A chain of 120 nested nodes (deeper than MAX_NESTING) and a 1,500-item list (longer than
    # Python's recursion limit): written without RecursionError, read back the same. (Checked by
    # walking the structure: rdflib's isomorphism test takes minutes on chains like these.)
    triples = []
    node = URIRef(f"{ALL}top")
    for _ in range(120):
        child = BNode()
        triples.append((node, RDFS.seeAlso, child))
        node = child
    triples.append((node, RDFS.label, Literal("bottom")))
    cells = [BNode() for _ in range(1500)]
    triples.append((URIRef(f"{ALL}list"), RDFS.seeAlso, cells[0]))
    for n, cell in enumerate(cells):
        triples += [(cell, RDF.first, Literal(n)), (cell, RDF.rest, cells[n + 1] if n + 1 < len(cells) else RDF.nil)]
    data = rdf_io.turtle_bytes(_graph(triples))
    back, ox_triples = _reparsed(data)
    assert len(back) == len(ox_triples) == len(triples)
    node = URIRef(f"{ALL}top")
    for _ in range(120):
        (node,) = back.objects(node, RDFS.seeAlso)
    assert list(back.objects(node, RDFS.label)) == [Literal("bottom")]
    (head,) = back.objects(URIRef(f"{ALL}list"), RDFS.seeAlso)
    assert list(Collection(back, head)) == [Literal(n) for n in range(1500)]
    assert b"all:list rdfs:seeAlso ( 0 1 2 3 " in data
    assert 1 <= data.count(b"_:c14n") <= 10  # the chain is cut into blocks of at most MAX_NESTING
    deepest = max(len(line) - len(line.lstrip(b" ")) for line in data.splitlines())
    assert deepest <= 4 * (2 * rdf_io.MAX_NESTING + 2)


def test_literal_forms_survive():
    s = URIRef(f"{ALL}s")
    values = [Literal("007", datatype=XSD.integer), Literal("-1.50", datatype=XSD.decimal), Literal("true", datatype=XSD.boolean),
              Literal("1e3", datatype=XSD.double), Literal(".5", datatype=XSD.decimal), Literal("5.", datatype=XSD.decimal),
              Literal("tab\there", lang="en"), Literal("back\\slash \"q\"\n"), Literal("x", datatype=URIRef(f"{ALL}dt"))]
    data = _assert_round_trip(_graph([(s, RDFS.comment, value) for value in values]))
    # Bare numbers and booleans where Turtle's grammar allows the (rdflib-normalised) lexical form.
    assert b" -1.50," in data and b" 7," in data and b" true ." in data and b'"5"^^xsd:decimal' in data


def test_unwritable_iri_is_escaped_not_lost():
    # rdflib accepts IRIs with spaces; Turtle only carries them escaped (rdflib reads them back).
    odd = URIRef("http://example.org/a b")
    graph = _graph([(odd, RDFS.label, Literal("odd")), (URIRef(f"{ALL}s"), RDFS.seeAlso, BNode())])
    graph.add((next(graph.objects(URIRef(f"{ALL}s"), RDFS.seeAlso)), RDFS.seeAlso, odd))
    data = rdf_io.turtle_bytes(graph)
    assert b"<http://example.org/a\\u0020b>" in data
    back = Graph()
    back.parse(data=data, format="turtle")
    # (rdflib's isomorphism test cannot hash such an IRI: check the three triples by hand.)
    (blank,) = back.objects(URIRef(f"{ALL}s"), RDFS.seeAlso)
    assert len(back) == 3 and (odd, RDFS.label, Literal("odd")) in back and (blank, RDFS.seeAlso, odd) in back


def test_turtle_skips_statements_removed_from_the_graph():
    # rdflib's in-memory index keeps empty entries after remove(); they must not become statements.
    graph = Graph()
    kept = (URIRef(f"{ALL}a"), RDFS.label, Literal("a", lang="en"))
    graph.add(kept)
    graph.add((URIRef(f"{ALL}a"), RDFS.comment, Literal("gone")))
    graph.add((URIRef(f"{ALL}b"), RDFS.label, Literal("gone")))
    graph.remove((None, None, Literal("gone")))
    back = Graph()
    back.parse(data=rdf_io.turtle_bytes(graph), format="turtle")
    assert set(back) == {kept}


def test_built_graph_is_a_fixed_point(built_graph_file):
    # allkg.ttl as the build wrote it: read back isomorphic (rdflib and pyoxigraph), and written again
    # byte for byte; its OWL axioms are nested, not labelled blocks.
    data = built_graph_file.read_bytes()
    graph = rdf_io.parse_rdf_file(built_graph_file)
    assert rdf_io.turtle_bytes(graph) == data
    back, ox_triples = _reparsed(data)
    assert len(ox_triples) == len(graph) and isomorphic(back, graph)
    assert b"_:" not in data
    assert b"[ a owl:Restriction ;" in data and b"owl:intersectionOf ( " in data
