"""`allkg links check|suggest|imports`: links to external ontologies, checked offline."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "links",
        help="check, suggest and import links to external ontologies (MONDO, DOID, HPO, ...)",
        description="Links from ALL-KG entities to external ontologies live in data/mappings.tsv. "
        "These commands check them against the reference releases, suggest new ones and generate "
        "the offline import modules in ontology/imports/.",
    )
    actions = parser.add_subparsers(dest="links_command", metavar="ACTION", title="actions")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--reference", type=Path, default=None,
                         help="folder of reference term tables (default: ../shared/reference or $ALLKG_REFERENCE)")
        sub.add_argument("--data", type=Path, default=None, help="folder of curated tables (default: data/)")

    check = actions.add_parser("check", help="check every link: exists, not obsolete, label agrees, CURIE syntax; "
                                             "exit 1 on problems")
    common(check)
    check.set_defaults(run=run_check)

    suggest = actions.add_parser("suggest", help="candidate links (SSSOM TSV) by normalised label/synonym match")
    common(suggest)
    suggest.add_argument("--output", "-o", type=Path, default=None, help="write here instead of standard output")
    suggest.add_argument("--all", action="store_true", help="also for entities that already have links")
    suggest.set_defaults(run=run_suggest)

    imports = actions.add_parser("imports", help="generate ontology/imports/<prefix>_import.ttl for the linked terms")
    common(imports)
    imports.add_argument("--output-dir", type=Path, default=None, help="default: ontology/imports/")
    imports.add_argument("--check", action="store_true", help="write nothing; exit 1 if a module is out of date")
    imports.set_defaults(run=run_imports)

    parser.set_defaults(run=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _load(args: argparse.Namespace):
    from graph_build import paths
    from graph_build.links import read_mappings, read_unmapped
    from graph_build.reference import ReferenceSet
    from graph_build.tables import load_tables

    data_dir = args.data or paths.DATA_DIR
    curated = load_tables(data_dir)
    mappings = read_mappings(data_dir, curated.entities)
    unmapped = read_unmapped(data_dir, curated.entities)
    references = ReferenceSet.open(args.reference or paths.reference_dir())
    return curated, mappings, unmapped, references


def run_check(args: argparse.Namespace) -> int:
    from graph_build.errors import CheckFailed
    from graph_build.links import check_against_reference, coverage_problems

    curated, mappings, unmapped, references = _load(args)
    names = {e.id: (e.label, *e.synonyms) for e in curated.entities.values()}
    problems = check_against_reference(mappings, names, references)
    problems += coverage_problems({e.id: e.types for e in curated.entities.values()}, mappings, unmapped)
    if problems:
        raise CheckFailed(f"{len(problems)} problem(s) in the links:\n" + "\n".join(problems))
    prefixes = sorted({m.prefix for m in mappings})
    print(f"{len(mappings)} links of {len({m.subject_id for m in mappings})} entities to {', '.join(prefixes)}: all OK; "
          f"{len(unmapped)} entities have no counterpart (reasons in unmapped.tsv)")
    return 0


def run_suggest(args: argparse.Namespace) -> int:
    from graph_build.links import suggest
    from graph_build.rdf_io import atomic_write_bytes
    from graph_build.sssom_export import sssom_tsv
    from graph_build.version import __version__

    curated, mappings, unmapped, references = _load(args)
    linked = {m.subject_id for m in mappings}
    wanted = {
        e.id: (e.types, (e.label, *e.synonyms))
        for e in curated.entities.values() if args.all or e.id not in linked
    }
    candidates = suggest(wanted, references)
    data = sssom_tsv(candidates, {e.id: e.label for e in curated.entities.values()}, __version__,
                     mapping_set_id=f"https://w3id.org/allkg/candidates/{__version__}/allkg-candidates.sssom.tsv",
                     title="ALL-KG candidate links (uncurated: check each before adding it to data/mappings.tsv)")
    if args.output:
        atomic_write_bytes(args.output, data)
        print(f"{len(candidates)} candidates for {len({c.subject_id for c in candidates})} entities -> {args.output}",
              file=sys.stderr)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def run_imports(args: argparse.Namespace) -> int:
    from graph_build import paths
    from graph_build.errors import CheckFailed
    from graph_build.imports import build_modules, write_modules

    _, mappings, _, references = _load(args)
    directory = args.output_dir or paths.IMPORTS_DIR
    modules = build_modules(mappings, references, directory)
    if args.check:
        stale = [str(m.path) for m in modules if not m.path.exists() or m.path.read_bytes() != m.data]
        if stale:
            raise CheckFailed("import modules out of date (run `allkg links imports`): " + ", ".join(stale))
        print(f"{len(modules)} import modules up to date")
        return 0
    changed = write_modules(modules)
    for module in modules:
        state = "written" if module.path in changed else "unchanged"
        print(f"{module.path}: {module.terms} terms ({state})")
    return 0
