"""The benchmark's results (a JSON-able record) and the Markdown report with its log-log plot.

The report holds: the machine, the targets (met or not, with the figure), start-up per
subcommand and the lazy-import check, one table per graph (median, baseline engine, ratio),
the scaling table (time against triples for each operation, with the fitted log-log slope),
the SHACL routes compared on their result sets, and the plot (PNG via matplotlib's Agg
backend; matplotlib is optional: without it the report says so and has no plot).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graph_build.rdf_io import atomic_write_bytes


@dataclass
class Row:
    """One measured operation on one graph: median seconds, and the fastest engine's median."""

    graph: str
    triples: int
    operation: str
    mode: str
    seconds: float | None = None
    p99: float | None = None
    baseline: str = ""
    baseline_seconds: float | None = None
    runs: int = 0
    status: str = "ok"
    note: str = ""
    series: str = ""  # name of the scaling series this row belongs to ("" = not plotted)
    detail: bool = True  # shown in the per-graph table (aggregate scaling rows are not)

    @property
    def ratio(self) -> float | None:
        if self.seconds is None or not self.baseline_seconds:
            return None
        return self.seconds / self.baseline_seconds


@dataclass
class Target:
    name: str
    limit: str
    measured: str
    met: bool | None  # None: could not be measured
    note: str = ""


@dataclass
class Results:
    config: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)
    started: str = ""
    finished: str = ""
    duration: float = 0.0
    graphs: list[dict] = field(default_factory=list)  # name, triples, kind
    startup: list[Row] = field(default_factory=list)
    imports: list[dict] = field(default_factory=list)  # what, heavy modules seen, violations
    rows: list[Row] = field(default_factory=list)
    shacl: list[dict] = field(default_factory=list)  # graph, triples, route, seconds, results, same
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    max_load: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Results":
        raw = json.loads(text)
        raw["startup"] = [Row(**r) for r in raw.get("startup", [])]
        raw["rows"] = [Row(**r) for r in raw.get("rows", [])]
        raw["targets"] = [Target(**t) for t in raw.get("targets", [])]
        return cls(**raw)


# --- formatting ------------------------------------------------------------------------------------

def fmt_seconds(value: float | None) -> str:
    """Human units with 3 significant figures: 850 µs, 12.3 ms, 4.56 s."""
    if value is None:
        return "—"
    if value < 1e-3:
        return f"{value * 1e6:.3g} µs"
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def fmt_triples(value: int) -> str:
    return f"{value:,}"


def cell(row: Row) -> str:
    if row.status != "ok" or row.seconds is None:
        return row.status if not row.note else f"{row.status} ({row.note})"
    return fmt_seconds(row.seconds)


def loglog_slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(time) against log(triples): ~1 is linear growth, ~2 quadratic."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x and y and x > 0 and y > 0]
    if len(usable) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(text.replace("|", "\\|") for text in row) + " |" for row in rows]
    return lines


def _graph_order(results: Results) -> list[dict]:
    return sorted(results.graphs, key=lambda g: (g["triples"], g["name"]))


def scaling(results: Results) -> dict[str, dict[str, Row]]:
    """series -> graph name -> row (first row wins), in order of first appearance."""
    table: dict[str, dict[str, Row]] = {}
    for row in results.rows:
        if row.series:
            table.setdefault(row.series, {}).setdefault(row.graph, row)
    return table


def growth_exponents(results: Results) -> dict[str, float | None]:
    """Per series, the log-log slope over the generated graphs (same shape, growing size)."""
    generated = {g["name"] for g in results.graphs if g.get("kind") == "generated"}
    exponents: dict[str, float | None] = {}
    for series, by_graph in scaling(results).items():
        points = [(row.triples, row.seconds) for name, row in by_graph.items()
                  if name in generated and row.status == "ok" and row.seconds]
        exponents[series] = loglog_slope(points)
    return exponents


# --- the Markdown report ---------------------------------------------------------------------------

def headline_table(results: Results) -> list[str]:
    """The targets table (also used by the README's Performance section)."""
    rows = []
    for target in results.targets:
        verdict = "not measured" if target.met is None else ("met" if target.met else "**not met**")
        rows.append([target.name, target.limit, target.measured, verdict + (f" — {target.note}" if target.note else "")])
    return _table(["target", "limit", "measured", "verdict"], rows)


def render(results: Results, plot_name: str | None) -> str:
    out: list[str] = ["# ALL-KG benchmark report", ""]
    cfg = results.config
    out.append(f"Produced by `{cfg.get('command', 'python -m bench')}` on {results.started} "
               f"(took {results.duration / 60:.1f} min). Figures are medians of {cfg.get('reps', '?')} in-process runs "
               f"and {cfg.get('cold_reps', '?')} whole-process runs unless the table says otherwise; "
               f"each step is bounded by {cfg.get('limit', '?')} s (\"> limit\" beyond). "
               "\"ratio\" is our path's median over the fastest engine reachable from Python, "
               "measured in the same run on the same data.")
    out.append("")
    if results.max_load > 1.0:
        out.append(f"**The machine was shared while this ran** (load average up to {results.max_load:.1f} on "
                   f"{results.machine.get('cores', '?')} cores: other engineers' tests were running), so absolute "
                   "figures are pessimistic; ratios measured side by side are less affected.")
        out.append("")
    out += ["## Machine", ""]
    out += _table(["", ""], [[k, str(v)] for k, v in results.machine.items()])
    out += ["", "## Targets", ""]
    out += headline_table(results)
    out += ["", "## Start-up (whole process, cold)", ""]
    out += _table(["command", "median", "runs", "status"],
                  [[r.operation, fmt_seconds(r.seconds), str(r.runs), r.status + (f" ({r.note})" if r.note else "")]
                   for r in results.startup])
    if results.imports:
        out += ["", "Heavy modules imported just by loading the CLI (`python -X importtime`):", ""]
        out += _table(["what is imported", "heavy modules loaded (cumulative import time)", "lazy-import rule"],
                      [[i["what"], ", ".join(f"{m} {fmt_seconds(s)}" for m, s in sorted(i["modules"].items())) or "none",
                        ("**violated: " + ", ".join(i["violations"]) + "**") if i["violations"] else "kept"]
                       for i in results.imports])
    out += ["", "## Graphs", ""]
    out += _table(["graph", "triples", "what it is"],
                  [[g["name"], fmt_triples(g["triples"]), g.get("about", "")] for g in _graph_order(results)])
    exponents = growth_exponents(results)
    table = scaling(results)
    graphs = _graph_order(results)
    if table:
        out += ["", "## How each cost grows with size", ""]
        out.append("Median time per operation on each graph; the exponent is the least-squares slope of "
                   "log(time) against log(triples) over the generated graphs (1 = linear).")
        out.append("")
        header = ["operation"] + [f"{g['name']} ({fmt_triples(g['triples'])})" for g in graphs] + ["exponent"]
        body = []
        for series, by_graph in table.items():
            exponent = exponents.get(series)
            body.append([series] + [cell(by_graph[g["name"]]) if g["name"] in by_graph else "" for g in graphs]
                        + ["—" if exponent is None else f"{exponent:.2f}"])
        out += _table(header, body)
    if plot_name:
        out += ["", f"![time against triples, log-log]({plot_name})"]
    if results.shacl:
        out += ["", "## SHACL routes", ""]
        out.append("Each route validates the same data with the same shapes; \"same results\" compares the "
                   "result sets (focus node, path, value, source shape, constraint component, severity), "
                   "not just their counts, against pyshacl with the project's settings.")
        out.append("")
        out += _table(["graph", "triples", "route", "median", "results", "same results as pyshacl"],
                      [[s["graph"], fmt_triples(s["triples"]), s["route"],
                        fmt_seconds(s.get("seconds")) if s.get("status", "ok") == "ok" else s.get("status", ""),
                        "—" if s.get("results") is None else str(s["results"]),
                        {True: "yes", False: "**no**", None: "—"}[s.get("same")]] for s in results.shacl])
    for graph in graphs:
        rows = [r for r in results.rows if r.graph == graph["name"] and r.detail]
        if not rows:
            continue
        out += ["", f"## {graph['name']} ({fmt_triples(graph['triples'])} triples)", ""]
        out += _table(["operation", "mode", "median", "p99", "fastest engine", "its median", "ratio", "runs", "note"],
                      [[r.operation, r.mode, cell(r), fmt_seconds(r.p99) if r.p99 is not None else "",
                        r.baseline or "", fmt_seconds(r.baseline_seconds) if r.baseline else "", fmt_ratio(r.ratio),
                        str(r.runs), r.note if r.status == "ok" else ""] for r in rows])
    if results.notes:
        out += ["", "## Notes", ""]
        out += [f"- {note}" for note in results.notes]
    return "\n".join(out) + "\n"


def write_plot(results: Results, path: Path) -> str | None:
    """Log-log plot of every scaling series; returns None (and writes nothing) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    table = scaling(results)
    figure, axis = plt.subplots(figsize=(10, 6.5), dpi=100)
    markers = "os^vD<>phx*+"
    for index, (series, by_graph) in enumerate(table.items()):
        points = sorted((row.triples, row.seconds) for row in by_graph.values() if row.status == "ok" and row.seconds)
        if not points:
            continue
        xs, ys = zip(*points)
        axis.plot(xs, ys, marker=markers[index % len(markers)], linestyle="--" if "baseline" in series or
                  "pyoxigraph" in series else "-", label=series)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("triples in the graph")
    axis.set_ylabel("median time (s)")
    axis.set_title("ALL-KG: time against graph size")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7, loc="upper left", ncol=2)
    figure.tight_layout()
    import io

    buffer = io.BytesIO()
    # No timestamp in the PNG metadata, so equal results give equal files.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
    return path.name


def write_report(results: Results, output: Path, plot: bool = True) -> list[Path]:
    """Write the Markdown report, its plot (report.png next to it) and the raw results (JSON)."""
    written: list[Path] = []
    plot_name = None
    if plot:
        plot_path = output.parent / (output.stem.lower() + ".png")
        plot_name = write_plot(results, plot_path)
        if plot_name:
            written.append(plot_path)
        else:
            results.notes.append("matplotlib is not installed (pip install -e '.[bench]'): no plot was drawn.")
    atomic_write_bytes(output, render(results, plot_name).encode("utf-8"))
    written.insert(0, output)
    json_path = output.with_suffix(".json")
    atomic_write_bytes(json_path, (results.to_json() + "\n").encode("utf-8"))
    written.append(json_path)
    return written
