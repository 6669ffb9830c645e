"""`allkg validate`: check the built graph, or any RDF file (alone or merged with ours), against the SHACL shapes."""
from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("text", "turtle", "json")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a graph against the SHACL shapes (ontology/shapes.ttl)",
        description="Validate the built graph (dist/allkg.ttl), or the given RDF files, against the SHACL "
        "shapes. Given files are validated alone (with the ontology, whose axioms the shapes use), or "
        "merged with the built graph when --with-built is given. Exit status: 0 conforming (warnings "
        "allowed), 1 violations, 2 unusable input.",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE",
                        help="Turtle (.ttl), N-Triples (.nt), JSON-LD (.jsonld/.json) or RDF/XML file(s)")
    parser.add_argument("--with-built", action="store_true",
                        help="merge the given files with the built graph (dist/allkg.ttl) before validating")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="report format: text (grouped by shape), turtle (the SHACL validation report graph) "
                        "or json (see README)")
    parser.add_argument("--shapes", type=Path, default=None, help="shapes file (default: ontology/shapes.ttl)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from rdflib import Graph

    from graph_build import paths
    from graph_build.errors import EXIT_FAILED_CHECK, EXIT_OK, InputError
    from graph_build.rdf_io import parse_rdf_file
    from graph_build.report import format_report
    from graph_build.validate import load_shapes, validate_graph, with_ontology

    shapes = load_shapes(args.shapes)
    graph = Graph()
    if not args.files or args.with_built:
        built = paths.built_graph_file()
        if not built.exists():
            raise InputError(f"{built}: the graph is not built yet; run `allkg build` first (or name files to validate)")
        parse_rdf_file(built, into=graph)
    for path in args.files:
        parse_rdf_file(path, into=graph)
    with_ontology(graph)
    report = validate_graph(graph, shapes)
    sys.stdout.write(format_report(report, args.format))
    return EXIT_OK if report.conforms else EXIT_FAILED_CHECK
