"""`allkg docs`: HTML documentation, schema diagram and statistics of the graph, in dist/docs/."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "docs",
        help="build HTML docs for every class and relation, a schema diagram and statistics into dist/docs/",
        description="Generate documentation from the built graph (DIST/allkg.ttl): one HTML page per class and "
        "property, an index with the ontology's metadata, a schema diagram (SVG and PNG, needs Graphviz `dot`) "
        "and a statistics page with a plot. Output goes to DIST/docs/ unless --out is given.",
    )
    parser.add_argument("--dist", type=Path, default=None, help="folder of the build (default: dist/, or $ALLKG_DIST)")
    parser.add_argument("--graph", type=Path, default=None, help="graph to document (default: DIST/allkg.ttl)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: DIST/docs/)")
    parser.add_argument("--diagram-only", action="store_true",
                        help="write only schema.svg and schema.dot (e.g. `--diagram-only --out docs/` "
                        "refreshes the diagram the README shows)")
    parser.add_argument("--no-diagram", action="store_true", help="skip the diagram (when Graphviz is not installed)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build import paths
    from graph_build.build import publish
    from graph_build.diff import load_graph
    from graph_build.docs import OntologyDocs, diagram_files, documentation_files
    from graph_build.errors import InputError
    from graph_build.progress import task

    dist = args.dist or paths.dist_dir()
    source = args.graph or dist / "allkg.ttl"
    if not source.is_file():
        raise InputError(f"{source}: no such file (run `allkg build` first, or give --graph FILE)")
    if args.diagram_only and args.no_diagram:
        raise InputError("--diagram-only and --no-diagram exclude each other")
    out = args.out or dist / "docs"
    graph = load_graph(source)
    with task("building docs"):
        if args.diagram_only:
            files = diagram_files(OntologyDocs(graph), png=False)
        else:
            files = documentation_files(graph, diagram=not args.no_diagram)
    publish(files, out)
    if not args.quiet:
        pages = sum(1 for name in files if name.endswith(".html"))
        print(f"wrote {len(files)} files ({pages} HTML pages) to {out}/" + ("" if args.diagram_only else f"; open {out / 'index.html'}"))
    return 0
