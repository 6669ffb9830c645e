"""One SPARQL Protocol request, answered inside a query worker: check, run, negotiate, serialise, limit.

Runs in the worker processes of graph_build.query_workers, on the project's QueryEngine
(graph_build.store). Returns a Reply (status, media type, bytes); every refusal is a one-line
message with the HTTP status a SPARQL 1.1 Protocol client expects.
"""
from __future__ import annotations

import csv
import io

import pyoxigraph as ox

from graph_build import http_negotiation as negotiation
from graph_build.errors import InputError
from graph_build.query_workers import QueryRequest, Reply, WorkerSettings
from graph_build.sparql_params import UPDATE_KEYWORDS, check_query, query_form, uses_service
from graph_build.store import QueryEngine, ResultTooLarge

# Media type we answer with -> QueryResult.serialize format name.
SERIALIZATIONS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "jsonld",
}
# SELECT/ASK media types that pyoxigraph writes itself (in Rust, straight from the evaluation).
NATIVE_RESULTS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
# Text formats are UTF-8 (the W3C formats and Turtle require it); say so to browsers.
CHARSET = "; charset=utf-8"

UPDATE_REFUSED = (
    "{form} is a SPARQL update: this endpoint is read-only and refuses updates "
    "(the graph is built from data/*.tsv with `allkg build`)"
)
SERVICE_REFUSED = (
    "the query has a SERVICE clause: federated queries are switched off on this endpoint "
    "(it never sends requests to other servers)"
)


def refusal(query: str) -> Reply | None:
    """The answer to a query this endpoint never runs (update, SERVICE, empty), else None.

    Cheap, so the server checks it before handing the query to a worker.
    """
    if not query.strip():
        return Reply.error(400, "the query is empty (send it as ?query=..., a form field 'query', "
                           "or an application/sparql-query body)")
    form = query_form(query)
    if form in UPDATE_KEYWORDS:
        return Reply.error(403, UPDATE_REFUSED.format(form=form))
    if uses_service(query):
        return Reply.error(400, SERVICE_REFUSED)
    return None


class _TooManyBytes(Exception):
    """Raised by _BoundedBuffer to stop pyoxigraph's serialiser at the byte limit."""


class _BoundedBuffer:
    """A binary sink for pyoxigraph's serialiser that refuses to grow beyond `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.buffer = io.BytesIO()

    def write(self, data) -> int:
        if self.buffer.tell() + len(data) > self.limit:
            raise _TooManyBytes()
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def _row_count(body: bytes, media_type: str) -> int:
    """Rows of a serialised SELECT result (read back in Rust; CSV, which pyoxigraph cannot read, with csv)."""
    if media_type == "text/csv":
        return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1)
    return sum(1 for _ in ox.parse_query_results(body, format=NATIVE_RESULTS[media_type]))


class Executor:
    """The engine of one worker process."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.engine = QueryEngine(list(settings.graph_files))
        self.triple_count = len(self.engine.store)

    def answer(self, request: QueryRequest) -> Reply:
        # The server has already refused updates and SERVICE (refusal()); the engine's own check
        # (check_query in QueryEngine.run) refuses them again, as a 400, should one get here.
        form = query_form(request.query)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        offers = negotiation.GRAPH_OFFERS if graph else negotiation.SELECT_OFFERS
        try:
            media_type = negotiation.choose(request.accept, offers, request.format, graph=graph)
        except negotiation.NotAcceptable as exc:
            return Reply.error(406, str(exc))
        limit = self.settings.max_results
        if not graph and media_type in NATIVE_RESULTS:
            fast = self._native(request.query, media_type)
            if fast is not None:
                return fast
        try:
            result = self.engine.run(request.query, max_rows=limit)
            if result.is_graph != graph:  # the form was not recognised up front (odd prologue)
                offers = negotiation.GRAPH_OFFERS if result.is_graph else negotiation.SELECT_OFFERS
                media_type = negotiation.choose(request.accept, offers, request.format, graph=result.is_graph)
            body = result.serialize(SERIALIZATIONS[media_type])
        except ResultTooLarge:
            unit = "triples" if graph else "rows"
            return Reply.error(413, f"the result has more than {limit} {unit}, the limit of this endpoint "
                               "(server option --max-results); add a LIMIT or narrow the query")
        except negotiation.NotAcceptable as exc:
            return Reply.error(406, str(exc))
        except InputError as exc:
            return Reply.error(400, str(exc).splitlines()[0] if str(exc) else "the query cannot be run")
        if len(body) > self.settings.max_result_bytes:
            return Reply.error(413, f"the result is {len(body)} bytes, more than the limit of "
                               f"{self.settings.max_result_bytes} bytes of this endpoint; add a LIMIT or narrow the query")
        return Reply(200, media_type + CHARSET, body)

    def _native(self, query: str, media_type: str) -> Reply | None:
        """SELECT/ASK evaluated and written by pyoxigraph alone (no Python objects per row).

        About 5x faster than building Python rows and JSON for a few hundred rows. The byte limit
        stops the serialiser as soon as it is passed; the row limit is checked on the finished
        bytes (read back in Rust, about 1 ms per 400 rows). None: not a SELECT/ASK result or not
        evaluable here; the general path then answers (with its own error messages).
        """
        try:
            check_query(query)
            results = self.engine.store.query(query)
        except (InputError, SyntaxError, OSError, ValueError):
            return None
        if not isinstance(results, (ox.QuerySolutions, ox.QueryBoolean)):
            return None
        sink = _BoundedBuffer(self.settings.max_result_bytes)
        try:
            results.serialize(sink, format=NATIVE_RESULTS[media_type])
        except _TooManyBytes:
            return Reply.error(413, f"the result is more than {self.settings.max_result_bytes} bytes, the limit "
                               "of this endpoint; add a LIMIT or narrow the query")
        except (OSError, ValueError):
            return None
        body = sink.buffer.getvalue()
        limit = self.settings.max_results
        if isinstance(results, ox.QuerySolutions) and _row_count(body, media_type) > limit:
            return Reply.error(413, f"the result has more than {limit} rows, the limit of this endpoint "
                               "(server option --max-results); add a LIMIT or narrow the query")
        return Reply(200, media_type + CHARSET, body)
