"""`allkg query`: run a library query (by name), a query file or inline SPARQL on the graph.

Only argparse is imported here; the engine (pyoxigraph) is imported when the command runs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMAT_CHOICES = ["table", "csv", "tsv", "json", "xml", "turtle", "nt", "jsonld"]

EPILOG = """\
examples:
  allkg query --list
  allkg query symptoms_three_sources
  allkg query facts_for_entity --param entity=all:imatinib --format csv
  allkg query --query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
  allkg query my.rq --endpoint https://example.org/sparql --format json

Library queries live in queries/*.rq; each starts with its question, parameters and columns.
Updates (INSERT, DELETE, LOAD, CLEAR, ...) are refused. A SERVICE clause is refused unless
--allow-service is given: then the embedded engine (Oxigraph) does send the HTTP request."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "query",
        help="run a SPARQL query (library name, file or --query) on the built graph or an endpoint",
        description="Run a SPARQL 1.1 query on the built graph (dist/allkg.ttl), other RDF files, "
        "or a remote SPARQL endpoint, and print the results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", nargs="?", metavar="NAME|FILE",
                        help="a library query name (see --list) or a .rq file")
    parser.add_argument("-q", "--query", metavar="SPARQL", help="the query text ('-' reads it from standard input)")
    parser.add_argument("-p", "--param", action="append", metavar="NAME=VALUE", default=[],
                        help="set a query parameter (a CURIE like all:fever, an <IRI>, a number or text); repeatable")
    parser.add_argument("-f", "--format", choices=FORMAT_CHOICES, default="table",
                        help="output: aligned table (default), the W3C results formats csv/tsv/json/xml, "
                        "or turtle/nt/jsonld for CONSTRUCT and DESCRIBE")
    parser.add_argument("--endpoint", metavar="URL", help="query this SPARQL 1.1 endpoint instead of local files")
    parser.add_argument("--graph", action="append", type=Path, metavar="FILE", default=[],
                        help="RDF file(s) to query instead of dist/allkg.ttl; repeatable")
    parser.add_argument("--with-imports", action="store_true",
                        help="also load ontology/imports/*.ttl (external ontology modules)")
    parser.add_argument("--allow-service", action="store_true",
                        help="permit SERVICE clauses (they send requests to other endpoints over the network)")
    parser.add_argument("--list", action="store_true", help="list the library queries with their questions")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build.errors import InputError
    from graph_build.query_library import list_text, resolve_query
    from graph_build.sparql_params import QueryText, parse_param_args

    if args.list:
        sys.stdout.write(list_text())
        return 0
    if args.query is not None and args.target:
        raise InputError("give either a query NAME|FILE or --query, not both")
    if args.query is not None:
        text = sys.stdin.read() if args.query == "-" else args.query
        query = QueryText.parse(text, where="query")
    elif args.target:
        query = resolve_query(args.target)
    else:
        raise InputError("no query given: name a library query (allkg query --list), a .rq file, or use --query")
    if args.endpoint and (args.graph or args.with_imports):
        raise InputError("--endpoint queries a remote endpoint; it cannot be combined with --graph or --with-imports")

    text = query.with_parameters(parse_param_args(args.param))

    from graph_build.store import QueryEngine, engine_for_endpoint

    engine = engine_for_endpoint(args.endpoint) if args.endpoint else \
        QueryEngine(args.graph or None, with_imports=args.with_imports)
    try:
        result = engine.run(text, allow_service=args.allow_service)
    except InputError as exc:
        # Name the file in syntax errors of library/file queries: "queries/x.rq:3:5: ...".
        message = str(exc)
        if query.where != "query" and message.startswith("query:"):
            raise InputError(query.where + message[len("query"):]) from None
        raise
    sys.stdout.buffer.write(result.serialize(args.format))
    sys.stdout.flush()
    return 0
