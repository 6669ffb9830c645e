"""`allkg serve`: the SPARQL 1.1 Protocol endpoint, its limits and refusals, and the linked-data pages.

One server (the real command line, small limits so that they can be hit quickly) serves every
test of this module. Expected answers are what the source pages say, written out here.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

from allkg_server import FEVER_PUBLISHERS, FEVER_QUERY, http, serve
from graph_build import http_negotiation as negotiation

pytestmark = pytest.mark.server

ALL = "https://w3id.org/allkg/id/"
SRC = "https://w3id.org/allkg/source/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PROV = "http://www.w3.org/ns/prov#"
SRX = "{http://www.w3.org/2005/sparql-results#}"

CONSTRUCT_QUERY = """
PREFIX allkg: <https://w3id.org/allkg/vocab/>
PREFIX all: <https://w3id.org/allkg/id/>
CONSTRUCT { all:ALL allkg:hasSymptom ?symptom } WHERE { all:ALL allkg:hasSymptom ?symptom }"""
# Every triple joined with every triple twice over: far more than a second of work.
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MAX_RESULTS = 2000
MAX_REQUEST_BYTES = 20_000


@pytest.fixture(scope="module")
def server(built_graph_file, tmp_path_factory):
    with serve(built_graph_file, tmp_path_factory.mktemp("serve"), "--timeout", "1.5", "--max-results",
               str(MAX_RESULTS), "--max-request-bytes", str(MAX_REQUEST_BYTES)) as running:
        yield running


def sparql_get(server, query: str, accept: str | None = None, **params):
    url = f"{server.base}/sparql?" + urllib.parse.urlencode({"query": query, **params})
    return http("GET", url, headers={"Accept": accept} if accept else {})


def sparql_post_form(server, query: str, accept: str | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if accept:
        headers["Accept"] = accept
    return http("POST", f"{server.base}/sparql", body=urllib.parse.urlencode({"query": query}).encode(), headers=headers)


def sparql_post_direct(server, query: str, accept: str | None = None):
    headers = {"Content-Type": "application/sparql-query"}
    if accept:
        headers["Accept"] = accept
    return http("POST", f"{server.base}/sparql", body=query.encode(), headers=headers)


def media(headers) -> str:
    return headers["content-type"].split(";")[0].strip()


# --------------------------------------------------------------------------- results in every format

@pytest.mark.parametrize("send", [sparql_get, sparql_post_form, sparql_post_direct], ids=["GET", "POST-form", "POST-direct"])
def test_select_json_by_every_protocol_operation(server, send):
    status, headers, body = send(server, FEVER_QUERY, "application/sparql-results+json")
    assert status == 200 and media(headers) == "application/sparql-results+json"
    data = json.loads(body)
    assert data["head"]["vars"] == ["publisher"]
    assert {b["publisher"]["value"] for b in data["results"]["bindings"]} == FEVER_PUBLISHERS


def test_select_xml(server):
    status, headers, body = sparql_post_form(server, FEVER_QUERY, "application/sparql-results+xml")
    assert status == 200 and media(headers) == "application/sparql-results+xml"
    root = ET.fromstring(body)
    values = {lit.text for lit in root.iter(f"{SRX}literal")}
    assert values == FEVER_PUBLISHERS
    assert [v.get("name") for v in root.iter(f"{SRX}variable")] == ["publisher"]


def test_select_csv(server):
    status, headers, body = sparql_get(server, FEVER_QUERY, "text/csv")
    assert status == 200 and media(headers) == "text/csv"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0] == ["publisher"]
    assert {row[0] for row in rows[1:]} == FEVER_PUBLISHERS


def test_select_tsv(server):
    status, headers, body = sparql_get(server, FEVER_QUERY, "text/tab-separated-values")
    assert status == 200 and media(headers) == "text/tab-separated-values"
    lines = body.decode("utf-8").splitlines()
    assert lines[0] == "?publisher"
    # TSV cells are RDF terms in Turtle syntax: strings are quoted.
    assert {json.loads(line) for line in lines[1:]} == FEVER_PUBLISHERS


@pytest.mark.parametrize("fmt, results_format", [
    ("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML),
    ("csv", None), ("tsv", ox.QueryResultsFormat.TSV),
])
def test_format_parameter_and_standard_reader(server, fmt, results_format):
    """?format= overrides Accept; pyoxigraph's W3C results parser (csv module for CSV, which is lossy) reads each."""
    status, _, body = sparql_get(server, FEVER_QUERY, "application/sparql-results+json", format=fmt)
    assert status == 200
    if results_format is None:
        found = {row["publisher"] for row in csv.DictReader(io.StringIO(body.decode("utf-8")))}
    else:
        found = {s["publisher"].value for s in ox.parse_query_results(body, format=results_format)}
    assert found == FEVER_PUBLISHERS


def test_sparqlwrapper_client(server):
    """SPARQLWrapper, a widely used client, with its own Accept headers, GET and POST."""
    SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
    for method in (SPARQLWrapper.GET, SPARQLWrapper.POST):
        for fmt in (SPARQLWrapper.JSON, SPARQLWrapper.XML, SPARQLWrapper.CSV, SPARQLWrapper.TSV):
            client = SPARQLWrapper.SPARQLWrapper(f"{server.base}/sparql")
            client.setQuery(FEVER_QUERY)
            client.setMethod(method)
            client.setReturnFormat(fmt)
            result = client.query()
            converted = result.convert()
            if fmt == SPARQLWrapper.JSON:
                found = {b["publisher"]["value"] for b in converted["results"]["bindings"]}
            elif fmt == SPARQLWrapper.XML:  # an xml.dom document
                found = {n.firstChild.data for n in converted.getElementsByTagName("literal")}
            else:
                text = converted.decode("utf-8") if isinstance(converted, bytes) else converted
                cells = [line.split("\t" if fmt == SPARQLWrapper.TSV else ",", 1)[0] for line in text.splitlines()[1:]]
                found = {cell.strip('"') for cell in cells}
            assert found == FEVER_PUBLISHERS, (method, fmt)


def test_ask(server):
    query = "PREFIX all: <https://w3id.org/allkg/id/> PREFIX allkg: <https://w3id.org/allkg/vocab/> " \
            "ASK { all:ALL allkg:hasSymptom all:fever }"
    status, _, body = sparql_get(server, query, "application/sparql-results+json")
    assert status == 200 and json.loads(body)["boolean"] is True
    status, _, body = sparql_get(server, query, "application/sparql-results+xml")
    assert ET.fromstring(body).find(f"{SRX}boolean").text == "true"


@pytest.mark.parametrize("accept, rdf_format", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_construct_formats_parse(server, accept, rdf_format):
    status, headers, body = sparql_post_direct(server, CONSTRUCT_QUERY, accept)
    assert status == 200 and media(headers) == accept
    triples = {(q.subject.value, q.object.value) for q in ox.parse(body, format=rdf_format)}
    assert (ALL + "ALL", ALL + "fever") in triples
    assert (ALL + "ALL", ALL + "weight_loss") in triples


def test_construct_turtle_parses_with_rdflib(server):
    from rdflib import Graph, URIRef

    status, _, body = sparql_get(server, CONSTRUCT_QUERY)  # no Accept: Turtle is the default for graphs
    assert status == 200
    graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
    assert (URIRef(ALL + "ALL"), URIRef("https://w3id.org/allkg/vocab/hasSymptom"), URIRef(ALL + "fever")) in graph


def test_unacceptable_format_is_406(server):
    status, _, body = sparql_get(server, FEVER_QUERY, "image/png")
    assert status == 406 and b"offered" in body


# --------------------------------------------------------------------------- refusals, limits, recovery

def _assert_refused(response, status: int, words: str):
    got_status, headers, body = response
    assert got_status == status, body
    assert media(headers) == "text/plain"
    text = body.decode("utf-8")
    assert re.search(words, text, re.I), text
    assert text.count("\n") == 1  # one clear line


def test_refusals_then_server_keeps_serving(server):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    _assert_refused(sparql_post_form(server, update), 403, r"update.*read-only")
    _assert_refused(http("POST", f"{server.base}/sparql", body=update.encode(),
                         headers={"Content-Type": "application/sparql-update"}), 403, r"updates are refused")
    _assert_refused(http("POST", f"{server.base}/sparql", body=urllib.parse.urlencode({"update": update}).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded"}), 403, r"read-only")
    _assert_refused(sparql_get(server, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"),
                    400, r"SERVICE clause.*switched off")
    _assert_refused(sparql_get(server, "SELEC ?s WHERE { ?s ?p ?o }"), 400, r"syntax error")
    _assert_refused(sparql_get(server, "SELECT ?s WHERE { ?s ?p }"), 400, r"syntax error")
    _assert_refused(sparql_post_direct(server, SLOW_QUERY), 503, r"time limit of 1\.5 s")
    _assert_refused(sparql_get(server, "SELECT * WHERE { ?s ?p ?o }"), 413, rf"more than {MAX_RESULTS} rows.*--max-results")
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * MAX_REQUEST_BYTES
    _assert_refused(sparql_post_direct(server, big), 413, rf"limit of {MAX_REQUEST_BYTES} bytes")
    _assert_refused(sparql_get(server, big), 414, r"POST long queries")
    _assert_refused(http("PUT", f"{server.base}/sparql", body=b"x"), 405, r"read-only")

    # Still serving: health, and a normal query answered by the workers (one was replaced).
    status, _, body = http("GET", f"{server.base}/health")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok"
    assert health["workers"]["stopped_for_time"] >= 1
    for _ in range(3):  # more queries than workers: the replaced worker answers too
        status, _, body = sparql_get(server, FEVER_QUERY, "application/sparql-results+json")
        assert status == 200
        assert {b["publisher"]["value"] for b in json.loads(body)["results"]["bindings"]} == FEVER_PUBLISHERS


def test_other_queries_are_answered_while_one_runs_too_long(server):
    """A slow query holds one worker; the other worker keeps answering in the meantime."""
    import threading

    import time

    deadline = time.monotonic() + 60  # a worker stopped by an earlier test may still be restarting
    while json.loads(http("GET", f"{server.base}/health")[2])["workers"]["alive"] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    finished: list[str] = []
    slow = threading.Thread(target=lambda: (sparql_post_direct(server, SLOW_QUERY), finished.append("slow")))
    slow.start()
    try:
        status, _, _ = sparql_get(server, FEVER_QUERY)
        finished.append("normal")
        assert status == 200
    finally:
        slow.join(timeout=30)
    assert finished == ["normal", "slow"]


def test_serve_bad_input_is_one_line(allkg, tmp_path):
    result = allkg("serve", "--graph", str(tmp_path / "missing.ttl"), "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == f"allkg serve: error: {tmp_path / 'missing.ttl'}: no such file"
    result = allkg("serve", "--timeout", "0")
    assert result.returncode == 2 and "must be greater than 0" in result.stderr


def test_unsupported_dataset_parameter(server):
    _assert_refused(sparql_get(server, FEVER_QUERY, **{"default-graph-uri": "urn:x"}), 400, r"not supported")


def test_cors(server):
    status, headers, _ = sparql_get(server, FEVER_QUERY)
    assert headers["access-control-allow-origin"] == "*"
    status, headers, _ = http("OPTIONS", f"{server.base}/sparql", headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()


def test_health(server, built_graph_file):
    status, headers, body = http("GET", f"{server.base}/health")
    assert status == 200 and media(headers) == "application/json"
    health = json.loads(body)
    expected = sum(1 for _ in ox.parse(path=str(built_graph_file), format=ox.RdfFormat.TURTLE))
    assert health["triples"] == expected
    from graph_build.version import __version__

    assert health["version"] == __version__


def test_one_log_line_per_request(server):
    marker = "/health?log-check=7"
    http("GET", server.base + marker)
    http("GET", f"{server.base}/no-such-page")
    log = server.log()
    assert len(re.findall(rf"GET {re.escape(marker)} 200 \d+\.\d ms", log)) == 1
    assert re.search(r"GET /no-such-page 404 \d+\.\d ms", log)


def test_binds_localhost_by_default():
    from graph_build.cli import make_parser

    assert make_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_service_description(server):
    status, headers, body = http("GET", f"{server.base}/sparql")
    assert status == 200 and media(headers) == "text/turtle"
    sd = "http://www.w3.org/ns/sparql-service-description#"
    triples = {(q.subject.value if hasattr(q.subject, "value") else None, q.predicate.value, q.object.value)
               for q in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    endpoint = f"{server.base}/sparql"
    assert (endpoint, RDF + "type", sd + "Service") in triples
    assert (endpoint, sd + "endpoint", endpoint) in triples
    assert (endpoint, sd + "supportedLanguage", sd + "SPARQL11Query") in triples
    assert (endpoint, sd + "resultFormat", "http://www.w3.org/ns/formats/SPARQL_Results_CSV") in triples


# --------------------------------------------------------------------------- linked data and pages

def test_entity_page_html(server):
    status, headers, body = http("GET", f"{server.base}/id/fever", headers={"Accept": "text/html"})
    assert status == 200 and media(headers) == "text/html"
    page = body.decode("utf-8")
    assert "<h1>fever</h1>" in page
    assert "Body temperature above normal." in page  # the definition
    for publisher in FEVER_PUBLISHERS:  # the sources of "ALL has symptom fever"
        assert publisher in page
    assert 'href="/id/ALL"' in page and 'href="/fact/F0071"' in page


def test_entity_page_external_links_are_clickable(server):
    """Every mapping to another ontology (skos:*Match) in the description is a link on the page."""
    _, _, turtle = http("GET", f"{server.base}/id/fever?format=ttl")
    skos = "http://www.w3.org/2004/02/skos/core#"
    targets = {q.object.value for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)
               if q.subject.value == ALL + "fever" and q.predicate.value.startswith(skos) and q.predicate.value.endswith("Match")}
    assert targets, "fever is mapped to at least one external term"
    _, _, page = http("GET", f"{server.base}/id/fever", headers={"Accept": "text/html"})
    for target in targets:
        assert f'href="{target}"' in page.decode("utf-8")


def test_entity_page_turtle_has_provenance(server):
    status, headers, body = http("GET", f"{server.base}/id/fever", headers={"Accept": "text/turtle"})
    assert status == 200 and media(headers) == "text/turtle"
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    assert (ALL + "fever", "http://www.w3.org/2000/01/rdf-schema#label", "fever") in triples
    records = {s for s, p, o in triples if p == RDF + "object" and o == ALL + "fever"}
    assert records, "the provenance record of 'ALL has symptom fever' is part of the description"
    sources = {o for s, p, o in triples if s in records and p == PROV + "wasDerivedFrom"}
    assert sources == {SRC + "cityofhope", SRC + "medlineplus", SRC + "moffitt"}


@pytest.mark.parametrize("path, accept, words", [
    ("/id/imatinib", "text/html", ["imatinib", "Gleevec", "American Cancer Society", "Philadelphia chromosome"]),
    ("/source/moffitt", "text/html", ["Moffitt Cancer Center"]),
    ("/vocab/Symptom", "text/html", ["fever", "weight loss"]),
    ("/fact/F0071", "text/html", ["fever", "City of Hope", "Moffitt Cancer Center"]),
])
def test_other_pages(server, path, accept, words):
    status, headers, body = http("GET", server.base + path, headers={"Accept": accept})
    assert status == 200 and media(headers) == accept
    for word in words:
        assert word in body.decode("utf-8"), word


def test_entity_json_ld(server):
    status, headers, body = http("GET", f"{server.base}/id/imatinib?format=jsonld")
    assert status == 200 and media(headers) == "application/ld+json"
    triples = {(q.subject.value, q.predicate.value, q.object.value) for q in ox.parse(body, format=ox.RdfFormat.JSON_LD)}
    assert (ALL + "imatinib", "https://w3id.org/allkg/vocab/indicatedFor", ALL + "Ph_positive_ALL") in triples


def test_unknown_entity_and_escaping(server):
    status, _, body = http("GET", f"{server.base}/id/no_such_thing")
    assert status == 404
    status, headers, body = http("GET", f"{server.base}/id/%3Cscript%3Ealert(1)%3C/script%3E",
                                 headers={"Accept": "text/html"})
    assert status == 404 and media(headers) == "text/html"
    assert b"<script>" not in body and b"&lt;script&gt;" in body


def test_home_page(server):
    status, headers, body = http("GET", f"{server.base}/", headers={"Accept": "text/html"})
    assert status == 200 and media(headers) == "text/html"
    page = body.decode("utf-8")
    assert 'href="/vocab/Drug"' in page  # a class, with its member count
    assert re.search(r'href="/vocab/Symptom">[^<]+</a></td><td class="number">\d+</td>', page)
    assert "symptoms_three_sources" in page and "Which symptoms of ALL are stated by at least three" in page
    assert '<textarea id="query" name="query"' in page and 'id="run"' in page
    assert '<script src="/static/editor.js"></script>' in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)  # no remote scripts or styles
    assert "script-src 'self'" in headers["content-security-policy"]
    status, headers, body = http("GET", f"{server.base}/static/editor.js")
    assert status == 200 and media(headers) == "text/javascript" and b"fetch(" in body
    status, _, body = http("GET", f"{server.base}/queries/symptoms_three_sources.rq")
    assert status == 200 and body.startswith(b"# Which symptoms")


# --------------------------------------------------------------------------- content negotiation (no server)

@pytest.mark.parametrize("accept, fmt, graph, expected", [
    (None, None, False, "application/sparql-results+json"),
    (None, None, True, "text/turtle"),
    ("text/csv, */*;q=0.1", None, False, "text/csv"),
    ("application/json", None, True, "application/ld+json"),
    ("application/sparql-results+xml;q=0.5, text/tab-separated-values", None, False, "text/tab-separated-values"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, False, "application/sparql-results+xml"),
    ("text/csv", "json", False, "application/sparql-results+json"),
    (None, "nt", True, "application/n-triples"),
])
def test_negotiation(accept, fmt, graph, expected):
    offers = negotiation.GRAPH_OFFERS if graph else negotiation.SELECT_OFFERS
    assert negotiation.choose(accept, offers, fmt, graph=graph) == expected


def test_negotiation_refuses():
    with pytest.raises(negotiation.NotAcceptable):
        negotiation.choose("image/png", negotiation.SELECT_OFFERS)
    with pytest.raises(negotiation.NotAcceptable):
        negotiation.choose(None, negotiation.SELECT_OFFERS, "ttl")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited but is not reaped yet: it holds no port and serves nothing.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.mark.server
@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux", reason="SO_REUSEPORT processes: Linux")
def test_two_http_processes_share_the_port_and_stop_together(built_graph_file, tmp_path):
    with serve(built_graph_file, tmp_path, "--processes", "2", "--workers", "1") as running:
        pids = set()
        # Each urllib request is a new connection; the kernel spreads connections over both processes.
        for _ in range(40):
            status, _, body = http("GET", f"{running.base}/health")
            assert status == 200
            health = json.loads(body)
            assert health["http_processes"] == 2
            pids.add(health["pid"])
            if len(pids) == 2:
                break
        assert len(pids) == 2, "every connection reached the same process"
        assert running.process.pid in pids
        for _ in range(4):  # both answer queries correctly
            status, _, body = sparql_get(running, FEVER_QUERY, "application/sparql-results+json")
            assert status == 200
            assert {b["publisher"]["value"] for b in json.loads(body)["results"]["bindings"]} == FEVER_PUBLISHERS
        extra = (pids - {running.process.pid}).pop()
        # Another server may not join the shared port: it is refused, as a busy port should be.
        port = running.base.rsplit(":", 1)[1]
        other = subprocess.run([sys.executable, "-m", "graph_build", "serve", "--port", port, "--graph",
                                str(built_graph_file)], capture_output=True, text=True, timeout=60)
        assert other.returncode == 2
        assert other.stderr.strip().splitlines() == [
            f"allkg serve: error: cannot listen on 127.0.0.1:{port}: Address already in use"]
        # SIGTERM to the first process alone (as a service manager may send) stops the other too.
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(timeout=20)
        deadline = time.monotonic() + 10
        while _alive(extra) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(extra), "the extra HTTP process outlived the server"
        assert "stopped" in running.log()
