"""`allkg build`: build dist/allkg.ttl from the curated tables."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build the graph into dist/ (tables -> graph -> reason -> validate -> export)",
        description="Build the knowledge graph from data/*.tsv and ontology/allkg.ttl into dist/. "
        "Outputs are published only when every step succeeds; a failed build leaves dist/ untouched.",
    )
    parser.add_argument("--data", type=Path, default=None, help="folder of curated tables (default: data/)")
    parser.add_argument("--dist", type=Path, default=None, help="output folder (default: dist/, or $ALLKG_DIST)")
    parser.add_argument("--no-reason", action="store_true", help="skip OWL reasoning (no Java needed)")
    parser.add_argument("--no-validate", action="store_true", help="skip SHACL validation (not for releases)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from graph_build import paths
    from graph_build.build import BuildOptions, run_build

    log = (lambda message: None) if args.quiet else print
    options = BuildOptions(
        data_dir=args.data or paths.DATA_DIR,
        dist=args.dist or paths.dist_dir(),
        reason=not args.no_reason,
        validate=not args.no_validate,
        log=log,
    )
    result = run_build(options)
    for note in result.notes:
        log(note)
    log(result.summary.as_text())
    log(f"wrote {', '.join(str(result.dist / name) for name in result.files)}")
    return 0
