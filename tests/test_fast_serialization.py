"""The fast Turtle writer (rdf_io.turtle_bytes_fast), which turtle_bytes uses above
FAST_TURTLE_THRESHOLD triples: same graph back, and the same bytes whatever the insertion
order, the blank-node ids or the process's hash seed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

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
    for quad in ox.parse(generate(60_000, seed=11).data, format=ox.RdfFormat.N_TRIPLES):
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


@pytest.fixture(scope="module")
def graph() -> Graph:
    return _build(seed=1)


@pytest.fixture(scope="module")
def written(graph) -> bytes:
    return rdf_io.turtle_bytes(graph)


def test_large_graph_takes_the_fast_path(graph, written):
    assert len(graph) > rdf_io.FAST_TURTLE_THRESHOLD
    assert written == rdf_io.turtle_bytes_fast(graph)
    # Canonical RDFC-1.0 blank-node labels, not rdflib's random ids.
    assert b"_:c14n0" in written


def test_fast_turtle_reparses_to_the_same_graph(graph, written):
    back = Graph()
    back.parse(data=written, format="turtle")
    assert len(back) == len(graph)
    assert (URIRef(f"{ALL}Odd"), RDFS.comment, Literal('a "quoted"\\ line\nand\r more', lang="en")) in back
    assert (URIRef(f"{ALL}Odd"), RDFS.label, Literal("été", lang="fr")) in back
    assert isomorphic(back, graph)


def test_fast_turtle_ignores_insertion_order_and_blank_node_ids(written):
    assert rdf_io.turtle_bytes(_build(seed=2)) == written


def test_fast_turtle_is_the_same_in_another_process(written):
    code = BUILD + "\nimport sys\nfrom graph_build import rdf_io\nsys.stdout.buffer.write(rdf_io.turtle_bytes(build(3)))\n"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert child.returncode == 0, child.stderr.decode()[-2000:]
    assert child.stdout == written


def test_small_graphs_keep_rdflib_output():
    # Below the threshold the bytes are rdflib's own Turtle, as before.
    small = Graph()
    small.add((URIRef(f"{ALL}a"), RDFS.label, Literal("a", lang="en")))
    assert rdf_io.turtle_bytes(small) == small.serialize(format="turtle", encoding="utf-8")


def test_fast_turtle_skips_statements_removed_from_the_graph():
    # rdflib's in-memory index keeps empty entries after remove(); they must not become statements.
    graph = Graph()
    kept = (URIRef(f"{ALL}a"), RDFS.label, Literal("a", lang="en"))
    graph.add(kept)
    graph.add((URIRef(f"{ALL}a"), RDFS.comment, Literal("gone")))
    graph.add((URIRef(f"{ALL}b"), RDFS.label, Literal("gone")))
    graph.remove((None, None, Literal("gone")))
    back = Graph()
    back.parse(data=rdf_io.turtle_bytes_fast(graph), format="turtle")
    assert set(back) == {kept}
