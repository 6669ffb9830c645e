"""Linked data: what the server says about one IRI of the graph.

Every IRI under https://w3id.org/allkg/ (entities /id/, vocabulary /vocab/, sources /source/,
provenance records /fact/) is served at the same path. Its description is a symmetric concise
bounded description (the triples about it, the triples pointing at it, blank nodes followed)
plus, complete, every provenance record whose rdf:subject or rdf:object it is, so a client
that fetches /id/fever as Turtle also gets which sources state each fact about fever.

The functions here read a pyoxigraph Store directly (quads_for_pattern) rather than through
SPARQL: the server's own, bounded lookups need no time limit and no query parsing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

import pyoxigraph as ox

BASE = "https://w3id.org/allkg/"
# Path prefixes of the IRIs the server resolves (the ontology IRI itself is /allkg.owl).
RESOLVABLE_PREFIXES = ("/id/", "/vocab/", "/source/", "/fact/")
ONTOLOGY_PATH = "/allkg.owl"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ALLKG = BASE + "vocab/"

RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_SUBJECT = ox.NamedNode(RDF + "subject")
RDF_PREDICATE = ox.NamedNode(RDF + "predicate")
RDF_OBJECT = ox.NamedNode(RDF + "object")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
SKOS_DEFINITION = ox.NamedNode(SKOS + "definition")
WAS_DERIVED_FROM = ox.NamedNode(PROV + "wasDerivedFrom")
STATED_IN_SECTION = ox.NamedNode(ALLKG + "statedInSection")
PUBLISHER = ox.NamedNode(DCTERMS + "publisher")
IS_PART_OF = ox.NamedNode(DCTERMS + "isPartOf")
FOAF_PAGE = ox.NamedNode(FOAF + "page")

# Relations whose objects are links to other resources (other ontologies, the source pages).
EXTERNAL_LINK_PREDICATES = tuple(
    ox.NamedNode(iri)
    for iri in (
        SKOS + "exactMatch", SKOS + "closeMatch", SKOS + "broadMatch", SKOS + "narrowMatch",
        SKOS + "relatedMatch", RDFS + "seeAlso", "http://www.w3.org/2002/07/owl#sameAs", FOAF + "page",
    )
)
# Provenance-record bookkeeping shown once per fact rather than as facts of the record's page.
_RECORD_PREDICATES = {RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT}

# Keeps a page of a much-used class or source readable; the RDF description is not capped.
MAX_LISTED = 1000

DEFAULT_GRAPH = ox.DefaultGraph()


def iri_for_path(path: str) -> str | None:
    """The graph IRI a request path stands for, or None when the path is not a resolvable IRI."""
    if path == ONTOLOGY_PATH:
        return BASE + "allkg.owl"
    if path.startswith(RESOLVABLE_PREFIXES) and len(path) > path.index("/", 1) + 1:
        return BASE + path[1:]
    return None


def local_path(iri: str) -> str | None:
    """The server path of an IRI of the graph (the inverse of iri_for_path), else None."""
    if iri.startswith(BASE):
        path = "/" + iri[len(BASE):]
        if iri_for_path(path) is not None:
            return path
    return None


def _triples(store: ox.Store, s=None, p=None, o=None) -> Iterator[ox.Triple]:
    for quad in store.quads_for_pattern(s, p, o, DEFAULT_GRAPH):
        yield quad.triple


def exists(store: ox.Store, iri: str) -> bool:
    try:
        node = ox.NamedNode(iri)
    except ValueError:  # not a valid IRI (e.g. a path with '<'): cannot be in the graph
        return False
    return next(_triples(store, node), None) is not None or next(_triples(store, None, None, node), None) is not None


def _closure(store: ox.Store, start: Iterable[ox.Triple], out: dict[ox.Triple, None]) -> None:
    """Add triples and, transitively, everything said about the blank nodes they mention."""
    pending = list(start)
    seen_bnodes: set[ox.BlankNode] = set()
    while pending:
        triple = pending.pop()
        if triple in out:
            continue
        out[triple] = None
        for term in (triple.subject, triple.object):
            if isinstance(term, ox.BlankNode) and term not in seen_bnodes:
                seen_bnodes.add(term)
                pending.extend(_triples(store, term))


def provenance_records(store: ox.Store, node: ox.NamedNode) -> list[ox.NamedNode | ox.BlankNode]:
    """The records (rdf:Statement) whose rdf:subject or rdf:object is the node."""
    records = {t.subject: None for t in _triples(store, None, RDF_SUBJECT, node)}
    records.update({t.subject: None for t in _triples(store, None, RDF_OBJECT, node)})
    return list(records)


def describe(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The description of an IRI: symmetric CBD plus its provenance records, sorted for stable output."""
    node = ox.NamedNode(iri)
    out: dict[ox.Triple, None] = {}
    _closure(store, _triples(store, node), out)
    _closure(store, _triples(store, None, None, node), out)
    for record in provenance_records(store, node):
        _closure(store, _triples(store, record), out)
    return sorted(out, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def serialize(triples: list[ox.Triple], media_type: str, prefixes: dict[str, str]) -> bytes:
    rdf_format = RDF_FORMATS[media_type]
    if rdf_format == ox.RdfFormat.TURTLE:
        # Only the prefixes the description uses, in a fixed order (pyoxigraph's order varies).
        used = {name: ns for name, ns in prefixes.items()
                if any(str(term).startswith("<" + ns) for t in triples for term in (t.subject, t.predicate, t.object))}
        text = ox.serialize(triples, format=rdf_format, prefixes=used).decode("utf-8")
        lines = text.splitlines(keepends=True)
        head = sorted(line for line in lines if line.startswith("@prefix"))
        return ("".join(head) + "".join(line for line in lines if not line.startswith("@prefix"))).encode("utf-8")
    return ox.serialize(triples, format=rdf_format)


# --- the view of a resource for the HTML page -------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a fact is stated: a source document (publisher) and the section heading."""

    source_iri: str
    publisher: str
    section_iri: str | None
    section: str | None


@dataclass(frozen=True)
class Fact:
    """One triple about the resource, seen from it (outgoing: resource p other; incoming: other p resource)."""

    predicate: ox.NamedNode
    other: ox.NamedNode | ox.BlankNode | ox.Literal
    outgoing: bool
    record: ox.NamedNode | None
    sources: tuple[Source, ...]


@dataclass
class ResourceView:
    iri: str
    label: str
    definition: str | None
    types: list[ox.NamedNode]
    facts: list[Fact] = field(default_factory=list)
    incoming: list[Fact] = field(default_factory=list)
    incoming_total: int = 0
    external_links: list[tuple[ox.NamedNode, ox.NamedNode]] = field(default_factory=list)
    record_of: ox.Triple | None = None  # when the resource is itself a provenance record ...
    record_sources: tuple[Source, ...] = ()  # ... the sources that state its triple


def _english_first(literals: Iterable[ox.Literal]) -> ox.Literal | None:
    ranked = sorted(literals, key=lambda lit: (lit.language not in ("en", None), lit.language or "", lit.value))
    return ranked[0] if ranked else None


class Labeller:
    """rdfs:label of an IRI from the store (cached), else a CURIE, else the IRI."""

    def __init__(self, store: ox.Store, prefixes: dict[str, str]) -> None:
        self.store = store
        # Longest namespace first, so `all:` never shadows a longer namespace that shares its start.
        self.prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self._cache: dict[str, str] = {}

    def curie(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace):]}"
        return iri

    def label(self, term) -> str:
        if isinstance(term, ox.Literal):
            return term.value
        if isinstance(term, ox.BlankNode):
            return "(anonymous)"
        iri = term.value
        if iri not in self._cache:
            literal = _english_first(
                t.object for t in _triples(self.store, term, RDFS_LABEL) if isinstance(t.object, ox.Literal)
            )
            self._cache[iri] = literal.value if literal else self.curie(iri)
        return self._cache[iri]


def _sources_of(store: ox.Store, record, labeller: Labeller) -> tuple[Source, ...]:
    sources: list[Source] = []
    documents = {t.object for t in _triples(store, record, WAS_DERIVED_FROM) if isinstance(t.object, ox.NamedNode)}
    covered: set[ox.NamedNode] = set()
    for triple in _triples(store, record, STATED_IN_SECTION):
        section = triple.object
        if not isinstance(section, ox.NamedNode):
            continue
        document = next((t.object for t in _triples(store, section, IS_PART_OF)), None)
        if isinstance(document, ox.NamedNode):
            covered.add(document)
        sources.append(_source(store, document, section, labeller))
    for document in documents - covered:
        sources.append(_source(store, document, None, labeller))
    return tuple(sorted(sources, key=lambda s: (s.publisher, s.section or "")))


def _source(store: ox.Store, document, section, labeller: Labeller) -> Source:
    publisher = None
    if isinstance(document, ox.NamedNode):
        publisher = next((t.object.value for t in _triples(store, document, PUBLISHER) if isinstance(t.object, ox.Literal)), None)
    return Source(
        source_iri=document.value if isinstance(document, ox.NamedNode) else "",
        publisher=publisher or (labeller.label(document) if document is not None else "(unknown source)"),
        section_iri=section.value if section is not None else None,
        section=labeller.label(section) if section is not None else None,
    )


def _record_index(store: ox.Store, node: ox.NamedNode, role: ox.NamedNode, other_role: ox.NamedNode) -> dict:
    """(predicate, other term) -> record, for the records where the node plays `role`."""
    index = {}
    for triple in _triples(store, None, role, node):
        record = triple.subject
        predicate = next((t.object for t in _triples(store, record, RDF_PREDICATE)), None)
        other = next((t.object for t in _triples(store, record, other_role)), None)
        if predicate is not None and other is not None:
            index.setdefault((predicate, other), record)
    return index


def view(store: ox.Store, iri: str, labeller: Labeller) -> ResourceView:
    """Everything the HTML page of a resource shows."""
    node = ox.NamedNode(iri)
    outgoing = list(_triples(store, node))
    label = _english_first(t.object for t in outgoing if t.predicate == RDFS_LABEL and isinstance(t.object, ox.Literal))
    definition = _english_first(
        t.object for t in outgoing if t.predicate == SKOS_DEFINITION and isinstance(t.object, ox.Literal)
    )
    result = ResourceView(
        iri=iri,
        label=label.value if label else labeller.curie(iri),
        definition=definition.value if definition else None,
        types=sorted((t.object for t in outgoing if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)),
                     key=lambda n: labeller.label(n).lower()),
    )
    records_as_subject = _record_index(store, node, RDF_SUBJECT, RDF_OBJECT)
    for triple in outgoing:
        if triple.predicate in (RDF_TYPE, RDFS_LABEL, SKOS_DEFINITION):
            continue
        if triple.predicate in EXTERNAL_LINK_PREDICATES and isinstance(triple.object, ox.NamedNode):
            result.external_links.append((triple.predicate, triple.object))
            continue
        if triple.predicate in _RECORD_PREDICATES:
            continue
        record = records_as_subject.get((triple.predicate, triple.object))
        result.facts.append(Fact(triple.predicate, triple.object, True, record,
                                 _sources_of(store, record, labeller) if record is not None else ()))
    if {t.predicate for t in outgoing} >= _RECORD_PREDICATES:
        get = {t.predicate: t.object for t in outgoing}
        result.record_of = ox.Triple(get[RDF_SUBJECT], get[RDF_PREDICATE], get[RDF_OBJECT])
        result.record_sources = _sources_of(store, node, labeller)
        result.facts = [f for f in result.facts if f.predicate not in (WAS_DERIVED_FROM, STATED_IN_SECTION)]

    records_as_object = _record_index(store, node, RDF_OBJECT, RDF_SUBJECT)
    for triple in _triples(store, None, None, node):
        if triple.predicate in _RECORD_PREDICATES:
            continue  # the records themselves are shown as the sources of each fact
        result.incoming_total += 1
        if len(result.incoming) >= MAX_LISTED:
            continue
        record = records_as_object.get((triple.predicate, triple.subject))
        result.incoming.append(Fact(triple.predicate, triple.subject, False, record,
                                    _sources_of(store, record, labeller) if record is not None else ()))

    def order(fact: Fact):
        return (labeller.label(fact.predicate).lower(), labeller.label(fact.other).lower(), str(fact.other))

    result.facts.sort(key=order)
    result.incoming.sort(key=order)
    result.external_links.sort(key=lambda pair: (pair[0].value, pair[1].value))
    return result
