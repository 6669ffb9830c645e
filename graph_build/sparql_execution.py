"""One SPARQL Protocol request, answered inside a query worker: check, run, negotiate, serialise, limit.

Runs in the worker processes of graph_build.query_workers, on the project's QueryEngine
(graph_build.store). Returns a Reply (status, media type, bytes); every refusal is a one-line
message with the HTTP status a SPARQL 1.1 Protocol client expects.
"""
from __future__ import annotations

from graph_build import http_negotiation as negotiation
from graph_build.errors import InputError
from graph_build.query_workers import QueryRequest, Reply, WorkerSettings
from graph_build.sparql_params import UPDATE_KEYWORDS, query_form, uses_service
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
