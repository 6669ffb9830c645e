"""`allkg diff OLD NEW`: what changed between two built graphs, in readable form."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="report entities, facts, labels and definitions added/removed/changed between two builds",
        description="Compare two built graphs (e.g. the last release's allkg.ttl and dist/allkg.ttl) and report, "
        "with labels: entities and ontology terms added and removed, facts added and removed with their sources, "
        "facts whose sources changed, and label and definition changes.",
    )
    parser.add_argument("old", type=Path, help="the earlier graph (Turtle, N-Triples, JSON-LD or RDF/XML)")
    parser.add_argument("new", type=Path, help="the later graph")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                        help="output format (default: text; markdown suits release notes)")
    parser.add_argument("--exit-code", action="store_true", help="exit with status 1 when the graphs differ (like git diff)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build.diff import diff_graphs, load_graph, render

    result = diff_graphs(load_graph(args.old), load_graph(args.new))
    print(render(result, args.format, str(args.old), str(args.new)), end="")
    return 1 if args.exit_code and not result.is_empty else 0
