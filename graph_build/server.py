"""`allkg serve`: a read-only SPARQL 1.1 Protocol endpoint with linked-data pages (standard library HTTP).

Routes:
    /                  home page: classes with counts, the query library, a query editor
    /sparql            SPARQL 1.1 Protocol (GET ?query=, POST form or application/sparql-query);
                       without a query: the SPARQL service description (Turtle)
    /id/…, /vocab/…, /source/…, /fact/…, /allkg.owl
                       linked data: the description of that IRI (HTML, Turtle, N-Triples, JSON-LD)
    /queries/NAME.rq   the text of a library query
    /static/…          the editor's JavaScript and CSS
    /health            JSON: status, version, triple count, workers

Why the standard library: http.server's ThreadingHTTPServer needs no dependency, and the work
is in the query workers (graph_build.query_workers), which run each query in a process that can
be killed at the time limit. Safety: binds 127.0.0.1 unless told otherwise; updates (403) and
SERVICE (400) are refused before a query reaches a worker; request bodies and URLs are capped
(413/414); results are capped in rows and bytes (413); a query over the time limit is stopped
(503). Every response carries CORS headers, and one log line per request goes to stderr.
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from graph_build import http_negotiation as negotiation
from graph_build import paths
from graph_build.query_workers import QueryRequest, QueryWorkerPool, Reply, WorkerSettings
from graph_build.version import __version__

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC_FILES = {"editor.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
PAGE_OFFERS = ("text/html", "text/turtle", "application/n-triples", "application/ld+json")
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
JSON_TYPE = "application/json"

# Pages may use only the project's own scripts and styles; results are fetched from this origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Type, Content-Length, X-Cache",
}
_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
_LIBRARY_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 10.0  # seconds per query
    max_results: int = 10_000  # rows (SELECT) or triples (CONSTRUCT/DESCRIBE)
    max_result_bytes: int = 50_000_000
    max_request_bytes: int = 100_000  # POST body or GET URL
    graph_files: list[Path] = field(default_factory=list)  # empty: dist/allkg.ttl
    with_imports: bool = False
    workers: int = 2
    cache_mb: float = 64.0  # response cache bound in MB (0: no cache); see graph_build.response_cache
    queries_dir: Path = paths.QUERIES_DIR
    processes: int = 1  # HTTP processes sharing the port (SO_REUSEPORT); see serve()


class AllkgService:
    """The state shared by request threads: the page store, cached pages, and the query worker pool."""

    def __init__(self, config: ServerConfig, log: Callable[[str], None]) -> None:
        from graph_build.linked_data import Labeller
        from graph_build.store import QueryEngine, project_prefixes

        self.config = config
        self.log = log
        # The engine in this process serves the server's own lookups (pages, counts); user
        # queries run in the worker processes, which load the same files.
        self.engine = QueryEngine(config.graph_files or None, with_imports=config.with_imports)
        self.files = tuple(self.engine.files)
        self.store = self.engine.store
        self.triple_count = len(self.store)
        self.prefixes = project_prefixes()
        self.labeller = Labeller(self.store, self.prefixes)
        self._labeller_lock = threading.Lock()
        self.library = self._load_library()
        self.classes = self._class_counts()
        from graph_build.response_cache import ResponseCache

        self.cache = ResponseCache(int(config.cache_mb * 1024 * 1024))
        self.pool = QueryWorkerPool(
            WorkerSettings(self.files, config.max_results, config.max_result_bytes),
            size=config.workers, timeout=config.timeout, log=log,
        )

    def start(self) -> None:
        self.pool.start()

    def close(self) -> None:
        self.pool.close()

    def _load_library(self):
        from graph_build.errors import InputError
        from graph_build.html_pages import LibraryQuery
        from graph_build.sparql_params import QueryText

        queries = []
        directory = self.config.queries_dir
        for path in sorted(directory.glob("*.rq")) if directory.is_dir() else []:
            try:
                query = QueryText.from_file(path)
            except InputError as exc:
                self.log(f"query library: skipped {path.name}: {exc}")
                continue
            queries.append(LibraryQuery(path.stem, query.question or "(no question in the header)", query.text))
        return queries

    def _class_counts(self):
        from graph_build.html_pages import ClassCount

        text = """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?class (SAMPLE(?label0) AS ?label) (COUNT(DISTINCT ?member) AS ?n) WHERE {
          ?class a owl:Class .
          FILTER(STRSTARTS(STR(?class), "https://w3id.org/allkg/vocab/"))
          OPTIONAL { ?class rdfs:label ?label0 }
          OPTIONAL { ?member a ?class }
        } GROUP BY ?class"""
        rows = [(s["class"].value, s["label"].value if s["label"] else self.labeller.curie(s["class"].value),
                 int(s["n"].value)) for s in self.store.query(text)]
        return [ClassCount(iri, label, count) for iri, label, count in sorted(rows, key=lambda r: r[1].lower())]

    # -- pages
    def home_page(self, selected: str | None) -> bytes:
        from graph_build.html_pages import home_page

        queries = list(self.library)
        chosen = next((q for q in queries if q.name == selected), None)
        if chosen is not None:
            queries.remove(chosen)
            queries.insert(0, chosen)
        return home_page(self.classes, queries, triple_count=self.triple_count, version=__version__)

    def resource(self, iri: str, media_type: str) -> bytes | None:
        from graph_build import linked_data
        from graph_build.html_pages import resource_page

        if not linked_data.exists(self.store, iri):
            return None
        if media_type == "text/html":
            with self._labeller_lock:  # the label cache is shared
                view = linked_data.view(self.store, iri, self.labeller)
                return resource_page(view, self.labeller, version=__version__)
        return linked_data.serialize(linked_data.describe(self.store, iri), media_type, self.prefixes)

    def service_description(self, endpoint: str, media_type: str) -> bytes:
        import pyoxigraph as ox

        from graph_build.linked_data import RDF_FORMATS

        formats = [
            "http://www.w3.org/ns/formats/SPARQL_Results_JSON", "http://www.w3.org/ns/formats/SPARQL_Results_XML",
            "http://www.w3.org/ns/formats/SPARQL_Results_CSV", "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
            "http://www.w3.org/ns/formats/Turtle", "http://www.w3.org/ns/formats/N-Triples",
            "http://www.w3.org/ns/formats/JSON-LD",
        ]
        result_formats = " ,\n        ".join(f"<{iri}>" for iri in formats)
        turtle = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:resultFormat {result_formats} ;
    dcterms:title "ALL-KG SPARQL endpoint (read-only; updates and SERVICE are refused)"@en ;
    sd:defaultDataset [
        a sd:Dataset ;
        sd:defaultGraph [ a sd:Graph ; void:triples "{self.triple_count}"^^xsd:integer ;
                          dcterms:source <https://w3id.org/allkg/allkg.owl> ]
    ] .
"""
        if media_type == "text/turtle":
            return turtle.encode("utf-8")
        triples = [ox.Triple(q.subject, q.predicate, q.object)
                   for q in ox.parse(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)]
        return ox.serialize(triples, format=RDF_FORMATS[media_type])

    def health(self) -> dict:
        return {
            "status": "ok" if self.pool.alive > 0 else "degraded",
            "version": __version__,
            "triples": self.triple_count,
            "workers": {"configured": self.pool.size, "alive": self.pool.alive,
                        "stopped_for_time": self.pool.stats.killed_for_time},
            "cache": self.cache.stats(),
            "limits": {"timeout_s": self.config.timeout, "max_results": self.config.max_results,
                       "max_request_bytes": self.config.max_request_bytes},
            "graph_files": [str(path) for path in self.files],
            # Each HTTP process keeps its own workers and cache: these figures are the answering one's.
            "http_processes": self.config.processes if can_share_port() else 1,
            "pid": os.getpid(),
        }


def _printable(text: str, limit: int = 200) -> str:
    """A request path fit for one log line: control characters escaped, long paths cut."""
    cleaned = "".join(ch if 32 <= ord(ch) < 127 else f"\\x{ord(ch):02x}" for ch in text[:limit])
    return cleaned + ("…" if len(text) > limit else "")


class RequestHandler(BaseHTTPRequestHandler):
    """One HTTP request. `service` is set on the subclass made by make_server()."""

    service: AllkgService
    protocol_version = "HTTP/1.1"  # keep-alive: clients and load generators reuse connections
    # Headers and body are two writes; with Nagle's algorithm the second waits for the client's
    # delayed ACK (~40 ms per request on Linux). TCP_NODELAY sends both at once.
    disable_nagle_algorithm = True
    server_version = f"allkg/{__version__}"

    def version_string(self) -> str:
        return self.server_version
    _log_lock = threading.Lock()

    # -- logging: exactly one line per request, written when the request is done
    def parse_request(self) -> bool:
        self._started = time.perf_counter()
        self._status: int | None = None
        return super().parse_request()

    def handle_one_request(self) -> None:
        self._status = None
        self._cache_note = ""
        self._started = time.perf_counter()
        super().handle_one_request()
        if self._status is not None:
            elapsed = (time.perf_counter() - self._started) * 1000
            line = f"{self.client_address[0]} {self.command or '-'} {_printable(self.path or '-')} {self._status} {elapsed:.1f} ms"
            if self._cache_note:
                line += f" ({self._cache_note})"
            with self._log_lock:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()

    def log_request(self, code="-", size="-") -> None:
        self._status = int(code) if str(code).isdigit() else getattr(code, "value", None)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # http.server's own messages are replaced by the line above

    # -- responses
    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None,
              head_only: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**CORS_HEADERS, **SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body leave in one write (one system call, one TCP segment for small answers).
        buffer = getattr(self, "_headers_buffer", None)
        if buffer is None or self.request_version == "HTTP/0.9":  # HTTP/0.9 has no headers
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            return
        buffer.append(b"\r\n")
        if not head_only:
            buffer.append(body)
        self.flush_headers()

    def _reply(self, reply: Reply, head_only: bool = False, headers: dict[str, str] | None = None) -> None:
        extra = dict(headers or {})
        if reply.status == 200:
            extra.setdefault("Vary", "Accept")
        self._send(reply.status, reply.content_type, reply.body, extra, head_only)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None, head_only: bool = False) -> None:
        self._reply(Reply.error(status, message), head_only, headers)

    def send_error(self, code, message=None, explain=None) -> None:
        """http.server's own errors (bad request line, header too long): a one-line text answer."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._error(int(code), f"{phrase}: {message or explain or 'the request cannot be read'}")

    # -- methods
    def do_OPTIONS(self) -> None:
        self._send(204, TEXT, b"", {
            "Access-Control-Allow-Methods": "GET, POST, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Accept",
            "Access-Control-Max-Age": "86400",
            "Allow": "GET, POST, HEAD, OPTIONS",
        })

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run a route; a bug becomes a one-line 500 (and one stderr line), never a dropped connection."""
        try:
            action()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away
        except Exception as exc:  # noqa: BLE001 - last resort for one request
            self.close_connection = True
            with self._log_lock:
                sys.stderr.write(f"internal error on {self.command} {_printable(self.path)}: {type(exc).__name__}: {exc}\n")
            if self._status is None:  # nothing sent yet
                self._error(500, f"internal error: {type(exc).__name__}")

    def do_HEAD(self) -> None:
        self._guarded(lambda: self._get(head_only=True))

    def do_GET(self) -> None:
        self._guarded(lambda: self._get(head_only=False))

    def do_POST(self) -> None:
        self._guarded(self._post)

    def _post(self) -> None:
        path = urlsplit(self.path).path
        if path != "/sparql":
            self._drain_or_close()
            self._error(405, f"POST is accepted only at /sparql (not {path})", {"Allow": "GET, HEAD, OPTIONS"})
            return
        body = self._read_body()
        if body is None:
            return
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            self._error(403, "SPARQL updates are refused: this endpoint is read-only")
            return
        if content_type == "application/sparql-query":
            try:
                query = body.decode("utf-8")
            except UnicodeDecodeError:
                self._error(400, "the query body is not UTF-8 text")
                return
            params = self._query_params()
        elif content_type == "application/x-www-form-urlencoded":
            try:
                params = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                self._error(400, "the form body is not UTF-8 text")
                return
            if "update" in params:
                self._error(403, "SPARQL updates are refused: this endpoint is read-only")
                return
            for name, values in self._query_params().items():
                params.setdefault(name, values)
            query = _single(params, "query")
            if query is None:
                self._error(400, "the form has no 'query' field (or more than one)")
                return
        else:
            self._error(415, "POST a query as application/sparql-query, or as a form "
                        "(application/x-www-form-urlencoded) with a 'query' field; "
                        f"got Content-Type '{content_type or '(none)'}'")
            return
        self._sparql(query, params)

    def _method_not_allowed(self) -> None:
        self._drain_or_close()
        self._error(405, f"{self.command} is not allowed: this server is read-only (GET, POST /sparql, HEAD, OPTIONS)",
                    {"Allow": "GET, POST, HEAD, OPTIONS"})

    do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    # -- request reading
    def _query_params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query, keep_blank_values=True)

    def _drain_or_close(self) -> None:
        """Skip a body we will not read: close the connection rather than read an unknown amount."""
        if self.headers.get("Content-Length", "0").strip() not in ("", "0") or self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _read_body(self) -> bytes | None:
        limit = self.service.config.max_request_bytes
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._error(411, "chunked request bodies are not accepted: send a Content-Length")
            return None
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self.close_connection = True
            self._error(411, "a POST needs a Content-Length header")
            return None
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._error(400, f"bad Content-Length '{length_text}'")
            return None
        if length > limit:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            self._error(413, f"the request body is {length} bytes, more than the limit of {limit} bytes "
                        "(server option --max-request-bytes)")
            return None
        return self.rfile.read(length)

    # -- GET routes
    def _get(self, head_only: bool) -> None:
        limit = self.service.config.max_request_bytes
        if len(self.path) > limit:
            self._error(414, f"the URL is {len(self.path)} bytes, more than the limit of {limit} bytes "
                        "(server option --max-request-bytes); POST long queries instead", head_only=head_only)
            return
        parts = urlsplit(self.path)
        path = parts.path
        params = parse_qs(parts.query, keep_blank_values=True)
        if path == "/sparql":
            if "update" in params:
                self._error(403, "SPARQL updates are refused: this endpoint is read-only", head_only=head_only)
                return
            query = _single(params, "query")
            if query is None and "query" in params:
                self._error(400, "give exactly one 'query' parameter", head_only=head_only)
            elif query is None:
                self._service_description(params, head_only)
            else:
                self._sparql(query, params, head_only)
        elif path == "/":
            self._send(200, HTML, self.service.home_page(_single(params, "query")), head_only=head_only)
        elif path == "/health":
            body = (json.dumps(self.service.health(), indent=1) + "\n").encode()
            self._send(200, JSON_TYPE, body, {"Cache-Control": "no-store"}, head_only)
        elif path.startswith("/static/"):
            self._static(path[len("/static/"):], head_only)
        elif path.startswith("/queries/"):
            self._library_text(path[len("/queries/"):], head_only)
        else:
            self._linked_data(path, params, head_only)

    def _static(self, name: str, head_only: bool) -> None:
        if name not in STATIC_FILES:
            self._error(404, f"no static file '{name}'", head_only=head_only)
            return
        body = (WEB_DIR / name).read_bytes()
        self._send(200, STATIC_FILES[name], body, {"Cache-Control": "max-age=300"}, head_only)

    def _library_text(self, name: str, head_only: bool) -> None:
        stem = name[:-3] if name.endswith(".rq") else name
        query = next((q for q in self.service.library if q.name == stem), None) if _LIBRARY_NAME.match(stem) else None
        if query is None:
            self._error(404, f"no library query '{stem}' (see the list on the home page)", head_only=head_only)
            return
        self._send(200, "application/sparql-query; charset=utf-8", query.text.encode("utf-8"), head_only=head_only)

    def _linked_data(self, path: str, params: dict[str, list[str]], head_only: bool) -> None:
        from graph_build.linked_data import iri_for_path

        iri = iri_for_path(unquote(path))
        if iri is None:
            self._not_found(path, head_only)
            return
        try:
            media_type = negotiation.choose(self.headers.get("Accept"), PAGE_OFFERS, _single(params, "format"))
        except negotiation.NotAcceptable as exc:
            self._error(406, str(exc), head_only=head_only)
            return
        body = self.service.resource(iri, media_type)
        if body is None:
            self._not_found(path, head_only)
            return
        content_type = media_type + "; charset=utf-8"
        self._send(200, content_type, body, {"Vary": "Accept"}, head_only)

    def _not_found(self, path: str, head_only: bool) -> None:
        from graph_build.html_pages import error_page

        message = f"nothing at {unquote(path)}: not a route of this server nor an IRI of the graph"
        accept = self.headers.get("Accept") or ""
        if "text/html" in accept:
            self._send(404, HTML, error_page(404, "Not found", message, version=__version__), head_only=head_only)
        else:
            self._error(404, message, head_only=head_only)

    def _service_description(self, params: dict[str, list[str]], head_only: bool) -> None:
        try:
            media_type = negotiation.choose(self.headers.get("Accept"), negotiation.GRAPH_OFFERS,
                                            _single(params, "format"), graph=True)
        except negotiation.NotAcceptable:
            media_type = "text/turtle"  # a browser asking for HTML still gets the description
        host = self.headers.get("Host") or ""
        if not _HOST_HEADER.match(host):
            host = f"{self.service.config.host}:{self.service.config.port}"
        body = self.service.service_description(f"http://{host}/sparql", media_type)
        self._send(200, media_type + "; charset=utf-8", body, {"Vary": "Accept"}, head_only)

    # -- SPARQL
    def _sparql(self, query: str, params: dict[str, list[str]], head_only: bool = False) -> None:
        from graph_build.sparql_execution import refusal

        for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
            if params.get(name):
                self._error(400, f"'{name}' is not supported: this endpoint serves one graph "
                            "(its default graph); leave the parameter out", head_only=head_only)
                return
        refused = refusal(query)
        if refused is not None:
            self._reply(refused, head_only)
            return
        fmt = _single(params, "format") or None
        accept = self.headers.get("Accept")
        key = _cache_key(query, accept, fmt) if self.service.cache.enabled else None
        if key is not None:
            cached = self.service.cache.get(key)
            if cached is not None:
                self._cache_note = "cache hit"
                self._reply(cached, head_only, {"X-Cache": "HIT"})
                return
        reply = self.service.pool.run(QueryRequest(query, accept, fmt))
        headers = None
        # Stored only when the worker answered with the media type the key names (it renegotiates
        # when the query form was not recognised up front).
        if key is not None and reply.content_type.split(";")[0] == key.media_type:
            headers = {"X-Cache": "MISS"}
            self.service.cache.put(key, reply)
        self._reply(reply, head_only, headers)


def _cache_key(query: str, accept: str | None, fmt: str | None):
    """The cache key (query, negotiated media type) as the worker will negotiate it; None: not cacheable."""
    from graph_build.response_cache import CacheKey
    from graph_build.sparql_params import query_form

    graph = query_form(query) in ("CONSTRUCT", "DESCRIBE")
    offers = negotiation.GRAPH_OFFERS if graph else negotiation.SELECT_OFFERS
    try:
        media_type = negotiation.choose(accept, offers, fmt, graph=graph)
    except negotiation.NotAcceptable:
        return None  # the worker answers 406; errors are never cached
    return CacheKey.of(query, media_type)


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values and len(values) == 1 else None


class AllkgHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    reuse_port = False  # set when several processes serve the same port

    def server_bind(self) -> None:
        import socket

        if self.reuse_port:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


def _server_class(host: str, reuse_port: bool) -> type[AllkgHTTPServer]:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return type("BoundHTTPServer", (AllkgHTTPServer,), {"address_family": family, "reuse_port": reuse_port})


def make_server(config: ServerConfig, log: Callable[[str], None] | None = None,
                reuse_port: bool = False, server: AllkgHTTPServer | None = None,
                ) -> tuple[AllkgHTTPServer, AllkgService]:
    """Load the graph, start the query workers and bind the socket (does not serve yet).

    `server`: a socket already bound (by serve(), before it forked); it gets the handler."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    try:
        service = AllkgService(config, log)
        service.start()
    except BaseException:
        if server is not None:
            server.server_close()
        raise
    handler = type("BoundRequestHandler", (RequestHandler,), {"service": service})
    if server is not None:
        server.RequestHandlerClass = handler
        return server, service
    try:
        server = _server_class(config.host, reuse_port)((config.host, config.port), handler)
    except OSError:
        service.close()
        raise
    return server, service


def can_share_port() -> bool:
    """Several processes can serve one port here (Linux and BSDs: fork + SO_REUSEPORT)."""
    import os
    import socket

    return hasattr(os, "fork") and hasattr(socket, "SO_REUSEPORT")


def serve(config: ServerConfig, log: Callable[[str], None] | None = None,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted; `ready` gets the base URL once the socket is listening.

    With config.processes > 1 the port is shared by that many processes (SO_REUSEPORT: the
    kernel spreads connections over them), each with its own graph copy, cache and query
    workers. One Python process answers cached queries on one core only (the GIL); a second
    process uses the second core, which halves latency under concurrent load. This process
    binds the port first (so a busy port fails at once), then forks the others before it
    loads anything; they stop with it (SIGTERM, Ctrl-C, or its death).
    """
    import os

    processes = config.processes if can_share_port() else 1
    children: list[int] = []
    bound = None
    if processes > 1:
        # Bind before forking: the port number (for --port 0) and "address in use" are known here.
        # Connections that arrive while the graph loads wait in the listen backlog. The probe
        # binds without SO_REUSEPORT, so a port that another server holds (even another
        # `allkg serve` sharing its own port) is refused instead of silently shared.
        probe = _server_class(config.host, False)((config.host, config.port), RequestHandler)
        port = probe.server_address[1]
        probe.server_close()
        bound = _server_class(config.host, True)((config.host, port), RequestHandler)
        config = _replace_port(config, bound.server_address[1])
        sys.stderr.flush()
        ready_reader, ready_writer = os.pipe()
        for _ in range(processes - 1):
            pid = os.fork()
            if pid == 0:
                os.close(ready_reader)
                bound.socket.close()  # the child binds its own socket to the same port
                _serve_as_extra_process(config, log, ready_writer)  # never returns
            children.append(pid)
        os.close(ready_writer)
    try:
        server, service = make_server(config, log, reuse_port=processes > 1, server=bound)
        if children:
            # "listening" is said once every process serves: each child writes one byte when
            # it has bound its socket (a child that fails closes the pipe without writing).
            _wait_for_children(ready_reader, len(children))
    except BaseException:
        _stop_children(children)
        raise
    finally:
        if children:
            os.close(ready_reader)

    if threading.current_thread() is threading.main_thread():
        _shut_down_on_sigterm(server)
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/" if ":" not in str(host) else f"http://[{host}]:{port}/"
    try:
        if ready is not None:
            ready(url)
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        service.close()
        _stop_children(children)


def _shut_down_on_sigterm(server: AllkgHTTPServer) -> None:
    """SIGTERM (service managers, `kill`, the first process): stop serving, then clean up as usual."""
    import signal

    signal.signal(signal.SIGTERM, lambda signum, frame: threading.Thread(
        target=server.shutdown, name="allkg-shutdown", daemon=True).start())


def _replace_port(config: ServerConfig, port: int) -> ServerConfig:
    from dataclasses import replace

    return replace(config, port=port)


def _wait_for_children(reader: int, count: int, timeout: float = 120.0) -> None:
    """Read one byte per ready child from the pipe; stop early at EOF (all writers gone) or timeout."""
    import os
    import select

    deadline = time.monotonic() + timeout
    while count > 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([reader], [], [], remaining)[0]:
            return
        got = os.read(reader, count)
        if not got:
            return
        count -= len(got)


def _serve_as_extra_process(config: ServerConfig, log: Callable[[str], None] | None, ready_writer: int) -> None:
    """A forked extra HTTP process: serve the shared port until told to stop, then exit."""
    import os

    code, serving = 0, False
    try:
        _exit_with_parent()
        server, service = make_server(config, log, reuse_port=True)
        serving = True
        os.write(ready_writer, b"1")
        os.close(ready_writer)
        _shut_down_on_sigterm(server)
        try:
            server.serve_forever(poll_interval=0.5)
        finally:
            server.server_close()
            service.close()
    except KeyboardInterrupt:
        pass
    except BaseException as exc:  # noqa: BLE001 - the first process goes on serving alone
        # A graph that cannot be loaded fails the first process too, which reports it once.
        if serving:
            print(f"allkg serve: an extra HTTP process stopped: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        os._exit(code)


def _exit_with_parent() -> None:
    """Linux: have the kernel send SIGTERM to this process when the serving parent dies."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop_children(children: list[int]) -> None:
    import os
    import signal

    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    for pid in children:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done or time.monotonic() > deadline:
                if not done:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                break
            time.sleep(0.05)
