"""Start `allkg serve` for a test: the real command line in a subprocess, on a free port of 127.0.0.1.

Used by test_server.py and test_browser.py. Every wait is bounded; the server is stopped (and
its worker processes with it) when the context ends.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from graph_build import paths

START_TIMEOUT = 90.0  # seconds: loading the graph in the server and in each worker


@dataclass
class RunningServer:
    base: str  # http://127.0.0.1:PORT
    process: subprocess.Popen
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


# The pages that list fever as a symptom of ALL (City of Hope, MedlinePlus and Moffitt do).
FEVER_PUBLISHERS = {"City of Hope", "MedlinePlus (U.S. National Library of Medicine)", "Moffitt Cancer Center"}
FEVER_QUERY = """
PREFIX allkg: <https://w3id.org/allkg/vocab/>
PREFIX all: <https://w3id.org/allkg/id/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?publisher WHERE {
  ?record rdf:subject all:ALL ; rdf:predicate allkg:hasSymptom ; rdf:object all:fever ;
          prov:wasDerivedFrom ?source .
  ?source dcterms:publisher ?publisher .
} ORDER BY ?publisher"""


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@contextlib.contextmanager
def serve(graph_file: Path, tmp_dir: Path, *extra: str):
    # One HTTP process unless a test asks for more: health figures and the response cache are
    # per process, and tests that read them must reach the process that did the work.
    if "--processes" not in extra:
        extra = (*extra, "--processes", "1")
    log_file = tmp_dir / "serve.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "graph_build", "serve", "--port", "0", "--graph", str(graph_file), *extra],
            cwd=paths.PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        base = None
        while time.monotonic() < deadline:
            match = re.search(r"listening on (http://[^\s/]+)/", log_file.read_text(errors="replace"))
            if match:
                base = match.group(1)
                break
            if process.poll() is not None:
                raise RuntimeError(f"allkg serve exited with {process.returncode}: {log_file.read_text()}")
            time.sleep(0.1)
        if base is None:
            raise RuntimeError(f"allkg serve did not start within {START_TIMEOUT} s: {log_file.read_text()}")
        yield RunningServer(base, process, log_file)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the server's own process group: it and its workers
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a helper process (a browser, another store), killing it if it does not stop."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
