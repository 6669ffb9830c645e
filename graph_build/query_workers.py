"""A pool of long-lived worker processes that run SPARQL queries for the server, with a time limit.

pyoxigraph cannot interrupt a running query from Python, so a query that must be stopped runs
in a process we can kill. Each worker loads the graph once, then answers requests over a pipe;
the server thread that sent a request waits at most the time limit for the answer. A worker
that overruns is killed (SIGKILL) and a fresh one is started in the background, so the server
keeps serving. Workers are started with the `forkserver` method where available: a clean
process (no server threads inherited) with the engine's modules preloaded, so a replacement
costs about one graph load, not a Python start-up.

The worker runs the query *and* serialises the answer in the negotiated format, so only bytes
cross the pipe, and the result-size limits (rows, bytes) are applied where the result is made.
"""
from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Reply:
    """What the server sends back: HTTP status, media type, body."""

    status: int
    content_type: str
    body: bytes

    @classmethod
    def error(cls, status: int, message: str) -> "Reply":
        return cls(status, "text/plain; charset=utf-8", (message.rstrip("\n") + "\n").encode("utf-8"))


@dataclass(frozen=True)
class QueryRequest:
    query: str
    accept: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker needs to build its engine (picklable: it crosses to the new process)."""

    graph_files: tuple[Path, ...]
    max_results: int
    max_result_bytes: int


# --------------------------------------------------------------------------- the worker process

def _worker_main(conn, settings: WorkerSettings) -> None:
    """Load the graph once, then answer QueryRequests until the pipe closes."""
    import signal

    from graph_build.sparql_execution import Executor

    # Ctrl-C in the terminal reaches the whole process group: the server shuts the workers down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    try:
        executor = Executor(settings)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", executor.triple_count))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = executor.answer(request)
        except Exception as exc:  # noqa: BLE001 - a bug must not kill the worker silently
            reply = Reply.error(500, f"internal error while running the query: {type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return


# --------------------------------------------------------------------------- the pool


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Loaded once in the fork server, inherited by every worker it forks.
        context.set_forkserver_preload(["graph_build.sparql_execution"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: object  # multiprocessing.connection.Connection (parent end)
    served: int = 0
    ready: bool = False  # has loaded the graph


class WorkerStartError(RuntimeError):
    pass


@dataclass
class PoolStats:
    started: int = 0
    killed_for_time: int = 0
    crashed: int = 0
    triple_count: int = 0
    extra: dict = field(default_factory=dict)


class QueryWorkerPool:
    """`size` workers; `run()` blocks the calling thread for at most about 2 x `timeout` seconds."""

    def __init__(self, settings: WorkerSettings, size: int, timeout: float,
                 log: Callable[[str], None] = lambda message: None, start_timeout: float = 120.0) -> None:
        self.settings = settings
        self.size = max(1, size)
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.log = log
        self.stats = PoolStats()
        self._idle: "queue.Queue[_Worker]" = queue.Queue()
        self._context = _context()
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[int] = set()
        self._workers: list[_Worker] = []

    # -- life cycle
    def start(self) -> None:
        """Start every worker and wait until each has loaded the graph (WorkerStartError if one cannot)."""
        pending = [self._spawn() for _ in range(self.size)]
        for worker in pending:
            self._await_ready(worker)
            self._idle.put(worker)

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_main, args=(child, self.settings), daemon=True,
                                        name="allkg-query-worker")
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._workers.append(worker)
            self.stats.started += 1
        return worker

    def _await_ready(self, worker: _Worker) -> None:
        if not worker.conn.poll(self.start_timeout):
            self._kill(worker)
            raise WorkerStartError(f"a query worker did not load the graph within {self.start_timeout:g} s")
        try:
            kind, value = worker.conn.recv()
        except (EOFError, OSError):
            self._kill(worker)
            raise WorkerStartError("a query worker exited while loading the graph") from None
        if kind != "ready":
            self._kill(worker)
            raise WorkerStartError(f"a query worker could not load the graph: {value}")
        self.stats.triple_count = value
        worker.ready = True

    def _replace_in_background(self) -> None:
        def replace() -> None:
            if self._closed:
                return
            try:
                worker = self._spawn()
                self._await_ready(worker)
            except WorkerStartError as exc:
                self.log(f"query worker could not be restarted: {exc}")
                return
            if self._closed:
                self._kill(worker)
            else:
                self._idle.put(worker)

        threading.Thread(target=replace, name="allkg-worker-respawn", daemon=True).start()

    def _kill(self, worker: _Worker) -> None:
        try:
            worker.process.kill()
            worker.process.join(timeout=5)
        finally:
            try:
                worker.conn.close()
            except OSError:
                pass
            with self._lock:
                if worker in self._workers:
                    self._workers.remove(worker)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            self._kill(worker)

    # -- running queries
    def run(self, request: QueryRequest) -> Reply:
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return Reply.error(503, f"all {self.size} query workers are busy; try again in a moment "
                               f"(waited {self.timeout:g} s)")
        started = time.monotonic()
        try:
            worker.conn.send(request)
            if not worker.conn.poll(self.timeout):
                self.stats.killed_for_time += 1
                self._kill(worker)
                self._replace_in_background()
                return Reply.error(
                    503,
                    f"query stopped: it ran longer than the time limit of {self.timeout:g} s "
                    "(server option --timeout); simplify the query or add a LIMIT",
                )
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self.stats.crashed += 1
            self._kill(worker)
            self._replace_in_background()
            return Reply.error(500, f"the query worker stopped unexpectedly ({type(exc).__name__}); "
                               f"it is being restarted (after {time.monotonic() - started:.1f} s)")
        worker.served += 1
        self._idle.put(worker)
        return reply

    @property
    def alive(self) -> int:
        with self._lock:
            return sum(1 for worker in self._workers if worker.ready and worker.process.is_alive())
