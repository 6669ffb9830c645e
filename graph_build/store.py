"""The query engine: run SPARQL 1.1 queries on the built graph, an rdflib graph or a remote endpoint.

API (other commands and the tests use it; keep it stable):

- ``QueryEngine(files=None, *, with_imports=False)`` loads RDF files (default: dist/allkg.ttl;
  ``with_imports`` adds ontology/imports/*.ttl) into an in-memory ``pyoxigraph.Store`` (Oxigraph:
  fast start-up and evaluation). ``engine.store`` is the Store.
- ``RdflibEngine(files=None, *, graph=None)``: the same queries through rdflib's own SPARQL engine
  (a second, independent implementation, used by the tests). It never touches the network:
  SERVICE is refused and ``rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS`` is switched off, so
  FROM / FROM NAMED never fetch.
- ``engine_for_endpoint(url)`` -> ``EndpointEngine``: POSTs the query (application/sparql-query)
  to a SPARQL 1.1 endpoint with urllib.
- ``engine.run(query_text, *, allow_service=False) -> QueryResult``. Every engine first calls
  ``graph_build.sparql_params.check_query``: updates are refused, and so is SERVICE unless
  ``allow_service`` (on Oxigraph a permitted SERVICE really sends an HTTP request).
  Errors are ``InputError`` with one line: a syntax error gives ``query:LINE:COLUMN``.
- ``QueryResult``: ``kind`` ('select', 'ask', 'construct', 'describe'), ``variables``,
  ``rows`` (tuples of pyoxigraph terms, None when unbound), ``boolean`` (ASK), ``triples``
  (CONSTRUCT/DESCRIBE, pyoxigraph Triples); ``python_rows()`` gives plain Python values;
  ``serialize(fmt)`` gives bytes in ``table`` (aligned, prefixed names), ``json``, ``xml``,
  ``csv``, ``tsv`` (the W3C SPARQL results formats) or ``turtle``, ``nt``, ``jsonld`` (graphs).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable, Sequence

import pyoxigraph as ox

from graph_build.errors import InputError
from graph_build.sparql_params import check_query

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RESULT_FORMATS = ("table", "json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "nt", "jsonld")
FORMATS = RESULT_FORMATS + GRAPH_FORMATS
_RESULTS_FORMAT = {"xml": ox.QueryResultsFormat.XML, "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
_RDF_FORMAT = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
_FILE_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD,
                 ".json": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
                 ".xml": ox.RdfFormat.RDF_XML}
_LOCAL_NAME = re.compile(r"^[A-Za-z_][\w\-]*$|^$")


def project_prefixes() -> dict[str, str]:
    from graph_build.namespaces import PREFIXES  # lazy: pulls in rdflib

    return dict(PREFIXES)


# --------------------------------------------------------------------------- results

@dataclass
class QueryResult:
    kind: str  # 'select' | 'ask' | 'construct' | 'describe'
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    boolean: bool | None = None
    triples: list = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)  # for the table; empty: the project's

    @property
    def is_graph(self) -> bool:
        return self.kind in ("construct", "describe")

    def __len__(self) -> int:
        return len(self.triples) if self.is_graph else len(self.rows)

    # ---- plain Python
    def python_rows(self) -> list[dict[str, object]]:
        """Rows as dicts of plain values: IRIs as str, numbers as int/Decimal/float, unbound left out."""
        if self.is_graph:
            return [{"subject": to_python(t.subject), "predicate": to_python(t.predicate), "object": to_python(t.object)}
                    for t in self.triples]
        return [{v: to_python(term) for v, term in zip(self.variables, row) if term is not None} for row in self.rows]

    # ---- serialisation
    def serialize(self, fmt: str = "table") -> bytes:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise InputError(f"unknown output format '{fmt}' (use one of: {', '.join(FORMATS)})")
        if self.is_graph:
            if fmt == "table":
                return self._table(["subject", "predicate", "object"],
                                   [(t.subject, t.predicate, t.object) for t in self.triples])
            if fmt not in GRAPH_FORMATS:
                raise InputError(f"--format {fmt} is for SELECT and ASK results; a {self.kind.upper()} query "
                                 f"gives a graph: use one of {', '.join(GRAPH_FORMATS)} (or table)")
            triples = sorted(self.triples, key=str)
            return ox.serialize(triples, format=_RDF_FORMAT[fmt], prefixes=self.prefixes or project_prefixes())
        if fmt in GRAPH_FORMATS:
            raise InputError(f"--format {fmt} is for CONSTRUCT and DESCRIBE queries; "
                             f"for {self.kind.upper()} results use one of {', '.join(RESULT_FORMATS)}")
        if fmt == "table":
            if self.kind == "ask":
                return b"true\n" if self.boolean else b"false\n"
            return self._table(self.variables, self.rows)
        data = self.results_json()
        if fmt == "json":
            return data
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON).serialize(format=_RESULTS_FORMAT[fmt])

    def results_json(self) -> bytes:
        """SPARQL 1.1 Query Results JSON (the other W3C formats are converted from it by pyoxigraph)."""
        if self.kind == "ask":
            document: dict = {"head": {}, "boolean": bool(self.boolean)}
        else:
            bindings = [{v: _json_term(t) for v, t in zip(self.variables, row) if t is not None} for row in self.rows]
            document = {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    def _table(self, header: Sequence[str], rows: Iterable[tuple]) -> bytes:
        prefixes = self.prefixes or project_prefixes()
        shortener = _Shortener(prefixes)
        cells = [[shortener.text(term) for term in row] for row in rows]
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
        count = len(cells)
        lines.append(f"({count} {'row' if count == 1 else 'rows'})")
        return ("\n".join(lines) + "\n").encode("utf-8")


class _Shortener:
    def __init__(self, prefixes: dict[str, str]) -> None:
        # Longest namespace first, so all: (…/id/) does not shadow a longer one.
        self.namespaces = sorted(((ns, p) for p, ns in prefixes.items() if ns), key=lambda x: -len(x[0]))

    def text(self, term) -> str:
        if term is None:
            return ""
        if isinstance(term, ox.NamedNode):
            for namespace, prefix in self.namespaces:
                if term.value.startswith(namespace) and _LOCAL_NAME.match(term.value[len(namespace):]):
                    return f"{prefix}:{term.value[len(namespace):]}"
            return f"<{term.value}>"
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        if isinstance(term, ox.Literal):
            return term.value.replace("\n", " ")
        return str(term)


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    raise InputError(f"cannot write RDF term {term!r} in SPARQL results (RDF-star triple terms are not supported)")


def to_python(term):
    """A pyoxigraph term as a plain value: IRI -> str, numeric literal -> int/Decimal/float, else str."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    datatype = term.datatype.value if term.datatype is not None else ""
    try:
        if datatype in (XSD + "integer", XSD + "int", XSD + "long", XSD + "positiveInteger",
                        XSD + "nonNegativeInteger", XSD + "short", XSD + "negativeInteger", XSD + "nonPositiveInteger"):
            return int(term.value)
        if datatype == XSD + "decimal":
            return Decimal(term.value)
        if datatype in (XSD + "double", XSD + "float"):
            return float(term.value)
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
    except (ValueError, InvalidOperation):
        pass
    return term.value


class ResultTooLarge(InputError):
    """The result has more rows (or triples) than the caller's max_rows (used by `allkg serve`)."""


def _limited(items, max_rows: int | None):
    """The items, stopping with ResultTooLarge as soon as there are more than max_rows (None: no limit)."""
    if max_rows is None:
        return items  # no Python generator between pyoxigraph and the caller
    return _at_most(items, max_rows)


def _at_most(items, max_rows: int):
    for count, item in enumerate(items, 1):
        if count > max_rows:
            raise ResultTooLarge(f"the result has more than {max_rows} rows")
        yield item


def _from_query_solutions(results, kind: str, prefixes: dict[str, str], max_rows: int | None = None) -> QueryResult:
    if isinstance(results, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(results), prefixes=prefixes)
    if isinstance(results, ox.QueryTriples):
        return QueryResult(kind=kind if kind in ("construct", "describe") else "construct",
                           triples=list(_limited(results, max_rows)), prefixes=prefixes)
    variables = [v.value for v in results.variables]
    # A solution iterates over its values in the order of `variables` (None where unbound);
    # tuple() reads them in C, ~2x faster than looking each variable up by name.
    rows = list(map(tuple, _limited(results, max_rows)))
    return QueryResult(kind="select", variables=variables, rows=rows, prefixes=prefixes)


def _syntax_error(exc: SyntaxError, where: str) -> InputError:
    text = str(exc.msg if getattr(exc, "msg", None) else exc)
    match = re.search(r"(?:at|line)\s+(\d+)(?::|\s+column\s+)(\d+)", text)
    detail = re.sub(r"^(?:Parser )?error at (?:line )?\d+(?::|\s+column\s+)\d+:\s*", "", text)
    if match:
        return InputError(f"{where}:{match.group(1)}:{match.group(2)}: syntax error: {detail}")
    return InputError(f"{where}: syntax error: {text}")


# --------------------------------------------------------------------------- engines

def default_files(with_imports: bool = False) -> list[Path]:
    from graph_build import paths

    graph_file = paths.built_graph_file()
    if not graph_file.exists():
        raise InputError(f"{graph_file}: the built graph is missing; run `allkg build` first "
                         "(or give data files with --graph FILE)")
    return [graph_file] + (imports_files() if with_imports else [])


def imports_files() -> list[Path]:
    from graph_build import paths

    return sorted(p for p in paths.IMPORTS_DIR.glob("*.ttl") if p.is_file()) if paths.IMPORTS_DIR.is_dir() else []


def _rdf_format(path: Path) -> ox.RdfFormat:
    fmt = _FILE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown RDF format for suffix '{path.suffix or '(none)'}' "
                         f"(known: {', '.join(sorted(_FILE_FORMATS))})")
    return fmt


_TURTLE_PREFIX = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w\-.]*)?:\s*<([^>]*)>", re.I)


def _turtle_prefixes(path: Path) -> dict[str, str]:
    """The prefixes declared at the head of a Turtle file (cheap: stops at the first statement)."""
    prefixes: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = _TURTLE_PREFIX.match(line)
            if match:
                prefixes[match.group(1) or ""] = match.group(2)
            elif line.strip() and not line.lstrip().startswith("#"):
                break
    return prefixes


class QueryEngine:
    """Oxigraph (pyoxigraph) in memory, loaded from RDF files."""

    name = "oxigraph"

    def __init__(self, files: Sequence[Path] | None = None, *, with_imports: bool = False) -> None:
        paths_ = [Path(f) for f in files] if files else default_files(with_imports)
        if files and with_imports:
            paths_ += imports_files()
        self.files = paths_
        self.store = ox.Store()
        self.prefixes: dict[str, str] = {}
        for path in paths_:
            self._load(path)

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
        fmt = _rdf_format(path)
        try:
            # Store.load parses in Rust: about 10x faster than feeding quads from Python.
            self.store.load(path=str(path), format=fmt, base_iri=path.resolve().as_uri())
        except SyntaxError as exc:
            raise _syntax_error(exc, str(path)) from None
        except (ValueError, OSError) as exc:
            raise InputError(f"{path}: cannot be loaded: {exc}") from None
        if fmt == ox.RdfFormat.TURTLE:
            for prefix, namespace in _turtle_prefixes(path).items():
                self.prefixes.setdefault(prefix, namespace)

    def run(self, query_text: str, *, allow_service: bool = False, max_rows: int | None = None) -> QueryResult:
        """max_rows: raise ResultTooLarge when the result has more rows/triples (stops reading early)."""
        form = check_query(query_text, allow_service=allow_service)
        try:
            results = self.store.query(query_text)
            return _from_query_solutions(results, form.lower(), self._table_prefixes(), max_rows)
        except SyntaxError as exc:
            raise _syntax_error(exc, "query") from None
        except OSError as exc:  # e.g. a permitted SERVICE call that failed
            raise InputError(f"query: evaluation failed: {exc}") from None

    def _table_prefixes(self) -> dict[str, str]:
        # The project's prefixes come first; prefixes declared by the loaded files add to them.
        # The built graph declares exactly the project's prefixes, so no rdflib import is needed then.
        return dict(self.prefixes) if self.prefixes else {}


class RdflibEngine:
    """rdflib's SPARQL engine over an rdflib Graph: the independent second implementation."""

    name = "rdflib"

    def __init__(self, files: Sequence[Path] | None = None, *, graph=None) -> None:
        if graph is None:
            from graph_build.rdf_io import parse_rdf_files

            graph = parse_rdf_files([Path(f) for f in (files or default_files())])
        self.graph = graph

    def run(self, query_text: str, *, allow_service: bool = False) -> QueryResult:
        import rdflib.plugins.sparql as rdflib_sparql
        from pyparsing import ParseException

        # rdflib would fetch FROM / FROM NAMED graphs and SERVICE endpoints over HTTP: never here.
        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        form = check_query(query_text, allow_service=False)
        try:
            result = self.graph.query(query_text)
        except ParseException as exc:
            raise InputError(f"query:{exc.lineno}:{exc.col}: syntax error: {exc.msg}") from None
        kind = result.type.lower()
        if kind == "ask":
            return QueryResult(kind="ask", boolean=bool(result.askAnswer))
        bnodes: dict = {}
        if kind in ("construct", "describe"):
            triples = [ox.Triple(*(rdflib_to_ox(t, bnodes) for t in triple)) for triple in result.graph]
            return QueryResult(kind=form.lower() if form.lower() in ("construct", "describe") else kind, triples=triples)
        variables = [str(v) for v in result.vars]
        rows = [tuple(rdflib_to_ox(term, bnodes) for term in row) for row in result]
        return QueryResult(kind="select", variables=variables, rows=rows)


def rdflib_to_ox(term, bnodes: dict):
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        if term not in bnodes:
            bnodes[term] = ox.BlankNode()
        return bnodes[term]
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise InputError(f"unsupported RDF term {term!r}")


class EndpointEngine:
    """A remote SPARQL 1.1 endpoint over HTTP (SPARQL 1.1 Protocol, query via POST)."""

    name = "endpoint"

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        if not re.match(r"^https?://", url):
            raise InputError(f"--endpoint '{url}': expected an http:// or https:// URL")
        self.url = url
        self.timeout = timeout

    def run(self, query_text: str, *, allow_service: bool = False) -> QueryResult:
        import urllib.error
        import urllib.request

        form = check_query(query_text, allow_service=allow_service).lower()
        graph_result = form in ("construct", "describe")
        accept = "application/n-triples, text/turtle;q=0.9" if graph_result else \
            "application/sparql-results+json, application/sparql-results+xml;q=0.8"
        request = urllib.request.Request(
            self.url, data=query_text.encode("utf-8"), method="POST",
            headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": accept,
                     "User-Agent": "allkg-query"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - user-given URL
                content_type = response.headers.get_content_type()
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip().splitlines()
            raise InputError(f"{self.url}: the endpoint answered HTTP {exc.code}"
                             + (f": {detail[0][:300]}" if detail else "")) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"{self.url}: cannot reach the endpoint ({reason})") from None
        try:
            if graph_result:
                fmt = ox.RdfFormat.TURTLE if "turtle" in content_type else ox.RdfFormat.N_TRIPLES
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)]
                return QueryResult(kind=form, triples=triples)
            fmt = ox.QueryResultsFormat.XML if "xml" in content_type else ox.QueryResultsFormat.JSON
            return _from_query_solutions(ox.parse_query_results(body, format=fmt), form, {})
        except (SyntaxError, ValueError) as exc:
            raise InputError(f"{self.url}: the endpoint's answer ({content_type}) cannot be read: {exc}") from None


def engine_for_endpoint(url: str) -> EndpointEngine:
    return EndpointEngine(url)
