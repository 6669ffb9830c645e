"""`allkg build`: deterministic, atomic, and clear about broken rows."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import run_allkg
from graph_build import paths
from graph_build.version import __version__


def _snapshot(dist: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dist)): p.read_bytes() for p in sorted(dist.rglob("*")) if p.is_file()}


def _copy_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data)
    return data


@pytest.mark.slow
def test_two_builds_are_byte_identical(allkg, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    for dist in (first, second):
        result = allkg("build", "--quiet", "--dist", str(dist), env={"PYTHONHASHSEED": "random"})
        assert result.returncode == 0, result.stderr
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert "allkg.ttl" in names
    assert names == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_turtle_reparses_to_an_isomorphic_graph(built_graph_file):
    import pyoxigraph as ox
    from graph_build.rdf_io import parse_rdf_file

    by_rdflib = Graph().parse(built_graph_file, format="turtle")
    by_oxigraph = parse_rdf_file(built_graph_file)
    assert len(by_rdflib) > 5000
    assert isomorphic(by_rdflib, by_oxigraph)
    assert sum(1 for _ in ox.parse(path=str(built_graph_file), format=ox.RdfFormat.TURTLE)) == len(by_rdflib)


def test_ontology_header_carries_the_version(built_graph):
    from rdflib import URIRef
    from rdflib.namespace import OWL

    ontology = URIRef("https://w3id.org/allkg/allkg.owl")
    assert str(built_graph.value(ontology, OWL.versionInfo)) == __version__
    assert str(built_graph.value(ontology, OWL.versionIRI)) == f"https://w3id.org/allkg/releases/{__version__}/allkg.owl"


def test_summary_names_classes_and_relations(allkg, tmp_path):
    result = allkg("build", "--no-reason", "--no-validate", "--dist", str(tmp_path / "dist"))
    assert result.returncode == 0, result.stderr
    assert "entities per class" in result.stdout and "allkg:Symptom" in result.stdout
    assert "facts per relation" in result.stdout and "allkg:hasSymptom" in result.stdout


@pytest.fixture(scope="module")
def good_quick_dist(tmp_path_factory) -> Path:
    """A previous good build (no reasoning or validation: only the files matter here)."""
    dist = tmp_path_factory.mktemp("good") / "dist"
    result = run_allkg("build", "--no-reason", "--no-validate", "--quiet", "--dist", str(dist))
    assert result.returncode == 0, result.stderr
    return dist


@pytest.mark.parametrize(
    ("table", "edit", "expected"),
    [
        ("facts.tsv", lambda t: t.replace("\tALL\tallkg:hasSymptom\tfever\t", "\tALL\tallkg:hasSymptom\tfevr\t"),
         "unknown entity 'fevr' in column object"),
        ("facts.tsv", lambda t: t.replace("\tallkg:hasSymptom\tweakness\t", "\tallkg:hasSymptomm\tweakness\t"),
         "unknown relation 'allkg:hasSymptomm'"),
        ("facts.tsv", lambda t: t.replace("\tallkg:hasSymptom\tvomiting\tcityofhope-symptoms\t",
                                          "\tallkg:hasSymptom\tvomiting\t\t"),
         "no source"),
        ("facts.tsv", lambda t: t.replace("F0002\t", "F0001\t", 1), "duplicate id 'F0001'"),
        ("facts.tsv", lambda t: t.replace("\tallkg:hasSymptom\tnight_sweats\t", "\tfoo:hasSymptom\tnight_sweats\t"),
         "unknown prefix 'foo'"),
        ("entities.tsv", lambda t: t.replace("fever\tSymptom\t", "fever\tSymptm\t", 1), "unknown class 'Symptm'"),
        ("statistics.tsv", lambda t: t.replace("\t5690\t", "\tfive thousand\t"), "'five thousand' is not a valid"),
        ("facts.tsv", lambda t: t.replace("\tinduction\tallkg:phaseOrder\t1\t", "\tinduction\tallkg:phaseOrder\t0\t"),
         "'0' is not a valid xsd:positiveInteger"),
        ("facts.tsv", lambda t: t + "F9999\tALL\n", "has 2 columns, expected 7"),
    ],
)
def test_a_broken_row_names_file_and_line_and_keeps_the_previous_output(
    allkg, tmp_path, good_quick_dist, table, edit, expected
):
    data = _copy_data(tmp_path)
    dist = tmp_path / "dist"
    shutil.copytree(good_quick_dist, dist)
    before = _snapshot(dist)

    path = data / table
    original = path.read_text(encoding="utf-8")
    broken = edit(original)
    assert broken != original, "the edit did not apply"
    path.write_text(broken, encoding="utf-8")
    changed_line = next(
        (i for i, (a, b) in enumerate(zip(original.splitlines(), broken.splitlines()), start=1) if a != b),
        len(original.splitlines()) + 1,
    )

    result = allkg("build", "--no-reason", "--quiet", "--data", str(data), "--dist", str(dist))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{table}:{changed_line}:" in result.stderr, result.stderr
    assert expected in result.stderr, result.stderr
    assert _snapshot(dist) == before
    assert not list(tmp_path.glob(".allkg-staging-*")), "staging folder left behind"


def test_missing_table_is_reported(allkg, tmp_path):
    data = _copy_data(tmp_path)
    (data / "sections.tsv").unlink()
    result = allkg("build", "--no-reason", "--quiet", "--data", str(data), "--dist", str(tmp_path / "dist"))
    assert result.returncode == 2
    assert "sections.tsv: file is missing" in result.stderr


def test_help_lists_the_build_command(allkg):
    result = allkg("--help")
    assert result.returncode == 0
    assert "build" in result.stdout
