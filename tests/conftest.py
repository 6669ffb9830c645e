"""Shared fixtures: one build of the graph per test session, the curated tables, the corpus."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from graph_build import paths
from graph_build.tables import CuratedData, load_tables

PROJECT_ROOT = paths.PROJECT_ROOT


@pytest.fixture(scope="session")
def curated() -> CuratedData:
    return load_tables(paths.DATA_DIR)


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory) -> Path:
    """dist/ of one full `allkg build` (reasoning and validation included), in a temporary folder."""
    from graph_build.build import BuildOptions, run_build

    dist = tmp_path_factory.mktemp("dist")
    run_build(BuildOptions(dist=dist, log=lambda message: None))
    return dist


@pytest.fixture(scope="session")
def built_graph_file(built_dist) -> Path:
    return built_dist / "allkg.ttl"


@pytest.fixture(scope="session")
def built_graph(built_graph_file) -> Graph:
    return Graph().parse(built_graph_file, format="turtle")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    directory = paths.corpus_dir()
    if not (directory / "sources.tsv").exists():
        pytest.skip(f"source corpus not found at {directory} (set ALLKG_CORPUS)")
    return directory


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    directory = paths.reference_dir()
    if not (directory / "MONDO.tsv").exists():
        pytest.skip(f"reference tables not found at {directory} (set ALLKG_REFERENCE)")
    return directory


def run_allkg(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, input: str | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real command line (`python -m graph_build ...`) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "graph_build", *args], cwd=cwd or PROJECT_ROOT, env=full_env,
        capture_output=True, text=True, input=input, timeout=timeout,
    )


@pytest.fixture
def allkg():
    """Call as allkg('build', '--dist', str(tmp)) -> CompletedProcess."""
    return run_allkg


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or URL fails the test (e.g. a remote JSON-LD @context)."""
    import socket
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
