"""The `allkg` command line: one entry point, one module per subcommand in graph_build/commands/.

Command modules import only argparse at load time; heavy libraries (owlready2, pyshacl, ...)
are imported inside each command's run function, so `allkg --help` and `allkg query` start fast.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from graph_build.errors import AllkgError, EXIT_BAD_INPUT
from graph_build.version import __version__

# Subcommand modules under graph_build.commands, in the order --help lists them.
COMMAND_MODULES = [
    "build",
    "export",
    "diff",
    "docs",
    "query",
    "reason",
    "validate",
    "links",
    "serve",
    "publish",
    "bench",
]

DESCRIPTION = """\
ALL-KG: the acute lymphoblastic leukemia knowledge graph.

Build the graph from the curated tables, check it, query it and publish it.
Start with `allkg build`, then `allkg query --list`."""


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="allkg", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"allkg {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"graph_build.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    # rdflib warns (with a source line) about odd values such as "many"^^xsd:decimal; our
    # checks report those in their own words, so the warning would only repeat it noisily.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"rdflib(\.|$)")
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args) or 0)
    except AllkgError as exc:
        for line in str(exc).splitlines() or ["(no message)"]:
            print(f"allkg {args.command}: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"allkg {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `allkg query ... | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        if os.environ.get("ALLKG_DEBUG"):
            raise
        print(
            f"allkg {args.command}: internal error: {type(exc).__name__}: {exc} (set ALLKG_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
