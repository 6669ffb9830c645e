"""`allkg serve --cache-mb`: repeated queries are answered from the server's response cache.

The cache is keyed by (query text, negotiated result media type), holds only successful answers,
is bounded in bytes, and can be switched off. Expected answers are what the source pages say.
"""
from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse

import pytest

from allkg_server import FEVER_PUBLISHERS, FEVER_QUERY, http, serve
from graph_build.response_cache import CacheKey, ResponseCache
from graph_build.query_workers import Reply

pytestmark = pytest.mark.server

# Every triple of the graph: far more than 10 kB in any format.
LARGE_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
JSON_RESULTS = "application/sparql-results+json"


def get(server, query: str, accept: str | None = JSON_RESULTS):
    url = f"{server.base}/sparql?" + urllib.parse.urlencode({"query": query})
    return http("GET", url, headers={"Accept": accept} if accept else {})


def publishers_json(body: bytes) -> set[str]:
    return {b["publisher"]["value"] for b in json.loads(body)["results"]["bindings"]}


@pytest.fixture(scope="module")
def cached(built_graph_file, tmp_path_factory):
    with serve(built_graph_file, tmp_path_factory.mktemp("cached"), "--max-results", "100000") as running:
        yield running


@pytest.fixture(scope="module")
def uncached(built_graph_file, tmp_path_factory):
    with serve(built_graph_file, tmp_path_factory.mktemp("uncached"), "--cache-mb", "0") as running:
        yield running


@pytest.fixture(scope="module")
def tiny(built_graph_file, tmp_path_factory):
    with serve(built_graph_file, tmp_path_factory.mktemp("tiny"), "--cache-mb", "0.01",
               "--max-results", "100000") as running:
        yield running


def test_repeated_query_is_a_hit_with_identical_bytes(cached):
    status1, headers1, body1 = get(cached, FEVER_QUERY)
    status2, headers2, body2 = get(cached, FEVER_QUERY)
    assert (status1, status2) == (200, 200)
    assert headers1["x-cache"] == "MISS" and headers2["x-cache"] == "HIT"
    assert body2 == body1
    assert headers2["content-type"] == headers1["content-type"]
    assert publishers_json(body2) == FEVER_PUBLISHERS
    deadline = time.monotonic() + 5  # the log line is written just after the answer is sent
    while "(cache hit)" not in cached.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "(cache hit)" in cached.log()
    # Surrounding whitespace is not part of the key.
    assert get(cached, "\n  " + FEVER_QUERY + "\n\n")[1]["x-cache"] == "HIT"


def test_each_result_type_is_cached_separately(cached):
    query = FEVER_QUERY + "\n# csv"
    _, json_headers, json_body = get(cached, query, JSON_RESULTS)
    status, csv_headers, csv_body = get(cached, query, "text/csv")
    assert status == 200 and csv_headers["x-cache"] == "MISS"
    assert csv_headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8"))))
    assert rows[0] == ["publisher"] and {row[0] for row in rows[1:]} == FEVER_PUBLISHERS
    status, again, body = get(cached, query, "text/csv")
    assert again["x-cache"] == "HIT" and body == csv_body
    # A different Accept that negotiates the same type shares the entry.
    assert get(cached, query, "application/sparql-results+json, text/csv;q=0.5")[1]["x-cache"] == "HIT"
    assert get(cached, query, JSON_RESULTS)[2] == json_body


def test_errors_are_never_cached(cached):
    broken = "SELECT ?x WHERE { ?x ?y "
    for _ in range(2):
        status, headers, body = get(cached, broken)
        assert status == 400 and headers.get("x-cache") != "HIT"
    for _ in range(2):
        status, headers, _ = get(cached, FEVER_QUERY, "image/png")
        assert status == 406 and "x-cache" not in headers
    status, _, _ = get(cached, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert status == 403


def test_cache_mb_0_disables_it(uncached):
    first = get(uncached, FEVER_QUERY)
    second = get(uncached, FEVER_QUERY)
    assert first[0] == second[0] == 200
    assert "x-cache" not in first[1] and "x-cache" not in second[1]
    assert publishers_json(second[2]) == FEVER_PUBLISHERS
    health = json.loads(http("GET", f"{uncached.base}/health")[2])
    assert health["cache"]["max_bytes"] == 0 and health["cache"]["entries"] == 0


def test_answer_larger_than_the_bound_is_not_cached(tiny):
    status, headers, body = get(tiny, LARGE_QUERY)
    assert status == 200 and len(body) > 0.01 * 1024 * 1024
    assert get(tiny, LARGE_QUERY)[1]["x-cache"] == "MISS"
    # A small answer still fits.
    get(tiny, FEVER_QUERY)
    assert get(tiny, FEVER_QUERY)[1]["x-cache"] == "HIT"
    health = json.loads(http("GET", f"{tiny.base}/health")[2])
    assert 0 < health["cache"]["bytes"] <= health["cache"]["max_bytes"] == int(0.01 * 1024 * 1024)


def test_lru_bound_in_process():
    cache = ResponseCache(1300)  # three entries of about 370 bytes fit, a fourth does not
    body = b"x" * 300
    keys = [CacheKey.of(f"SELECT {i}", JSON_RESULTS) for i in range(5)]
    for key in keys[:3]:
        assert cache.put(key, Reply(200, JSON_RESULTS, body))
    cache.get(keys[0])  # now the most recently used
    assert cache.put(keys[3], Reply(200, JSON_RESULTS, body))
    assert cache.get(keys[1]) is None and cache.get(keys[0]) is not None
    assert cache.size_bytes <= 1300
    assert not cache.put(keys[4], Reply(400, "text/plain; charset=utf-8", b"bad\n"))
    assert not cache.put(keys[4], Reply(200, JSON_RESULTS, b"x" * 2000))
    assert cache.get(keys[4]) is None
