"""Reading and writing RDF files: clear errors, no network, deterministic and atomic output.

Files are parsed with pyoxigraph, which reports the line and column of a syntax error and
never fetches anything (JSON-LD remote @contexts are refused), then handed over as rdflib
graphs for pyshacl, owlready2 and the rest of the rdflib API.
"""
from __future__ import annotations

import logging
import os
import re
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
    # One rdflib object per distinct term: saves memory, and lets dict lookups (rdflib's indexes,
    # turtle_bytes) match by identity instead of calling rdflib's Python __eq__.
    shared: dict = {}

    def convert(term):
        node = shared.get(term)
        if node is None:
            node = shared[term] = _to_rdflib(term, bnodes)
        return node

    try:
        with quiet_ill_typed_literals():
            triples = [(convert(q.subject), convert(q.predicate), convert(q.object))
                       for q in ox.parse(data, format=rdf_format, base_iri=base)]
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


# ---------------------------------------------------------------------------------------------
# Turtle writer. One writer for every graph size: rdflib's serializer took ~0.5 s for our 7k
# triples and ~90 s for 10^6; this one reads rdflib's indexes directly, makes each term's text
# once, and sorts everything by that text, so the bytes never depend on insertion order, blank
# node ids or the hash seed.

_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LOCAL_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?\Z")
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+\Z")
_XSD = str(XSD)
_XSD_STRING = _XSD + "string"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_TYPE = _RDF + "type"
# An IRI that Turtle cannot carry raw (a space, `<`, ...) is handed to the canonicaliser under this
# stand-in (its UTF-8 bytes in hex: one stand-in per IRI) and written back with \u escapes.
_UNSAFE_IRI = "urn:x-allkg-unsafe-iri:"
# Blank nodes nested deeper than this get a label and a block of their own (keeps lines readable
# and the writer's recursion shallow).
MAX_NESTING = 50
_INDENT = "    "


def _escape(text: str) -> str:
    # Turtle/N-Triples short-string escapes: only these four characters may not appear raw.
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return text


def _nt_iri(iri: str) -> str:
    """An IRI as N-Triples for the canonicaliser: unsafe IRIs travel under a reversible stand-in."""
    if _IRI_UNSAFE.search(iri):
        return f"<{_UNSAFE_IRI}{iri.encode('utf-8').hex()}>"
    return f"<{iri}>"


class _TurtleTerms(dict):
    """rdflib term -> its Turtle text (a prefixed name where that is safe, else <IRI>), made once per term.

    Records which prefixes the texts use, so only those are declared."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        super().__init__()
        self.prefix_for = {namespace: prefix for prefix, namespace in prefixes.items()}
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        if iri.startswith(_UNSAFE_IRI):
            iri = bytes.fromhex(iri[len(_UNSAFE_IRI):]).decode("utf-8")
        if _IRI_UNSAFE.search(iri):
            # Not a valid IRI (rdflib accepts e.g. spaces): keep it, escaped, rather than fail.
            return "<" + _IRI_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04X}", iri) + ">"
        cut = max(iri.rfind("/"), iri.rfind("#")) + 1
        prefix = self.prefix_for.get(iri[:cut])
        if prefix is not None and _LOCAL_NAME.match(iri, cut):
            self.used.add(prefix)
            return f"{prefix}:{iri[cut:]}"
        return f"<{iri}>"

    def literal(self, value: str, language: str | None, datatype: str | None) -> str:
        if language:
            return f'"{_escape(value)}"@{language}'
        if datatype is None or datatype == _XSD_STRING:
            return f'"{_escape(value)}"'
        if datatype.startswith(_XSD):  # Turtle's bare numbers and booleans, when the lexical form allows
            kind = datatype[len(_XSD):]
            if (kind == "integer" and _INTEGER.match(value)) or (kind == "decimal" and _DECIMAL.match(value)) \
                    or (kind == "boolean" and value in ("true", "false")):
                return value
        return f'"{_escape(value)}"^^{self.iri(datatype)}'

    def __missing__(self, term) -> str:
        if isinstance(term, URIRef):
            text = self.iri(str(term))
        elif isinstance(term, Literal):
            text = self.literal(str(term), term.language, None if term.datatype is None else str(term.datatype))
        else:  # blank nodes are written from the canonicalised triples, never through this table
            raise ValueError(f"unsupported RDF term {term!r}")
        self[term] = text
        return text

    def ox_text(self, term) -> str:
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self.literal(term.value, term.language, term.datatype.value if term.datatype else None)


def _indexes(graph: Graph) -> tuple[dict, dict]:
    """(subject -> predicate -> objects, object -> subject -> predicates).

    rdflib's in-memory store already holds both indexes; reading them directly is several
    times faster than graph.triples(). Other (or shared) stores are read the slow way."""
    from rdflib.plugins.stores.memory import Memory

    store = graph.store
    contexts = getattr(store, "_Memory__all_contexts", None)
    # Only when this graph is the store's one context: otherwise the index holds other graphs' triples.
    if type(graph) is Graph and type(store) is Memory and contexts is not None and \
            all(context.identifier == graph.identifier for context in contexts):
        spo = getattr(store, "_Memory__spo", None)
        osp = getattr(store, "_Memory__osp", None)
        if spo is not None and osp is not None:
            return spo, osp
    spo, osp = {}, {}
    for s, p, o in graph:
        spo.setdefault(s, {}).setdefault(p, {})[o] = 1
        osp.setdefault(o, {}).setdefault(s, {})[p] = 1
    return spo, osp


def _canonical_blank_triples(spo: dict, osp: dict, blanks: set, terms: _TurtleTerms) -> dict[str, dict[str, list[str]]]:
    """The triples that mention a blank node, with canonical RDFC-1.0 labels, as subject -> predicate -> objects text.

    RDFC-1.0 only ever looks at the quads that mention a blank node, so canonicalising this
    subset gives the same labels as canonicalising the whole graph, at a fraction of the cost."""
    label = {node: f"_:b{n}" for n, node in enumerate(blanks)}

    def nt_term(term) -> str:
        if term in label:
            return label[term]
        if isinstance(term, URIRef):
            return _nt_iri(str(term))
        if term.language or term.datatype is None:
            return terms.literal(str(term), term.language, None)
        return f'"{_escape(str(term))}"^^{_nt_iri(str(term.datatype))}'

    lines = set()
    for node in blanks:
        for p, objects in spo.get(node, {}).items():
            lines.update(f"{label[node]} {nt_term(p)} {nt_term(o)} .\n" for o in objects)
        for s, predicates in osp.get(node, {}).items():
            lines.update(f"{nt_term(s)} {nt_term(p)} {label[node]} .\n" for p in predicates)
    dataset = ox.Dataset(ox.parse("".join(sorted(lines)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    grouped: dict[str, dict[str, list[str]]] = {}
    for quad in dataset:
        triple = quad.triple
        predicate = "a" if triple.predicate.value == _RDF_TYPE else terms.ox_text(triple.predicate)
        objects = grouped.setdefault(terms.ox_text(triple.subject), {}).setdefault(predicate, [])
        objects.append(terms.ox_text(triple.object))
    return grouped


def _is_blank(text: str) -> bool:
    return text.startswith("_:")  # no prefixed name, IRI or literal text starts so


class _BlankNodeLayout:
    """Where each blank node goes in the output, decided on the canonical statements (all text).

    A blank node that is the object of exactly one triple is written inside that triple, as
    `[ p o ]`, or as `( a b )` when it heads a well-formed RDF list; one that is nobody's object
    starts a `[] p o .` block; one referenced twice or more, or closing a cycle, or nested deeper
    than MAX_NESTING keeps its canonical label and gets its own block. Every decision depends
    only on the canonical statements, so the layout is as deterministic as they are."""

    def __init__(self, statements: dict[str, dict[str, list[str]]], terms: _TurtleTerms) -> None:
        self.statements = statements
        used = set(terms.used)
        self.first, self.rest, self.nil = (terms.iri(_RDF + name) for name in ("first", "rest", "nil"))
        terms.used.intersection_update(used)  # declare rdf: only if the statements use it
        self.references: dict[str, int] = {}
        for predicates in statements.values():
            for objects in predicates.values():
                for obj in objects:
                    if _is_blank(obj):
                        self.references[obj] = self.references.get(obj, 0) + 1
        nodes = {s for s in statements if _is_blank(s)} | set(self.references)
        self.labelled = {node for node, count in self.references.items() if count > 1}
        self.roots = sorted(node for node in nodes if node not in self.references)
        self.lists: dict[str, list[str]] = {}  # list head -> its items
        self.placed: set[str] = set()  # has its place: a block of its own, or inside another node's
        self._not_lists: set[str] = set()
        for start in [s for s in statements if not _is_blank(s)] + self.roots + sorted(self.labelled):
            self._place(start)
        # Whatever is left is only reachable through a cycle of singly-referenced nodes: cut each
        # cycle at its smallest label.
        for node in sorted(nodes):
            if node not in self.placed:
                self.labelled.add(node)
                self._place(node)

    def _place(self, start: str) -> None:
        """Place start's inline descendants (iteratively: lists and chains can be long)."""
        self.placed.add(start)
        stack = [(obj, 0) for objects in self.statements.get(start, {}).values() for obj in objects]
        while stack:
            node, parent_depth = stack.pop()
            if not _is_blank(node) or node in self.labelled or node in self.placed:
                continue
            depth = parent_depth + 1
            if depth > MAX_NESTING:
                self.labelled.add(node)
                depth = 0
            else:
                items = self._list_items(node)
                if items is not None:
                    self.lists[node] = items
                    stack.extend((item, depth) for item in items)
                    continue
            self.placed.add(node)
            stack.extend((obj, depth) for objects in self.statements.get(node, {}).values() for obj in objects)

    def _list_items(self, head: str) -> list[str] | None:
        """The items of the well-formed list starting at head (placing its cells), or None."""
        items: list[str] = []
        seen: list[str] = []
        node = head
        while node != self.nil:
            predicates = self.statements.get(node)
            if not _is_blank(node) or node in self._not_lists or node in self.labelled or node in self.placed \
                    or node in seen or self.references.get(node) != 1 or predicates is None or len(predicates) != 2:
                self._not_lists.update(seen)  # the same defect ends every walk through these cells
                return None
            first, rest = predicates.get(self.first), predicates.get(self.rest)
            if first is None or rest is None or len(first) != 1 or len(rest) != 1:
                self._not_lists.update(seen)
                self._not_lists.add(node)
                return None
            seen.append(node)
            items.append(first[0])
            node = rest[0]
        self.placed.update(seen)
        return items

    def object_text(self, obj: str, depth: int) -> str:
        """An object as written inside a statement whose subject is `depth` brackets deep."""
        if not _is_blank(obj) or obj in self.labelled:
            return obj
        items = self.lists.get(obj)
        if items is not None:  # a list adds no indentation: its items stay on the line
            return "( " + " ".join([self.object_text(item, depth) for item in items]) + " )"
        predicates = self.statements.get(obj)
        return "[ " + self.predicate_list(predicates, depth + 1) + " ]" if predicates else "[]"

    def predicate_list(self, predicates: dict[str, list[str]], depth: int) -> str:
        """`p o1,\\n o2 ;\\n p2 o3` with rdf:type (`a`) first, then predicates and objects by text."""
        # Nested predicates sit one step right of the enclosing statement's further objects.
        indent = "\n" + _INDENT * (2 * depth + 1)
        between_objects = "," + indent + _INDENT
        parts = []
        for predicate in sorted(predicates, key=lambda p: (p != "a", p)):
            objects = sorted([self.object_text(obj, depth) for obj in predicates[predicate]])
            parts.append(predicate + " " + between_objects.join(objects))
        return (" ;" + indent).join(parts)

    def blank_blocks(self) -> list[str]:
        """The top-level blocks of blank nodes: `[] p o .` for the roots, then the labelled ones."""
        blocks = sorted(f"[] {self.predicate_list(self.statements[root], 0)} .\n\n" for root in self.roots)
        for node in sorted(self.labelled):
            predicates = self.statements.get(node)
            if predicates:
                blocks.append(f"{node} {self.predicate_list(predicates, 0)} .\n\n")
        return blocks


_OBJECTS_BREAK = ",\n" + _INDENT * 2
_TYPE_HEAD = "a "  # compared by identity in the hot loop
_NAMED_TYPES = frozenset({URIRef, Literal})


class _PredicateHeads(dict):
    """rdflib predicate -> the start of its part of a block: `text ` (`a ` for rdf:type), made once per predicate."""

    def __init__(self, terms: _TurtleTerms) -> None:
        super().__init__()
        self.terms = terms

    def __missing__(self, predicate) -> str:
        # rdf:type is never looked up as a term: `a` needs no rdf: prefix declaration.
        head = self[predicate] = _TYPE_HEAD if str(predicate) == _RDF_TYPE else self.terms[predicate] + " "
        return head


def _plain_block(subject: str, predicates: dict, text, head) -> str:
    """The block of a subject without blank nodes, straight from rdflib's index (the hot loop)."""
    parts = []
    type_part = None
    for p, objects in predicates.items():
        start = head(p)
        if len(objects) == 1:
            (obj,) = objects
            part = start + text(obj)
        elif objects:
            part = start + _OBJECTS_BREAK.join(sorted(map(text, objects)))
        else:  # rdflib's store keeps emptied index entries after a remove()
            continue
        if start is _TYPE_HEAD:
            type_part = part
        else:
            parts.append(part)
    parts.sort()  # each part starts with its (unique) predicate, so this orders by predicate
    if type_part is not None:
        parts.insert(0, type_part)
    return subject + " " + " ;\n    ".join(parts) + " .\n\n" if parts else ""


def turtle_bytes(graph: Graph) -> bytes:
    """Deterministic, readable Turtle of a graph: equal graphs give equal bytes.

    Each distinct term is turned into Turtle text once; subjects, predicates (rdf:type first,
    as `a`) and objects are sorted by that text. Blank nodes get canonical RDFC-1.0 labels
    (pyoxigraph's canonicaliser, run only on the triples that mention them); those referenced
    once are then written nested (`[ ... ]`, lists as `( ... )`), see _BlankNodeLayout, and the
    rest come after the named subjects. The project's prefixes that the text uses are declared.
    """
    from graph_build.namespaces import PREFIXES

    terms = _TurtleTerms(dict(PREFIXES))
    spo, osp = _indexes(graph)
    # type() first: isinstance on rdflib terms is slow, and this looks at every subject and object.
    blanks = {t for t in spo if type(t) not in _NAMED_TYPES and isinstance(t, BNode)} | \
        {t for t in osp if type(t) not in _NAMED_TYPES and isinstance(t, BNode)}
    statements = _canonical_blank_triples(spo, osp, blanks, terms) if blanks else {}
    layout = _BlankNodeLayout(statements, terms)
    with_blank_objects = {s for node in blanks for s in osp.get(node, ())}
    text = terms.__getitem__
    head = _PredicateHeads(terms).__getitem__
    out = []
    for subject_text, subject in sorted([(text(s), s) for s in spo if s not in blanks] if blanks else
                                        [(text(s), s) for s in spo]):
        predicates = spo[subject]
        if subject in with_blank_objects:
            merged = {p: list(objects) for p, objects in statements.get(subject_text, {}).items()}
            for p, objects in predicates.items():
                named = [text(o) for o in objects if o not in blanks]
                if named:
                    merged.setdefault(head(p)[:-1], []).extend(named)
            if merged:
                out.append(f"{subject_text} {layout.predicate_list(merged, 0)} .\n\n")
        else:
            out.append(_plain_block(subject_text, predicates, text, head))
    out.extend(layout.blank_blocks())
    header = [f"@prefix {prefix}: <{PREFIXES[prefix]}> .\n" for prefix in sorted(terms.used)]
    if header:
        header.append("\n")
    out = [block for block in out if block]
    if out:
        out[-1] = out[-1][:-1]  # one newline at the end of the file, not a blank line
    return "".join(header + out).encode("utf-8")



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
