"""`allkg serve`: a read-only SPARQL endpoint with linked-data pages over the built graph."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

EPILOG = """\
examples:
  allkg serve                                   # http://127.0.0.1:8000/
  allkg serve --port 8080 --timeout 5 --max-results 5000
  curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 3' http://127.0.0.1:8000/sparql
  curl -H 'Accept: text/turtle' http://127.0.0.1:8000/id/fever

The server only reads: updates are refused (403), SERVICE is refused (400). It listens on
127.0.0.1 unless --host says otherwise (--host 0.0.0.0 exposes it to the network)."""


# One Python process answers on one core (the GIL); two use both cores of a small machine.
DEFAULT_PROCESSES = max(1, min(2, os.cpu_count() or 1))


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"'{text}' must be greater than 0")
        return value
    return parse


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' must be 0 or more")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the graph: read-only SPARQL endpoint (/sparql), linked-data pages, query editor",
        description="Serve the built graph over HTTP: a SPARQL 1.1 Protocol endpoint at /sparql, "
        "a page for every IRI of the graph (HTML, Turtle, N-Triples, JSON-LD), and a home page "
        "with the query library and a query editor.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free port)")
    parser.add_argument("--timeout", type=_positive(float), default=10.0, metavar="SECONDS",
                        help="time limit per query; a query over it is stopped and answered 503 (default: 10)")
    parser.add_argument("--max-results", type=_positive(int), default=10_000, metavar="N",
                        help="most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) in an answer; more is 413 (default: 10000)")
    parser.add_argument("--max-request-bytes", type=_positive(int), default=100_000, metavar="N",
                        help="largest request body or URL; larger is 413/414 (default: 100000)")
    parser.add_argument("--workers", type=_positive(int), default=2, metavar="N",
                        help="query worker processes, each with its own copy of the graph (default: 2)")
    parser.add_argument("--processes", type=_positive(int), default=DEFAULT_PROCESSES, metavar="N",
                        help="HTTP processes sharing the port, each with its own copy of the graph, cache and "
                        "workers: one Python process answers on one core only (default: %(default)s, one per "
                        "core up to 2; 1 on systems without SO_REUSEPORT)")
    parser.add_argument("--cache-mb", type=_non_negative_float, default=64.0, metavar="MB",
                        help="keep successful query answers in memory, up to MB megabytes (least recently used "
                        "dropped first); a repeated query with the same result type is answered from it "
                        "(header X-Cache: HIT). The graph does not change while served; a restart empties "
                        "the cache. 0 disables it (default: 64)")
    parser.add_argument("--graph", action="append", type=Path, default=[], metavar="FILE",
                        help="serve these RDF files instead of dist/allkg.ttl; repeatable")
    parser.add_argument("--with-imports", action="store_true", help="also load ontology/imports/*.ttl")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from graph_build.errors import AllkgError, InputError
    from graph_build.query_workers import WorkerStartError
    from graph_build.server import ServerConfig, serve

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: not a port number (0-65535)")
    config = ServerConfig(
        host=args.host, port=args.port, timeout=args.timeout, max_results=args.max_results,
        max_request_bytes=args.max_request_bytes, graph_files=list(args.graph),
        with_imports=args.with_imports, workers=args.workers, cache_mb=args.cache_mb,
        processes=args.processes,
    )

    def ready(url: str) -> None:
        print(f"allkg serve: listening on {url} (SPARQL endpoint {url}sparql); Ctrl-C stops", file=sys.stderr, flush=True)

    try:
        serve(config, ready=ready)
    except OSError as exc:
        raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    except WorkerStartError as exc:
        raise AllkgError(str(exc)) from None
    except KeyboardInterrupt:
        pass  # Ctrl-C: serve() has shut the workers down
    print("allkg serve: stopped", file=sys.stderr)
    return 0
