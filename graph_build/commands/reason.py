"""`allkg reason`: OWL reasoning (HermiT) over the built graph, optionally with the user's own files."""
from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Check the graph with an OWL 2 reasoner (HermiT, through owlready2; needs Java 11 or newer) and
write what it infers. With no FILE, reasons over the built graph (dist/allkg.ttl) and writes the
inferred triples to dist/allkg-inferred.ttl. With FILEs (Turtle, N-Triples, RDF/XML, JSON-LD),
reasons over the ontology, the built graph and those files merged, so you can check your own
extension; then nothing is written unless you give --output.

Exit status: 0 consistent; 1 inconsistent or unsatisfiable classes (the causes are named);
2 unusable input; 3 no suitable Java."""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reason",
        help="check consistency with HermiT and write the inferred triples",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="extra RDF files to reason over with the graph")
    parser.add_argument("--output", "-o", type=Path, default=None,
                        help="where to write the inferred triples (default: dist/allkg-inferred.ttl when no FILE is given)")
    parser.add_argument("--no-write", action="store_true", help="only check and summarise; write nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build import paths
    from graph_build.errors import InputError
    from graph_build.java import find_java
    from graph_build.rdf_io import atomic_write_bytes, parse_rdf_file, turtle_bytes
    from graph_build.reason import INFERRED_FILE, Labels, inferred_graph, reason

    java = find_java()
    built = paths.built_graph_file()
    if not built.exists():
        raise InputError(f"{built}: the built graph is missing; run `allkg build` first")
    graph = parse_rdf_file(paths.ONTOLOGY_FILE)
    parse_rdf_file(built, into=graph)
    for file in args.files:
        parse_rdf_file(file, into=graph)

    report = reason(graph, java)
    what = "the built graph" + (f" with {', '.join(str(f) for f in args.files)}" if args.files else "")
    print(f"reasoned over {what}: {report.individuals} entities, {report.input_triples} OWL triples "
          f"(provenance records and annotations left out)")
    print(report.summary_line())
    for line in report.examples(Labels(graph)):
        print(f"  {line}")

    output = args.output if args.output else (None if args.files else paths.dist_dir() / INFERRED_FILE)
    if args.no_write or output is None:
        if not args.no_write:
            print("nothing written (give --output PATH to save the inferred triples)")
        return 0
    atomic_write_bytes(output, turtle_bytes(inferred_graph(report.inferences, report.reasoner)))
    print(f"wrote {output}")
    return 0
