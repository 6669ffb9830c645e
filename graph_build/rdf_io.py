"""Reading and writing RDF files: clear errors, no network, deterministic and atomic output.

Files are parsed with pyoxigraph, which reports the line and column of a syntax error and
never fetches anything (JSON-LD remote @contexts are refused), then handed over as rdflib
graphs for pyshacl, owlready2 and the rest of the rdflib API.
"""
from __future__ import annotations

import logging
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from graph_build.errors import InputError

# file suffix -> (pyoxigraph format, rdflib format name)
FORMATS: dict[str, tuple[ox.RdfFormat, str]] = {
    ".ttl": (ox.RdfFormat.TURTLE, "turtle"),
    ".nt": (ox.RdfFormat.N_TRIPLES, "nt"),
    ".jsonld": (ox.RdfFormat.JSON_LD, "json-ld"),
    ".json": (ox.RdfFormat.JSON_LD, "json-ld"),
    ".rdf": (ox.RdfFormat.RDF_XML, "xml"),
    ".owl": (ox.RdfFormat.RDF_XML, "xml"),
    ".xml": (ox.RdfFormat.RDF_XML, "xml"),
}
FORMAT_NAMES = {"turtle": ".ttl", "ttl": ".ttl", "nt": ".nt", "ntriples": ".nt", "n-triples": ".nt",
                "json-ld": ".jsonld", "jsonld": ".jsonld", "xml": ".rdf", "rdfxml": ".rdf", "rdf/xml": ".rdf"}


def format_for(path: Path, explicit: str | None = None) -> ox.RdfFormat:
    """The RDF syntax of a file, from an explicit name or the file's suffix."""
    if explicit:
        suffix = FORMAT_NAMES.get(explicit.lower())
        if suffix is None:
            raise InputError(f"{path}: unknown RDF format '{explicit}' (use one of: turtle, nt, json-ld, xml)")
        return FORMATS[suffix][0]
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"{path}: unknown RDF format for suffix '{suffix or '(none)'}' (known: {known})")
    return FORMATS[suffix][0]


@contextmanager
def quiet_ill_typed_literals() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal (e.g. "many"^^xsd:decimal); the checks
    that care (SHACL datatypes, the reasoner, the table reader) report them in one line instead."""
    logger = logging.getLogger("rdflib.term")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def _to_rdflib(term, bnodes: dict[str, BNode]):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        node = bnodes.get(term.value)
        if node is None:
            node = bnodes[term.value] = BNode()
        return node
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise InputError(f"unsupported RDF term {term!r} (RDF-star triple terms are not supported)")


def _syntax_error_message(path: Path, exc: SyntaxError) -> str:
    text = str(exc.msg if hasattr(exc, "msg") else exc)
    if exc.lineno:
        # pyoxigraph puts the position in its message; keep our own "file:line:column" prefix.
        detail = text.split(": ", 1)[1] if text.startswith("Parser error") and ": " in text else text
        return f"{path}:{exc.lineno}:{exc.offset or 1}: syntax error: {detail}"
    return f"{path}: syntax error: {text}"


def parse_rdf_file(path: Path, into: Graph | None = None, fmt: str | None = None, allow_empty: bool = False) -> Graph:
    """Parse one RDF file into an rdflib graph, or raise InputError with a one-line message."""
    path = Path(path)
    rdf_format = format_for(path, fmt)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not an RDF file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data.strip():
        if allow_empty:
            return into if into is not None else Graph()
        raise InputError(f"{path}: file is empty (no RDF statements)")
    graph = into if into is not None else Graph()
    bnodes: dict[str, BNode] = {}
    base = path.resolve().as_uri()
    try:
        with quiet_ill_typed_literals():
            triples = [
                (_to_rdflib(q.subject, bnodes), _to_rdflib(q.predicate, bnodes), _to_rdflib(q.object, bnodes))
                for q in ox.parse(data, format=rdf_format, base_iri=base)
            ]
    except SyntaxError as exc:
        raise InputError(_syntax_error_message(path, exc)) from None
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: cannot be parsed: {exc}") from None
    if not triples and not allow_empty:
        raise InputError(f"{path}: contains no RDF statements")
    for triple in triples:
        graph.add(triple)
    return graph


def parse_rdf_files(paths: Iterable[Path], into: Graph | None = None) -> Graph:
    graph = into if into is not None else Graph()
    for path in paths:
        parse_rdf_file(Path(path), into=graph)
    return graph


def turtle_bytes(graph: Graph) -> bytes:
    """Deterministic Turtle: blank nodes are relabelled canonically, so equal graphs give equal bytes."""
    from rdflib.compare import to_canonical_graph

    has_bnodes = any(isinstance(t, BNode) for triple in graph for t in triple)
    if not has_bnodes:
        return graph.serialize(format="turtle", encoding="utf-8")
    canonical = Graph()
    for prefix, namespace in graph.namespaces():
        canonical.bind(prefix, namespace, override=True, replace=True)
    for triple in to_canonical_graph(graph):
        canonical.add(triple)
    return canonical.serialize(format="turtle", encoding="utf-8")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that readers see either the old content or the new, never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
