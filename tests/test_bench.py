"""Smoke tests of the benchmark suite: the generator, the HPO converter and the report writer.

The benchmark itself (minutes of measuring) is not run here; these check the parts whose
mistakes would silently make its figures wrong.
"""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from bench.generate import generate, iter_sizes
from bench.hpo import obo_to_ntriples
from bench.measure import percentile
from bench.report import Results, Row, Target, fmt_seconds, growth_exponents, loglog_slope, render, write_report

VOCAB = "https://w3id.org/allkg/vocab/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _store(data: bytes) -> ox.Store:
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
    return store


def test_generator_is_deterministic_for_a_seed():
    assert generate(3000, seed=7).data == generate(3000, seed=7).data
    assert generate(3000, seed=7).data != generate(3000, seed=8).data


@pytest.mark.parametrize("target", [2_000, 10_000])
def test_generator_reaches_its_size_target(target):
    graph = generate(target)
    store = _store(graph.data)
    # Every line is a distinct triple, and the graph stops within one disease past the target.
    assert len(store) == graph.triples
    assert target <= graph.triples < target + 1_000
    assert graph.diseases >= 2


def test_generated_graph_has_our_shape():
    store = _store(generate(2_000).data)

    def count(query: str) -> int:
        return int(next(iter(store.query(query)))["n"].value)

    prefixes = f"PREFIX allkg: <{VOCAB}> PREFIX prov: <http://www.w3.org/ns/prov#> " \
               "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
    diseases = count(prefixes + "SELECT (COUNT(DISTINCT ?d) AS ?n) { ?d a allkg:Disease FILTER NOT EXISTS { ?d allkg:subtypeOf ?p } }")
    assert diseases >= 2
    # Every asserted allkg: relation between entities has a provenance record naming a source.
    assert count(prefixes + """SELECT (COUNT(*) AS ?n) { ?s allkg:hasSymptom ?o
        FILTER NOT EXISTS { ?r rdf:subject ?s ; rdf:predicate allkg:hasSymptom ; rdf:object ?o ;
                               a allkg:FactRecord ; prov:wasDerivedFrom ?src ; allkg:statedInSection ?sec } }""") == 0
    # Some symptoms are shared between diseases, as in a real merged graph.
    assert count(prefixes + "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?a allkg:hasSymptom ?s . ?b allkg:hasSymptom ?s "
                            "FILTER (?a != ?b) }") > 0
    for cls in ("Symptom", "RiskFactor", "DiagnosticProcedure", "Drug", "DrugClass", "Statistic", "SourceSection"):
        if cls == "RiskFactor":
            continue  # risk factors use the subclasses (GeneticCondition, ...), like data/entities.tsv
        assert count(prefixes + f"SELECT (COUNT(*) AS ?n) {{ ?x a allkg:{cls} }}") > 0, cls


def test_generator_puts_the_base_graph_first():
    base = ['<https://w3id.org/allkg/id/ALL> <http://www.w3.org/2000/01/rdf-schema#label> "ALL"@en .\n']
    graph = generate(1_000, base=base)
    assert graph.data.startswith(base[0].encode())
    assert graph.base_triples == 1


def test_sizes_option_parsing():
    assert list(iter_sizes("1e4, 1e5,2000")) == [10_000, 100_000, 2_000]


def test_hpo_converter_writes_classes_labels_parents_and_obsolete_terms():
    obo = """format-version: 1.2
data-version: hp/releases/2025-01-16

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0001945
name: Fever "pyrexia"
is_a: HP:0025142 ! Constitutional symptom
is_a: HP:0000001 ! All

[Term]
id: HP:0000099
name: obsolete Something
is_obsolete: true

[Typedef]
id: part_of
name: part of
"""
    data, count = obo_to_ntriples(obo)
    store = _store(data)
    assert len(store) == count
    fever = ox.NamedNode("http://purl.obolibrary.org/obo/HP_0001945")
    parents = {q.object.value for q in store.quads_for_pattern(
        fever, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"), None)}
    assert parents == {"http://purl.obolibrary.org/obo/HP_0025142", "http://purl.obolibrary.org/obo/HP_0000001"}
    labels = [q.object.value for q in store.quads_for_pattern(
        fever, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None)]
    assert labels == ['Fever "pyrexia"']
    classes = {q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode(RDF_TYPE), ox.NamedNode("http://www.w3.org/2002/07/owl#Class"))}
    assert len(classes) == 3  # the Typedef is not a class
    assert any(q.predicate.value.endswith("#deprecated") for q in store)


def test_percentile_is_a_latency_that_happened():
    samples = [0.001 * i for i in range(1, 101)]
    assert percentile(samples, 50) == pytest.approx(0.050)
    assert percentile(samples, 99) == pytest.approx(0.099)
    assert percentile([0.5], 99) == 0.5


def test_loglog_slope_recovers_the_growth_exponent():
    assert loglog_slope([(1e4, 0.01), (1e5, 0.1), (1e6, 1.0)]) == pytest.approx(1.0)
    assert loglog_slope([(1e4, 1e-4), (1e5, 1e-2), (1e6, 1.0)]) == pytest.approx(2.0)
    assert loglog_slope([(1e4, 1.0)]) is None


def test_fmt_seconds_picks_readable_units():
    assert fmt_seconds(0.000250) == "250 µs"
    assert fmt_seconds(0.0123) == "12.3 ms"
    assert fmt_seconds(4.567) == "4.57 s"
    assert fmt_seconds(None) == "—"


def _fake_results() -> Results:
    graphs = [{"name": "ours", "triples": 6_000, "kind": "ours", "about": "built"},
              {"name": "gen 10^4", "triples": 10_000, "kind": "generated", "about": "synthetic"},
              {"name": "gen 10^5", "triples": 100_000, "kind": "generated", "about": "synthetic"}]
    rows = [
        Row("ours", 6_000, "query symptoms", "in-process (warm)", seconds=0.002, baseline="pyoxigraph Store.query",
            baseline_seconds=0.001, runs=5, note="7 rows; results equal"),
        Row("ours", 6_000, "allkg validate", "cold process", status="not available", note="no `allkg validate` yet"),
        Row("gen 10^4", 10_000, "slowest", "in-process", seconds=0.01, series="query warm", detail=False),
        Row("gen 10^5", 100_000, "slowest", "in-process", seconds=1.0, series="query warm", detail=False),
    ]
    return Results(config={"reps": 5, "cold_reps": 5, "limit": 120, "command": "python -m bench --quick"},
                   machine={"CPU": "Test CPU", "cores": "2"}, started="2026-01-01 00:00 UTC", graphs=graphs,
                   rows=rows, targets=[Target("cold query", "≤ 0.5 s", "0.3 s", True),
                                       Target("served p50", "≤ 5 ms", "—", None)],
                   shacl=[{"graph": "ours", "triples": 6_000, "route": "pyshacl-turbo", "seconds": 0.1,
                           "results": 0, "same": True, "status": "ok"}], max_load=3.5)


def test_report_shows_ratios_statuses_targets_and_growth():
    results = _fake_results()
    text = render(results, "report.png")
    assert "| query symptoms | in-process (warm) | 2 ms |" in text
    assert "2.00×" in text  # 2 ms against pyoxigraph's 1 ms
    assert "not available (no `allkg validate` yet)" in text
    assert "| cold query | ≤ 0.5 s | 0.3 s | met |" in text
    assert "not measured" in text
    assert "shared while this ran" in text
    assert growth_exponents(results) == {"query warm": pytest.approx(2.0)}
    assert "| query warm | " in text and "| 2.00 |" in text
    assert "![time against triples, log-log](report.png)" in text


def test_write_report_writes_markdown_plot_and_results(tmp_path):
    output = tmp_path / "REPORT.md"
    written = write_report(_fake_results(), output)
    assert output.read_text(encoding="utf-8").startswith("# ALL-KG benchmark report")
    again = Results.from_json((tmp_path / "REPORT.json").read_text(encoding="utf-8"))
    assert again.rows[0].ratio == pytest.approx(2.0)
    assert json.loads((tmp_path / "REPORT.json").read_text())["machine"]["CPU"] == "Test CPU"
    pytest.importorskip("matplotlib")
    plot = tmp_path / "report.png"
    assert plot in written and plot.read_bytes().startswith(b"\x89PNG")


def test_allkg_bench_is_a_subcommand(allkg):
    result = allkg("bench", "--help")
    assert result.returncode == 0, result.stderr
    assert "--quick" in result.stdout and "--sizes" in result.stdout
    bad = allkg("bench", "--sizes", "many", "--no-hpo")
    assert bad.returncode == 2 and "--sizes 'many'" in bad.stderr and "Traceback" not in bad.stderr
