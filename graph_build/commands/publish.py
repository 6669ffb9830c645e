"""`allkg publish`: load the built graph into a SPARQL 1.1 Graph Store Protocol store."""
from __future__ import annotations

import argparse
from pathlib import Path

EPILOG = """\
examples:
  oxigraph serve --location store/ --bind 127.0.0.1:7878 &
  allkg publish --store http://127.0.0.1:7878/store
  allkg publish --store http://127.0.0.1:3030/allkg/data --graph https://w3id.org/allkg/allkg.owl
  allkg query symptoms_with_sources \\
      --endpoint 'http://127.0.0.1:7878/query?default-graph-uri=https://w3id.org/allkg/allkg.owl'

The graph is replaced, never merged. When the store's SPARQL Update endpoint is known (given,
or derived for Oxigraph /store -> /update and Fuseki /ds/data -> /ds/update), the file is
uploaded to a staging graph and swapped in with one MOVE, so readers never see a half-loaded
graph; otherwise one GSP PUT replaces it. The result is checked with a COUNT query when the
query endpoint is known (derived the same way, or --query-endpoint)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="load the built graph into a triple store (SPARQL 1.1 Graph Store Protocol), replacing it",
        description="Load dist/allkg.ttl into any SPARQL 1.1 Graph Store Protocol store, replacing "
        "the named graph (default <https://w3id.org/allkg/allkg.owl>), and verify the triple count.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--store", required=True, metavar="URL",
                        help="the store's Graph Store Protocol endpoint (Oxigraph: http://HOST:7878/store)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--graph", metavar="IRI", default=None,
                        help="the named graph to replace (default: https://w3id.org/allkg/allkg.owl)")
    target.add_argument("--default-graph", action="store_true", help="replace the store's default graph instead")
    parser.add_argument("--file", type=Path, default=None, metavar="FILE",
                        help="the RDF file to publish (default: dist/allkg.ttl)")
    parser.add_argument("--query-endpoint", metavar="URL", help="SPARQL query endpoint used to verify the count")
    parser.add_argument("--update-endpoint", metavar="URL", help="SPARQL Update endpoint used for the atomic swap")
    parser.add_argument("--no-derive", action="store_true",
                        help="do not guess the query/update endpoints from the --store URL")
    parser.add_argument("--no-swap", action="store_true",
                        help="replace with one GSP PUT even when an update endpoint is known")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS", help="per HTTP request (default: 120)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build import paths
    from graph_build.publish import DEFAULT_GRAPH_IRI, PublishOptions, publish

    options = PublishOptions(
        store_url=args.store,
        file=args.file or paths.built_graph_file(),
        graph=None if args.default_graph else (args.graph or DEFAULT_GRAPH_IRI),
        query_endpoint=args.query_endpoint,
        update_endpoint=args.update_endpoint,
        derive_endpoints=not args.no_derive,
        swap=not args.no_swap,
        timeout=args.timeout,
    )
    result = publish(options)
    print(result.as_text(options.store_url, options.file))
    return 0
