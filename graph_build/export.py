"""Export the built graph (dist/allkg.ttl) to the other release formats.

Every export is made from the canonical Turtle file's triples, so each one holds exactly the
same graph (the tests compare them with rdflib and with pyoxigraph):

| format   | files                                   | for                                          |
|----------|-----------------------------------------|----------------------------------------------|
| `nt`     | allkg.nt                                | line-based tools, `sort`/`diff`, bulk loaders |
| `jsonld` | allkg.jsonld, allkg.context.jsonld      | JSON tooling; the context is embedded too     |
| `owl`    | allkg.owl (RDF/XML)                     | Protégé, owlready2, the OWL API               |
| `kgx`    | kgx/nodes.tsv, kgx/edges.tsv            | the Biolink/Monarch KGX tool chain            |
| `full`   | allkg-full.ttl                          | the graph with ontology/imports/*.ttl merged  |

Serialisation uses pyoxigraph (Rust), which is fast at any size; blank nodes are renamed
canonically first, so the same graph always gives byte-identical files. Nothing here touches
the network: the JSON-LD context is written next to the data and embedded in it.

Graphs above FAST_THRESHOLD triples (50k; ours has ~7k) take a faster route, with the same
guarantees (canonical labels, sorted, no duplicates, byte-identical for the same graph):
blank nodes get RDFC-1.0 labels (`_:c14n0`, ...), triples are ordered by their N-Triples line,
and allkg.jsonld keeps the embedded context but writes every IRI in full (expanded form, one
node object per subject and line) instead of as a CURIE, because formatting a million
CURIEs in Python takes seconds. Any JSON-LD processor reads both forms as the same triples.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Sequence

import pyoxigraph as ox

from graph_build.errors import InputError
from graph_build.namespaces import PREFIXES

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

CONTEXT_FILE = "allkg.context.jsonld"
FULL_FILE = "allkg-full.ttl"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    files: tuple[str, ...]
    description: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    fmt.name: fmt
    for fmt in (
        ExportFormat("nt", ("allkg.nt",), "N-Triples, one triple per line, sorted"),
        ExportFormat("jsonld", ("allkg.jsonld", CONTEXT_FILE), "JSON-LD with a local (embedded) context"),
        ExportFormat("owl", ("allkg.owl",), "RDF/XML for Protégé and owlready2"),
        ExportFormat("kgx", ("kgx/nodes.tsv", "kgx/edges.tsv"), "KGX TSV nodes/edges with Biolink categories and predicates"),
        ExportFormat("full", (FULL_FILE,), "Turtle with the import modules (ontology/imports/*.ttl) merged in"),
    )
}


# --------------------------------------------------------------------------------------------
# Reading: triples with canonical blank-node labels
# --------------------------------------------------------------------------------------------


def _parse(data: bytes, rdf_format: ox.RdfFormat, where: str) -> list[ox.Triple]:
    try:
        return [quad.triple for quad in ox.parse(data, format=rdf_format)]
    except SyntaxError as exc:
        line = f":{exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise InputError(f"{where}{line}: syntax error: {getattr(exc, 'msg', exc)}") from None
    except (ValueError, OSError) as exc:
        raise InputError(f"{where}: cannot be parsed: {exc}") from None


def _rename_blank_nodes(triples: Iterable[ox.Triple], prefix: str) -> list[ox.Triple]:
    """Give one file's blank nodes a file-specific label, so merged files cannot share a node."""

    def rename(term):
        return ox.BlankNode(f"{prefix}{term.value}") if isinstance(term, ox.BlankNode) else term

    return [ox.Triple(rename(t.subject), t.predicate, rename(t.object)) for t in triples]


# Above this many triples the graph is canonicalised, ordered and written the fast way (see
# _canonical_fast and jsonld_expanded_bytes); our own graph (~7k triples) keeps exactly today's
# files.
FAST_THRESHOLD = 50_000


@dataclass(frozen=True)
class CanonicalGraph:
    """A graph with canonical blank-node labels, sorted and duplicate-free, with its N-Triples.

    `ntriples` is the N-Triples file of exactly `triples` (one line each, same order), or None
    when it was not made yet (small graphs: ntriples_bytes makes it on demand).
    """

    triples: list[ox.Triple]
    ntriples: bytes | None = None
    large: bool = False


def canonical_graph(triples: Iterable[ox.Triple]) -> CanonicalGraph:
    """The triples, blank nodes relabelled canonically, in a fixed order, without duplicates."""
    triples = list(triples)
    if len(triples) > FAST_THRESHOLD:
        ordered, ntriples = _canonical_fast(triples)
        return CanonicalGraph(ordered, ntriples, large=True)
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return CanonicalGraph(sorted((quad.triple for quad in dataset), key=_sort_key))


def canonical_triples(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples of canonical_graph: canonical blank-node labels, sorted, unique."""
    return canonical_graph(triples).triples


def _canonical_fast(triples: list[ox.Triple]) -> tuple[list[ox.Triple], bytes]:
    """(canonical sorted unique triples, their N-Triples file) for a large graph.

    No Python work per triple: pyoxigraph writes every triple as one N-Triples line (in Rust),
    and dict/sorted/join (in C) drop duplicates, order the lines and make the file. Canonical
    labels (RDFC-1.0) depend only on the triples that mention a blank node, so only the lines
    containing "_:" (all of those, plus any literal that happens to contain "_:") go through
    the canonicaliser. The order is that of the N-Triples lines as bytes, which is also what
    `sort` gives with LC_ALL=C.
    """
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    lines = text.split(b"\n")
    lines.pop()  # the text ends with a newline
    if len(lines) != len(triples):  # N-Triples escapes newlines, so this cannot happen
        raise RuntimeError(f"N-Triples writer gave {len(lines)} lines for {len(triples)} triples")
    graph = dict(zip(lines, triples))
    blank_lines = _lines_containing(text, b"_:")
    if blank_lines:
        with_blanks = [graph.pop(line) for line in blank_lines]
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in with_blanks)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        relabelled = [quad.triple for quad in dataset]
        new_lines = ox.serialize(relabelled, format=ox.RdfFormat.N_TRIPLES).split(b"\n")
        new_lines.pop()
        graph.update(zip(new_lines, relabelled))
    ordered_lines = sorted(graph)
    ordered = list(map(graph.__getitem__, ordered_lines))
    if ordered_lines:
        ordered_lines.append(b"")  # the file ends with a newline; no second copy of it to add one
    return ordered, b"\n".join(ordered_lines)


def _lines_containing(text: bytes, needle: bytes) -> list[bytes]:
    """The distinct lines of `text` that contain `needle` (the regex engine scans fastest)."""
    found: dict[bytes, None] = {}
    end = -1
    for match in re.finditer(re.escape(needle), text):
        position = match.start()
        if position < end:  # on the line just taken
            continue
        start = text.rfind(b"\n", 0, position) + 1
        end = text.find(b"\n", position)
        end = len(text) if end < 0 else end
        found[text[start:end]] = None
    return list(found)


def _sort_key(triple: ox.Triple) -> tuple[str, str, str]:
    return (_term_key(triple.subject), triple.predicate.value, _term_key(triple.object))


def _term_key(term) -> str:
    # Named nodes first, then blank nodes, then literals: a readable order for every format.
    if isinstance(term, ox.NamedNode):
        return "0" + term.value
    if isinstance(term, ox.BlankNode):
        return "1" + term.value
    return "2" + str(term)


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def ntriples_bytes(triples: Sequence[ox.Triple]) -> bytes:
    """Canonical N-Triples, lines sorted (so `diff` and `sort -m` work on releases)."""
    lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).splitlines()
    return b"".join(line + b"\n" for line in sorted(set(lines)) if line)


def rdfxml_bytes(triples: Sequence[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=dict(PREFIXES))


def pyoxigraph_turtle_bytes(triples: Sequence[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))


def jsonld_context() -> dict[str, str]:
    """The JSON-LD @context: the project's prefixes (the same ones the Turtle file declares)."""
    return dict(sorted(PREFIXES.items()))


def context_bytes() -> bytes:
    return _json_bytes({"@context": jsonld_context()})


class _Compactor:
    """IRI -> CURIE with the project's prefixes, where JSON-LD expands the CURIE back unchanged."""

    def __init__(self, context: dict[str, str]) -> None:
        # Longest namespace first, so `allkg:` wins over a shorter namespace that also matches.
        self.namespaces = sorted(context.items(), key=lambda item: -len(item[1]))
        self.terms = set(context)
        self.cache: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        cached = self.cache.get(iri)
        if cached is None:
            cached = self.cache[iri] = self._compact(iri)
        return cached

    def _compact(self, iri: str) -> str:
        for prefix, namespace in self.namespaces:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                local = iri[len(namespace):]
                if not local.startswith("//"):  # "p://x" is read as an absolute IRI, not a CURIE
                    return f"{prefix}:{local}"
        scheme = iri.split(":", 1)[0]
        if scheme in self.terms:  # would be misread as a CURIE; cannot happen with our prefixes
            raise InputError(f"cannot write IRI <{iri}> in JSON-LD: its scheme is also a prefix")
        return iri


def jsonld_bytes(triples: Sequence[ox.Triple]) -> bytes:
    """JSON-LD 1.1 (flattened, one node object per subject) with the context embedded.

    Written by hand rather than by a library so that the output is stable (sorted nodes,
    properties and values) and uses CURIEs; the embedded context means no processor ever
    needs to fetch one.
    """
    context = jsonld_context()
    compact = _Compactor(context)

    # Each distinct term is formatted once (pyoxigraph terms hash in Rust); on large graphs this
    # per-term work, not JSON encoding, is what dominates.
    ids: dict = {}
    values: dict = {}

    def node_id(term) -> str:
        found = ids.get(term)
        if found is None:
            found = ids[term] = f"_:{term.value}" if isinstance(term, ox.BlankNode) else compact(term.value)
        return found

    def value(term) -> tuple[tuple[str, str, str, str], dict[str, str]]:
        """(sort key, JSON-LD value object) of an object term."""
        found = values.get(term)
        if found is None:
            if isinstance(term, ox.Literal):
                datatype = term.datatype.value
                if term.language:
                    obj = {"@value": term.value, "@language": term.language}
                elif datatype == XSD_STRING:
                    obj = {"@value": term.value}
                else:
                    obj = {"@value": term.value, "@type": compact(datatype)}
            else:
                obj = {"@id": node_id(term)}
            key = (obj.get("@id", ""), obj.get("@value", ""), obj.get("@language", ""), obj.get("@type", ""))
            found = values[term] = (key, obj)
        return found

    nodes: dict[str, dict[str, list]] = {}
    for triple in triples:
        node = nodes.get(subject := node_id(triple.subject))
        if node is None:
            node = nodes[subject] = {}
        node.setdefault(triple.predicate.value, []).append(triple.object)

    first = itemgetter(0)
    graph = []
    for identifier in sorted(nodes, key=lambda i: (i.startswith("_:"), i)):
        properties = nodes[identifier]
        obj: dict[str, object] = {"@id": identifier}
        types = properties.get(RDF_TYPE, [])
        if types and all(isinstance(t, ox.NamedNode) for t in types):
            obj["@type"] = sorted(compact(t.value) for t in properties.pop(RDF_TYPE))
        for predicate in sorted(properties, key=compact):
            obj[compact(predicate)] = [v for _, v in sorted(map(value, properties[predicate]), key=first)]
        graph.append(obj)
    # One node object per line: readable, diff-friendly, and json's fast C encoder does the work.
    lines = [json.dumps(node, ensure_ascii=False) for node in graph]
    head = json.dumps(context, ensure_ascii=False, indent=1)
    return ("{\n\"@context\": " + head + ",\n\"@graph\": [\n" + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def jsonld_expanded_bytes(triples: Sequence[ox.Triple]) -> bytes:
    """JSON-LD for large graphs: the embedded context, and pyoxigraph's node objects as @graph.

    pyoxigraph writes one node object per run of triples with the same subject, every IRI in
    full; `triples` are sorted, so that is one node object per subject. The hand-written
    compact writer (jsonld_bytes) costs ~7 s per million triples, this ~0.8 s. The context is
    still embedded (for tools that compact, and to match the small graph's file); full IRIs
    are unaffected by it, except an IRI whose scheme is one of the prefixes ("all:x" would be
    read as a CURIE): when one may occur, the compact writer is used, which reports it.
    """
    graph = ox.serialize(triples, format=ox.RdfFormat.JSON_LD)
    if _prefix_scheme_iri(graph):
        return jsonld_bytes(triples)
    head = json.dumps(jsonld_context(), ensure_ascii=False, indent=1).encode("utf-8")
    # One node object per line, like the small graph's file. `]},{"@id":` occurs only between
    # node objects: inside a JSON string the quotes would be escaped, and value objects hold no
    # arrays.
    nodes = memoryview(graph.replace(b']},{"@id":', b']},\n{"@id":'))[1:-1]  # without [ and ]
    return b"".join((b'{\n"@context": ', head, b',\n"@graph": [\n', nodes, b"\n]}\n" if nodes else b"]}\n"))


def _prefix_scheme_iri(document: bytes) -> bool:
    """Whether a JSON string in `document` may be an IRI whose scheme is a context prefix."""
    schemes = b"|".join(re.escape(prefix.encode("utf-8")) for prefix in jsonld_context())
    return re.search(b'"(?:' + schemes + b"):", document) is not None


def _json_bytes(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# Import modules and the whole export
# --------------------------------------------------------------------------------------------


def import_module_files(imports_dir: Path | None) -> list[Path]:
    if imports_dir is None or not Path(imports_dir).is_dir():
        return []
    return sorted(Path(imports_dir).glob("*.ttl"))


def merged_with_imports(triples: Sequence[ox.Triple], import_files: Sequence[Path]) -> list[ox.Triple]:
    """The graph plus every import module (each file's blank nodes kept apart)."""
    from graph_build.progress import track

    merged = list(triples)
    for index, path in enumerate(track(import_files, "merging imports")):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
        merged.extend(_rename_blank_nodes(_parse(data, ox.RdfFormat.TURTLE, str(path)), f"i{index}x"))
    return canonical_triples(merged)


def parse_formats(names: Iterable[str]) -> list[str]:
    """Validate format names ("all" = every format) -> ordered list of EXPORT_FORMATS keys."""
    chosen: list[str] = []
    for raw in names:
        for name in (part.strip().lower() for part in raw.split(",")):
            if not name:
                continue
            if name == "all":
                chosen.extend(EXPORT_FORMATS)
            elif name in EXPORT_FORMATS:
                chosen.append(name)
            else:
                known = ", ".join([*EXPORT_FORMATS, "all"])
                raise InputError(f"unknown export format '{name}' (known: {known})")
    return [name for name in EXPORT_FORMATS if name in chosen]


def export_files(
    turtle: bytes,
    formats: Iterable[str] = tuple(EXPORT_FORMATS),
    imports_dir: Path | None = None,
    where: str = "allkg.ttl",
    notes: list[str] | None = None,
) -> dict[str, bytes]:
    """The export files (name relative to dist/ -> bytes) for the Turtle graph `turtle`."""
    from graph_build.kgx import kgx_tables

    wanted = parse_formats(formats)
    parsed = _parse(turtle, ox.RdfFormat.TURTLE, where)
    outputs: dict[str, bytes] = {}
    if wanted == ["full"]:  # the merge is canonicalised on its own: no need to do the graph first
        return _with_full(outputs, parsed, imports_dir, notes)
    canonical = canonical_graph(parsed)
    triples = canonical.triples
    if "nt" in wanted:
        outputs["allkg.nt"] = canonical.ntriples if canonical.ntriples is not None else ntriples_bytes(triples)
    if "jsonld" in wanted:
        outputs["allkg.jsonld"] = jsonld_expanded_bytes(triples) if canonical.large else jsonld_bytes(triples)
        outputs[CONTEXT_FILE] = context_bytes()
    if "owl" in wanted:
        outputs["allkg.owl"] = rdfxml_bytes(triples)
    if "kgx" in wanted:
        nodes, edges, kgx_notes = kgx_tables(triples)
        outputs["kgx/nodes.tsv"] = nodes
        outputs["kgx/edges.tsv"] = edges
        if notes is not None:
            notes.extend(kgx_notes)
    if "full" in wanted:
        _with_full(outputs, triples, imports_dir, notes)
    return outputs


def _with_full(outputs: dict[str, bytes], triples: Sequence[ox.Triple], imports_dir: Path | None,
               notes: list[str] | None) -> dict[str, bytes]:
    """Add allkg-full.ttl (the graph with the import modules merged) to `outputs`."""
    modules = import_module_files(imports_dir)
    if modules:
        outputs[FULL_FILE] = pyoxigraph_turtle_bytes(merged_with_imports(triples, modules))
    elif notes is not None:
        notes.append(f"export: no import modules in {imports_dir}, so {FULL_FILE} was not written")
    return outputs


def export_step(ctx) -> None:
    """Build step: add every export of the Turtle graph to the files published with it.

    Runs after the other steps, from the allkg.ttl bytes they produced, so each export holds
    exactly the published graph and all files reach dist/ in the same atomic publish.
    """
    from graph_build import paths
    from graph_build.build import GRAPH_FILE

    turtle = ctx.outputs.get(GRAPH_FILE)
    if turtle is None:
        from graph_build.rdf_io import turtle_bytes

        turtle = turtle_bytes(ctx.graph)
    imports_dir = getattr(ctx.options, "imports_dir", None) or paths.IMPORTS_DIR
    ctx.outputs.update(export_files(turtle, imports_dir=imports_dir, notes=ctx.notes))
