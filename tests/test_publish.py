"""`allkg publish` into a real Oxigraph server, and the query library run there through the endpoint.

The Oxigraph server comes from the `oxigraph` Python package (test extra). Its default graph is
the store's own default graph, so library queries are sent with `default-graph-uri=<graph>`
(SPARQL 1.1 Protocol) to query the published named graph.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
from collections import Counter

import pyoxigraph as ox
import pytest

from allkg_server import http, stop
from graph_build import paths
from graph_build.publish import DEFAULT_GRAPH_IRI, count_triples, derive_endpoints
from graph_build.sparql_params import QueryText
from graph_build.store import QueryEngine, engine_for_endpoint

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    """A real Oxigraph server on 127.0.0.1 with a store in a temporary folder: its base URL."""
    executable = shutil.which("oxigraph")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("the oxigraph server is missing: pip install -e '.[test]' installs it")
        pytest.skip("the oxigraph server is not installed (pip install oxigraph, or pip install -e '.[test]')")
    location = tmp_path_factory.mktemp("oxigraph")
    port = _free_port()
    log = open(location.parent / f"oxigraph-{port}.log", "wb")
    process = subprocess.Popen([executable, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", f"{base}/query?query=ASK%7B%7D", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"oxigraph serve did not start on port {port}")
            time.sleep(0.1)
        yield base
    finally:
        stop(process)
        log.close()


def _graph_names(base: str) -> set[str]:
    status, _, body = http("POST", f"{base}/query", body=b"SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
                           headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert status == 200
    import json

    return {b["g"]["value"] for b in json.loads(body)["results"]["bindings"]}


@pytest.fixture(scope="module")
def published(oxigraph, built_graph_file, tmp_path_factory):
    """Publish into a named graph, first a small stand-in graph, then the real one over it."""
    from conftest import run_allkg

    small = tmp_path_factory.mktemp("small") / "small.ttl"
    small.write_text("<urn:x:a> <urn:x:b> <urn:x:c> , <urn:x:d> .\n", encoding="utf-8")
    first = run_allkg("publish", "--store", f"{oxigraph}/store", "--file", str(small))
    assert first.returncode == 0, first.stderr
    assert count_triples(f"{oxigraph}/query", DEFAULT_GRAPH_IRI, 10) == 2
    second = run_allkg("publish", "--store", f"{oxigraph}/store", "--file", str(built_graph_file))
    assert second.returncode == 0, second.stderr
    return second


def test_publish_replaces_the_graph(published, oxigraph, built_graph_file):
    expected = sum(1 for _ in ox.parse(path=str(built_graph_file), format=ox.RdfFormat.TURTLE))
    assert f"published {expected} triples" in published.stdout
    assert f"verified: {expected} triples" in published.stdout
    assert "MOVE" in published.stdout  # the staged swap was used (Oxigraph's update endpoint was derived)
    # Replaced, not merged: the stand-in graph's triples are gone; no staging graph is left behind.
    assert count_triples(f"{oxigraph}/query", DEFAULT_GRAPH_IRI, 10) == expected
    assert _graph_names(oxigraph) == {DEFAULT_GRAPH_IRI}


def concat_separators(query_text: str) -> list[str]:
    """The GROUP_CONCAT separators of a query (" " when none is given)."""
    if not re.search(r"GROUP_CONCAT", query_text, re.I):
        return []
    return re.findall(r'separator\s*=\s*"([^"]*)"', query_text, re.I) or [" "]


def normalize_cell(text: str, separators: list[str]) -> str:
    """SPARQL leaves the order inside GROUP_CONCAT undefined (engines follow their storage order):
    compare such values as sorted lists of their parts."""
    for separator in separators:
        if separator and separator in text:
            return separator.join(sorted(text.split(separator)))
    return text


def _canonical_rows(result, separators: list[str] = ()) -> Counter:
    """The answer as a multiset of rows of term strings (blank node labels do not matter)."""
    def term(value):
        if value is None:
            return None
        if isinstance(value, ox.BlankNode):
            return "_:b"
        if isinstance(value, ox.Literal):
            return f"{normalize_cell(value.value, list(separators))!r}^^{value.datatype}@{value.language}"
        return str(value)

    if result.kind == "ask":
        return Counter([result.boolean])
    if result.is_graph:
        return Counter(tuple(term(t) for t in (tr.subject, tr.predicate, tr.object)) for tr in result.triples)
    return Counter(tuple(term(v) for v in row) for row in result.rows)


def test_every_library_query_agrees_with_the_embedded_store(published, oxigraph, built_graph_file):
    files = sorted(paths.QUERIES_DIR.glob("*.rq"))
    assert len(files) >= 10, "the query library should be there"
    local = QueryEngine([built_graph_file])
    remote = engine_for_endpoint(f"{oxigraph}/query?" + urllib.parse.urlencode({"default-graph-uri": DEFAULT_GRAPH_IRI}))
    answered = 0
    for path in files:
        text = QueryText.from_file(path).text
        here, there = local.run(text), remote.run(text)
        assert (here.kind == "ask") == (there.kind == "ask") and here.is_graph == there.is_graph, path.name
        if not here.is_graph and here.kind != "ask":
            assert here.variables == there.variables, path.name
        separators = concat_separators(text)
        assert _canonical_rows(here, separators) == _canonical_rows(there, separators), f"{path.name}: answers differ"
        answered += bool(len(here))
    assert answered >= len(files) - 2  # nearly every library query has an answer on the built graph


def test_allkg_query_endpoint_cli_matches_local(published, oxigraph, built_graph_file):
    from conftest import run_allkg

    endpoint = f"{oxigraph}/query?" + urllib.parse.urlencode({"default-graph-uri": DEFAULT_GRAPH_IRI})
    for name in ("symptoms_three_sources", "drugs"):
        there = run_allkg("query", name, "--endpoint", endpoint, "--format", "csv")
        here = run_allkg("query", name, "--graph", str(built_graph_file), "--format", "csv")
        assert there.returncode == 0 and here.returncode == 0, there.stderr + here.stderr
        separators = concat_separators(QueryText.from_file(paths.QUERIES_DIR / f"{name}.rq").text)

        def rows(output: str) -> list[list[str]]:
            return [[normalize_cell(cell, separators) for cell in row] for row in csv.reader(io.StringIO(output))]

        assert rows(there.stdout) == rows(here.stdout) and len(rows(here.stdout)) > 2


def test_publish_default_graph_with_single_put(oxigraph, built_graph_file):
    from conftest import run_allkg

    result = run_allkg("publish", "--store", f"{oxigraph}/store", "--default-graph", "--no-swap",
                       "--file", str(built_graph_file))
    assert result.returncode == 0, result.stderr
    assert "single Graph Store Protocol PUT" in result.stdout and "verified" in result.stdout


def test_publish_refuses_a_broken_file_and_leaves_the_graph(published, oxigraph, tmp_path):
    from conftest import run_allkg

    before = count_triples(f"{oxigraph}/query", DEFAULT_GRAPH_IRI, 10)
    broken = tmp_path / "broken.ttl"
    broken.write_text("<urn:x:a> <urn:x:b> .\n", encoding="utf-8")
    result = run_allkg("publish", "--store", f"{oxigraph}/store", "--file", str(broken))
    assert result.returncode == 2
    assert result.stderr.startswith("allkg publish: error: ") and "broken.ttl:1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert count_triples(f"{oxigraph}/query", DEFAULT_GRAPH_IRI, 10) == before


def test_publish_unreachable_store_is_one_line(built_graph_file):
    from conftest import run_allkg

    result = run_allkg("publish", "--store", f"http://127.0.0.1:{_free_port()}/store", "--timeout", "5",
                       "--file", str(built_graph_file))
    assert result.returncode == 2 and "cannot reach" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_derive_endpoints():
    assert derive_endpoints("http://h:7878/store") == ("http://h:7878/query", "http://h:7878/update")
    assert derive_endpoints("http://h:3030/allkg/data") == ("http://h:3030/allkg/sparql", "http://h:3030/allkg/update")
    assert derive_endpoints("http://h/gsp") == (None, None)
