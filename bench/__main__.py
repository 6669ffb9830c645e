"""`python -m bench`: run the benchmark and write bench/REPORT.md (see bench/__init__.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "REPORT.md"
FULL_SIZES = "1e4,1e5,1e6"
QUICK_SIZES = "1e4,3e4"


def make_parser(prog: str = "python -m bench") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Benchmark ALL-KG: build, query (cold, warm, served), validate, reason and export, on our "
        "graph, on it merged with the full HPO, and on generated graphs of our shape; writes a Markdown "
        "report with a table and a log-log plot.")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help=f"a short run: sizes {QUICK_SIZES}, 3 repetitions, 1 s of load per query")
    parser.add_argument("--sizes", metavar="N,N,...",
                        help=f"triples of the generated graphs (default {FULL_SIZES}; --quick: {QUICK_SIZES})")
    parser.add_argument("--reps", type=int, metavar="N", help="repetitions per measurement (default 5; --quick 3)")
    parser.add_argument("--limit", type=float, default=120.0, metavar="SECONDS",
                        help="time limit of each bounded step; beyond it the report says '> limit' (default 120)")
    parser.add_argument("--no-hpo", action="store_true", help="skip the graph merged with the full HPO")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, metavar="FILE",
                        help="the Markdown report (default bench/REPORT.md; the plot and raw results go next to it)")
    parser.add_argument("--workdir", type=Path, metavar="DIR", help="keep generated graphs here (default: a temp folder)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the graph generator (default 20240601)")
    parser.add_argument("--from-json", type=Path, metavar="FILE",
                        help="do not measure: rewrite the report from a results file of an earlier run")


def run(args: argparse.Namespace, command: str = "python -m bench") -> int:
    from bench.report import Results, write_report

    if args.from_json:
        results = Results.from_json(args.from_json.read_text(encoding="utf-8"))
    else:
        from bench.generate import iter_sizes
        from bench.suite import Config, Suite

        try:
            sizes = sorted(set(iter_sizes(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))))
        except ValueError:
            print(f"{command}: error: --sizes '{args.sizes}': expected numbers such as 1e4,1e5", file=sys.stderr)
            return 2
        reps = args.reps or (3 if args.quick else 5)
        flags = " ".join(part for part in ("--quick" if args.quick else "", f"--sizes {args.sizes}" if args.sizes
                                           else "") if part)
        config = Config(sizes=sizes, quick=args.quick, reps=reps, cold_reps=reps, limit=args.limit,
                        serve_seconds=1.0 if args.quick else 1.5, hpo=not args.no_hpo, workdir=args.workdir,
                        seed=args.seed, command=f"{command} {flags}".strip(),
                        log=lambda message: print(message, file=sys.stderr, flush=True))
        results = Suite(config).run()
    for path in write_report(results, args.output):
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(make_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
