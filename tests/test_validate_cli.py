"""`allkg validate` on the command line: reports, exit status, bad input; `allkg build` refuses violations."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import SH

from graph_build import paths

USER_PREFIXES = """\
@prefix allkg: <https://w3id.org/allkg/vocab/> .
@prefix all: <https://w3id.org/allkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <https://example.org/lab/> .
"""

# A researcher's extension with two mistakes: a drug also typed as a symptom, and no English label.
BROKEN_EXTENSION = USER_PREFIXES + """
ex:blinatumomab a allkg:Drug , allkg:Symptom ;
    rdfs:label "blinatumomab"@en ;
    skos:definition "A bispecific antibody."@en .
ex:fatigue_score a allkg:Symptom ;
    rdfs:label "Müdigkeitswert"@de ;
    skos:definition "A fatigue score."@en .
"""

# A fact added to our graph without a provenance record.
UNSOURCED_FACT = USER_PREFIXES + """
all:ALL allkg:hasSymptom all:headache .
all:ALL allkg:hasSymptom all:fatigue .
all:ALL allkg:hasComplication all:bone_marrow .
"""


def _no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


@pytest.fixture
def built_env(built_dist) -> dict[str, str]:
    return {"ALLKG_DIST": str(built_dist)}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_built_graph_text_report_conforms_with_warnings(allkg, built_env):
    result = allkg("validate", env=built_env)
    _no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("The graph conforms: 0 violation(s), 6 warning(s).")
    # Grouped by shape, focus named by label and IRI, then the path and the message.
    assert "WARNING allkgsh:StatisticYearPresentShape (statistic year stated): 6 result(s)" in result.stdout
    assert ("- 'new cases of ALL diagnosed each year in the United States (Moffitt)' "
            "<https://w3id.org/allkg/id/stat_moffitt_new_cases>") in result.stdout
    assert "path: allkg:referenceYear" in result.stdout


@pytest.mark.slow
def test_json_and_turtle_reports(allkg, built_env):
    result = allkg("validate", "--format", "json", env=built_env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["conforms"] is True and data["violations"] == 0 and data["warnings"] == 6
    assert {r["severity"] for r in data["results"]} == {"Warning"}
    assert set(data["results"][0]) == {"severity", "shape", "shape_name", "component", "constraint", "focus",
                                       "focus_label", "path", "value", "message"}
    result = allkg("validate", "--format", "turtle", env=built_env)
    assert result.returncode == 0, result.stderr
    report = Graph().parse(data=result.stdout, format="turtle")
    (node,) = list(report.subjects(None, SH.ValidationReport))
    assert report.value(node, SH.conforms).toPython() is True
    assert len(list(report.objects(node, SH.result))) == 6


@pytest.mark.slow
def test_user_file_alone_with_violations(allkg, tmp_path, built_env):
    path = _write(tmp_path, "extension.ttl", BROKEN_EXTENSION)
    result = allkg("validate", str(path), env=built_env)
    _no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The graph does NOT conform: 2 violation(s)" in result.stdout
    assert "- 'blinatumomab' <https://example.org/lab/blinatumomab>" in result.stdout
    assert "declares disjoint" in result.stdout
    assert "<https://example.org/lab/fatigue_score>" in result.stdout
    assert "has no English label" in result.stdout


@pytest.mark.slow
def test_user_file_merged_with_the_built_graph(allkg, tmp_path, built_env):
    path = _write(tmp_path, "facts.nt", "")
    # N-Triples of a fact without provenance; merged with ours it is reported against all:ALL.
    path.write_text("<https://w3id.org/allkg/id/ALL> <https://w3id.org/allkg/vocab/hasComplication> "
                    "<https://w3id.org/allkg/id/bone_marrow> .\n", encoding="utf-8")
    result = allkg("validate", "--with-built", "--format", "json", str(path), env=built_env)
    assert result.returncode == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    found = {(r["focus_label"], r["constraint"] or r["shape"]) for r in data["results"] if r["severity"] == "Violation"}
    assert found == {
        ("acute lymphoblastic leukemia", "https://w3id.org/allkg/shapes/FactProvenanceConstraint"),
        ("acute lymphoblastic leukemia", "https://w3id.org/allkg/shapes/hasComplication-range"),
    }
    # Alone, the file does not say all:ALL is a disease: the relation's domain is not met.
    alone = allkg("validate", "--format", "json", str(path), env=built_env)
    assert alone.returncode == 1, alone.stdout + alone.stderr
    found = {(r["focus"], r["constraint"]) for r in json.loads(alone.stdout)["results"]}
    assert found == {("https://w3id.org/allkg/id/ALL", "https://w3id.org/allkg/shapes/DomainConstraint")}


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.ttl", None, "missing.ttl: no such file"),
        ("empty.ttl", "", "empty.ttl: file is empty (no RDF statements)"),
        ("broken.ttl", USER_PREFIXES + "all:ALL allkg:hasSymptom all:fever\nall:x a .\n", "broken.ttl:7:"),
        ("graph.txt", "<a> <b> <c> .\n", "graph.txt: unknown RDF format for suffix '.txt'"),
        ("bad.jsonld", '{"@id": "https://w3id.org/allkg/id/x", ', "bad.jsonld"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(allkg, tmp_path, built_env, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = allkg("validate", str(path), env=built_env)
    _no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("allkg validate: error: ") and message in lines[0]
    assert result.stdout == ""


def test_syntax_error_names_line_and_column(allkg, tmp_path, built_env):
    path = _write(tmp_path, "broken.ttl", USER_PREFIXES + "all:ALL allkg:hasSymptom all:fever\nall:x a .\n")
    result = allkg("validate", str(path), env=built_env)
    assert result.returncode == 2
    # file:line:column: the error is on line 7 (the prefixes take 5 lines, the statement is unterminated)
    assert f"{path}:7:" in result.stderr and "syntax error" in result.stderr


def test_not_built_tells_to_run_build(allkg, tmp_path):
    result = allkg("validate", env={"ALLKG_DIST": str(tmp_path / "nothing")})
    _no_traceback(result)
    assert result.returncode == 2
    assert "the graph is not built yet; run `allkg build` first" in result.stderr
    result = allkg("validate", "--with-built", str(_write(tmp_path, "x.ttl", BROKEN_EXTENSION)),
                   env={"ALLKG_DIST": str(tmp_path / "nothing")})
    assert result.returncode == 2 and "run `allkg build` first" in result.stderr


def test_unusable_shapes_file(allkg, tmp_path, built_env):
    shapes = _write(tmp_path, "shapes.ttl", """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:S a sh:NodeShape ; sh:targetNode ex:x ;
    sh:sparql [ sh:select "SELECT $this WHERE { SERVICE <https://example.org/sparql> { $this ?p ?o } }" ] .
""")
    data = _write(tmp_path, "data.ttl", "<https://example.org/x> <https://example.org/p> 1 .\n")
    result = allkg("validate", "--shapes", str(shapes), str(data), env=built_env)
    _no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "SERVICE" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    misplaced = _write(tmp_path, "misplaced.ttl", """@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/S> a sh:NodeShape ; sh:targetNode <https://example.org/x> ; sh:minCount 1 .
""")
    result = allkg("validate", "--shapes", str(misplaced), str(data), env=built_env)
    _no_traceback(result)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "allkg validate: error: the shapes graph cannot be used: "
        "MinCountConstraintComponent can only be present on a PropertyShape, not a NodeShape."]
    missing = allkg("validate", "--shapes", str(tmp_path / "none.ttl"), str(data), env=built_env)
    assert missing.returncode == 2 and "none.ttl: no such file" in missing.stderr


@pytest.mark.slow
def test_build_refuses_a_graph_with_violations_and_keeps_dist(allkg, tmp_path, built_dist):
    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data)
    entities = data / "entities.tsv"
    text = entities.read_text(encoding="utf-8")
    # A curator types imatinib as a drug and, by mistake, as a symptom (no disease lists it: one more warning).
    assert "\nimatinib\tDrug\t" in text
    entities.write_text(text.replace("\nimatinib\tDrug\t", "\nimatinib\tDrug|Symptom\t"), encoding="utf-8")
    dist = tmp_path / "dist"
    shutil.copytree(built_dist, dist)
    before = {p.name: p.read_bytes() for p in dist.iterdir() if p.is_file()}
    result = allkg("build", "--data", str(data), "--dist", str(dist), "--no-reason")
    _no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SHACL validation failed (1 violation(s), 7 warning(s)); dist/ was left as it was." in result.stderr
    assert "'imatinib' <https://w3id.org/allkg/id/imatinib>" in result.stderr
    after = {p.name: p.read_bytes() for p in dist.iterdir() if p.is_file()}
    assert after == before
