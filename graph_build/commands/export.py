"""`allkg export`: write dist/allkg.ttl in other formats (N-Triples, JSON-LD, RDF/XML, KGX, full)."""
from __future__ import annotations

import argparse
from pathlib import Path

FORMAT_HELP = "nt, jsonld, owl, kgx, full (with ontology/imports merged) or all; comma-separated or repeated"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the built graph in other formats (N-Triples, JSON-LD, RDF/XML, KGX TSV, full)",
        description="Export a built graph (default: dist/allkg.ttl) to other formats, into the same folder. "
        "`allkg build` already writes every format; use this to export another Turtle file or only some formats. "
        "Nothing is fetched from the network.",
    )
    parser.add_argument("--format", "-f", action="append", default=None, metavar="FORMAT",
                        help=f"what to write: {FORMAT_HELP} (default: all)")
    parser.add_argument("--input", "-i", type=Path, default=None, help="Turtle graph to export (default: DIST/allkg.ttl)")
    parser.add_argument("--dist", type=Path, default=None, help="output folder (default: dist/, or $ALLKG_DIST)")
    parser.add_argument("--imports", type=Path, default=None, help="folder of import modules for `full` (default: ontology/imports/)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build import paths
    from graph_build.build import publish
    from graph_build.errors import InputError
    from graph_build.export import export_files, parse_formats

    formats = parse_formats(args.format or ["all"])
    dist = args.dist or paths.dist_dir()
    source = args.input or dist / "allkg.ttl"
    if not source.is_file():
        raise InputError(f"{source}: no such file (run `allkg build` first, or give --input FILE.ttl)")
    notes: list[str] = []
    outputs = export_files(source.read_bytes(), formats, imports_dir=args.imports or paths.IMPORTS_DIR,
                           where=str(source), notes=notes)
    publish(outputs, dist)
    if not args.quiet:
        for note in notes:
            print(note)
        print(f"wrote {', '.join(str(dist / name) for name in sorted(outputs))}")
    return 0
