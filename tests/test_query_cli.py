"""`allkg query`: output formats read by standard readers, refusals and one-line errors, endpoints."""
from __future__ import annotations

import csv
import io
import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest

from graph_build.errors import InputError
from graph_build.sparql_params import QueryText, check_query, is_update, render_term, uses_service
from graph_build.store import QueryEngine, engine_for_endpoint

THREE_SOURCES = {"fever", "fatigue", "loss of appetite", "easy bruising", "swollen lymph nodes",
                 "shortness of breath", "weight loss"}
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture
def query(allkg, built_dist):
    """query('NAME', '--format', 'csv') -> CompletedProcess, on the session's built graph."""
    return lambda *args, **kw: allkg("query", *args, env={"ALLKG_DIST": str(built_dist)}, **kw)


def one_line_error(result, *fragments: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("allkg query: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------- listing and table

def test_list_shows_every_library_query_with_its_question(query):
    result = query("--list")
    assert result.returncode == 0, result.stderr
    assert "symptoms_three_sources" in result.stdout and "at least three" in result.stdout
    assert "--param entity=all:fever" in result.stdout
    assert "drugs_ph_positive" in result.stdout and "Philadelphia" in result.stdout


def test_default_output_is_an_aligned_table(query):
    result = query("symptoms_three_sources")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["symptom", "label", "source_count", "sources"]
    assert set(lines[1]) <= {"-", " "}
    # Columns aligned: every row's second column starts where the header's does.
    start = lines[0].index("label")
    for line in lines[2:-1]:
        assert line[start - 2 : start] == "  " and line[start] != " "
        assert line.startswith("all:")  # IRIs shown as prefixed names
    assert lines[-1] == "(7 rows)"


# --------------------------------------------------------------------------- W3C formats

def test_csv_parses_with_the_csv_module(query):
    result = query("symptoms_three_sources", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["label"] for r in rows} == THREE_SOURCES
    assert all(r["symptom"].startswith("https://w3id.org/allkg/id/") for r in rows)


def test_tsv_parses_with_csv_and_pyoxigraph(query):
    result = query("symptoms_three_sources", "--format", "tsv")
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert {r["?label"].split('"')[1] for r in rows} == THREE_SOURCES
    solutions = list(ox.parse_query_results(result.stdout, format=ox.QueryResultsFormat.TSV))
    assert {s["label"].value for s in solutions} == THREE_SOURCES


def test_json_parses_with_json_and_pyoxigraph(query):
    result = query("symptoms_three_sources", "--format", "json")
    document = json.loads(result.stdout)
    assert document["head"]["vars"] == ["symptom", "label", "source_count", "sources"]
    bindings = document["results"]["bindings"]
    assert {b["label"]["value"] for b in bindings} == THREE_SOURCES
    assert bindings[0]["label"]["xml:lang"] == "en"
    assert bindings[0]["source_count"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    solutions = list(ox.parse_query_results(result.stdout, format=ox.QueryResultsFormat.JSON))
    assert len(solutions) == 7


def test_xml_parses_with_elementtree_and_pyoxigraph(query):
    result = query("drugs_ph_positive", "--format", "xml")
    root = ET.fromstring(result.stdout)
    assert root.tag == SPARQL_RESULTS + "sparql"
    names = {b.find(SPARQL_RESULTS + "literal").text
             for b in root.iter(SPARQL_RESULTS + "binding") if b.get("name") == "label"}
    assert names == {"imatinib", "dasatinib"}
    assert {s["label"].value for s in ox.parse_query_results(result.stdout, format=ox.QueryResultsFormat.XML)} == names


def test_ask_in_every_results_format(query):
    ask = "PREFIX all: <https://w3id.org/allkg/id/> ASK { all:ALL ?p all:fever }"
    assert query("--query", ask).stdout.strip() == "true"
    assert json.loads(query("--query", ask, "--format", "json").stdout)["boolean"] is True
    assert bool(ox.parse_query_results(query("--query", ask, "--format", "xml").stdout,
                                       format=ox.QueryResultsFormat.XML)) is True


def test_construct_as_turtle_ntriples_and_jsonld(query):
    construct = ("PREFIX allkg: <https://w3id.org/allkg/vocab/> PREFIX all: <https://w3id.org/allkg/id/>\n"
                 "CONSTRUCT { all:ALL allkg:hasSymptom ?s } WHERE { all:ALL allkg:hasSymptom ?s }")
    turtle = query("--query", construct, "--format", "turtle")
    assert turtle.returncode == 0, turtle.stderr
    triples = list(ox.parse(turtle.stdout.encode(), format=ox.RdfFormat.TURTLE))
    assert ox.NamedNode("https://w3id.org/allkg/id/fever") in {t.object for t in triples}
    assert "@prefix all:" in turtle.stdout
    assert query("--query", construct, "--format", "turtle").stdout == turtle.stdout  # deterministic
    nt = query("--query", construct, "--format", "nt").stdout
    assert len(list(ox.parse(nt.encode(), format=ox.RdfFormat.N_TRIPLES))) == len(triples)
    jsonld = query("--query", construct, "--format", "jsonld").stdout
    json.loads(jsonld)
    assert len(list(ox.parse(jsonld.encode(), format=ox.RdfFormat.JSON_LD))) == len(triples)
    one_line_error(query("--query", construct, "--format", "csv"), "CONSTRUCT", "turtle")
    one_line_error(query("symptoms_three_sources", "--format", "turtle"), "SELECT")


def test_query_file_and_stdin(query, tmp_path):
    path = tmp_path / "mine.rq"
    path.write_text("PREFIX all: <https://w3id.org/allkg/id/>\nSELECT ?o WHERE { all:imatinib ?p ?o }\n")
    assert query(str(path)).returncode == 0
    piped = query("--query", "-", "--format", "csv", input="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(piped.stdout.splitlines()[1]) > 1000


# --------------------------------------------------------------------------- parameters

def test_param_substitution(query):
    result = query("facts_for_entity", "--param", "entity=all:imatinib", "--format", "csv")
    objects = {r["object"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert {"Gleevec", "Philadelphia chromosome"} <= objects
    numbers = query("symptoms_three_sources", "--param", "min_sources=2", "--format", "csv")
    assert "weakness" in numbers.stdout


def test_missing_parameter_names_itself(query, tmp_path):
    path = tmp_path / "needs.rq"
    path.write_text("# Which symptoms does a disease have?\n# param: disease  -- required, no default\n"
                    "# columns: s\nPREFIX allkg: <https://w3id.org/allkg/vocab/>\n"
                    "SELECT ?s WHERE { VALUES ?disease { UNDEF } ?disease allkg:hasSymptom ?s }\n")
    one_line_error(query(str(path)), "missing parameter 'disease'", "--param disease=")
    assert query(str(path), "--param", "disease=all:ALL").returncode == 0


def test_unknown_parameter_prefix_and_bad_values(query):
    one_line_error(query("facts_for_entity", "--param", "entty=all:fever"), "unknown parameter 'entty'", "entity")
    one_line_error(query("facts_for_entity", "--param", "entity=mondo:0004967"), "unknown prefix 'mondo'")
    one_line_error(query("facts_for_entity", "--param", "entity"), "NAME=VALUE")
    one_line_error(query("symptoms_three_sources", "--param", "min_sources=three"), "'three' is not an integer")
    one_line_error(query("facts_for_entity", "--param", "entity=<https://x.org/a> } } ; DROP ALL #>"),
                   "not a valid IRI")


def test_values_are_injection_safe():
    prefixes = {"all": "https://w3id.org/allkg/id/"}
    assert render_term('fever" } INSERT DATA { <a:b> <a:c> "x', kind="string", prefixes=prefixes, where="p") == \
        '"fever\\" } INSERT DATA { <a:b> <a:c> \\"x"'
    assert render_term("all:fever", kind="iri", prefixes=prefixes, where="p") == "<https://w3id.org/allkg/id/fever>"
    for bad in ("all:fever>", "all:a b", "<a:b>{", "nocolon"):
        with pytest.raises(InputError):
            render_term(bad, kind="iri", prefixes=prefixes, where="p")
    with pytest.raises(InputError, match="not an integer"):
        render_term("3 } ?x", kind="integer", prefixes=prefixes, where="p")


# --------------------------------------------------------------------------- refusals and errors

def test_syntax_error_reports_line_and_column(query, tmp_path):
    line = one_line_error(query("--query", "SELECT ?s WHERE {\n  ?s ?p\n}"), "query:3:", "syntax error")
    assert "Traceback" not in line
    path = tmp_path / "broken.rq"
    path.write_text("# A broken query?\nSELECT ?s\nWHERE { ?s ?p ?o } LIMT 5\n")
    one_line_error(query(str(path)), f"{path}:3:26: syntax error")


UPDATES = [
    "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",
    "PREFIX x: <http://x/>  # SELECT in a comment\ndelete where { ?s x:p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <http://x/g>",
    "BASE <http://x/>\nWITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "create graph <http://x/g>",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused(update, query):
    from rdflib.plugins.sparql.parser import parseUpdate

    parseUpdate(update)  # rdflib's grammar agrees: these really are updates
    assert is_update(update)
    one_line_error(query("--query", update), "SPARQL update", "refused")


def test_words_of_updates_inside_strings_comments_or_iris_are_not_updates():
    for text in ('SELECT ?x WHERE { ?x ?p "INSERT DATA" }', "# DELETE this\nASK { ?s ?p ?o }",
                 "PREFIX load: <http://x/LOAD> SELECT * WHERE { ?s load:p ?o }"):
        assert not is_update(text)
        check_query(text)


def test_service_is_refused_without_allow_service(query):
    text = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    one_line_error(query("--query", text), "SERVICE", "--allow-service")
    one_line_error(query("--query", "select * where { ?s ?p ?o service silent<http://x/> {} }"), "SERVICE")
    assert uses_service("SELECT * WHERE { ?s ?p ?o .SERVICE ?endpoint { ?s ?p ?o } }")
    for harmless in ('SELECT ?service WHERE { ?service ?p "SERVICE" } # SERVICE',
                     "PREFIX service: <http://x/SERVICE> SELECT * WHERE { ?s service:p ?o }"):
        assert not uses_service(harmless)


def test_allowed_service_is_executed_by_oxigraph(built_graph_file):
    engine = QueryEngine([built_graph_file])
    # Port 9 on the loopback: nothing listens, so the request fails at once; SILENT turns that into no rows.
    text = "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    with pytest.raises(InputError, match="SERVICE"):
        engine.run(text)
    assert len(engine.run(text, allow_service=True)) <= 1


def test_missing_built_graph_says_run_build(allkg, tmp_path):
    result = allkg("query", "summary", env={"ALLKG_DIST": str(tmp_path)})
    one_line_error(result, "allkg build")


def test_unknown_library_query(query):
    one_line_error(query("symptom"), "no such library query", "symptoms_three_sources")


def test_no_heavy_imports_at_start_up(built_dist):
    import subprocess
    import sys

    code = ("import sys, io, contextlib\nfrom graph_build.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['query', 'symptoms_three_sources'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyshacl', 'owlready2', 'rdflib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "ALLKG_DIST": str(built_dist)})
    assert out.stdout.strip() == "[]", out.stderr


# --------------------------------------------------------------------------- remote endpoint

@pytest.fixture(scope="module")
def endpoint(built_graph_file):
    """A minimal SPARQL 1.1 Protocol endpoint (POST application/sparql-query) on the loopback."""
    engine = QueryEngine([built_graph_file])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            text = self.rfile.read(int(self.headers["Content-Length"])).decode()
            try:
                result = engine.run(text)
            except InputError as exc:
                body, status, ctype = str(exc).encode(), 400, "text/plain"
            else:
                body, status = result.serialize("nt" if result.is_graph else "json"), 200
                ctype = "application/n-triples" if result.is_graph else "application/sparql-results+json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


@pytest.mark.server
def test_endpoint_engine_gives_the_same_answers(endpoint, built_graph_file):
    remote = engine_for_endpoint(endpoint)
    local = QueryEngine([built_graph_file])
    text = QueryText.from_file(__import__("graph_build.paths", fromlist=["x"]).QUERIES_DIR / "drugs.rq").with_parameters({})
    assert remote.run(text).python_rows() == local.run(text).python_rows()
    graph = remote.run("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5")
    assert graph.kind == "construct" and len(graph) == 5
    with pytest.raises(InputError, match="HTTP 400"):
        remote.run("SELECT * WHERE { ?s ?p }")


@pytest.mark.server
def test_query_command_with_endpoint(query, endpoint):
    result = query("symptoms_three_sources", "--endpoint", endpoint, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert {r["label"] for r in csv.DictReader(io.StringIO(result.stdout))} == THREE_SOURCES
    one_line_error(query("summary", "--endpoint", "http://127.0.0.1:9/sparql"), "cannot reach the endpoint")
