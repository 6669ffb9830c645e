"""`allkg bench`: the benchmark suite (bench/), measuring build, query, serve, validate, reason and
export at our size and at the sizes researchers merge into. Everything is imported when it runs."""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark build, query, serve, validate, reason and export; writes bench/REPORT.md",
        description="Measure ALL-KG's commands on our graph, on it merged with the full HPO and on generated "
        "graphs of our shape (about 10^4, 10^5, 10^6 triples), against the fastest engine reachable from "
        "Python, and write a Markdown report with a log-log plot. Same as `python -m bench`.",
    )
    try:
        add_arguments = _bench_main().add_arguments
    except ImportError:  # an installed package without the bench/ folder of a clone
        parser.set_defaults(run=_missing)
        return
    add_arguments(parser)
    parser.set_defaults(run=run)


def _bench_main():
    """bench/ lives next to graph_build/ in a clone; the installed `allkg` script may not see it."""
    from graph_build import paths

    root = str(paths.PROJECT_ROOT)
    if (paths.PROJECT_ROOT / "bench" / "__init__.py").exists() and root not in sys.path:
        sys.path.append(root)
    import bench.__main__

    return bench.__main__


def run(args: argparse.Namespace) -> int:
    return _bench_main().run(args, command="allkg bench")


def _missing(args: argparse.Namespace) -> int:
    from graph_build.errors import InputError

    raise InputError("the benchmark suite (bench/) is not importable: run it from a clone of the repository")
