"""`allkg docs`: a page for every class and property, the schema diagram, statistics; progress display."""
from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from conftest import PROJECT_ROOT

ALLKG = "https://w3id.org/allkg/vocab/"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


@pytest.fixture(scope="module")
def docs_dir(built_dist, tmp_path_factory) -> Path:
    """Docs of the session build, generated into their own folder by the real command line."""
    from conftest import run_allkg

    out = tmp_path_factory.mktemp("docs")
    args = ["docs", "--dist", str(built_dist), "--out", str(out), "-q"]
    if shutil.which("dot") is None:
        args.append("--no-diagram")
    result = run_allkg(*args)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def ontology_terms() -> tuple[set[str], set[str]]:
    """Local names of the classes and properties declared in ontology/allkg.ttl (read directly)."""
    graph = Graph().parse(PROJECT_ROOT / "ontology" / "allkg.ttl", format="turtle")
    local = lambda iri: str(iri)[len(ALLKG):]  # noqa: E731
    classes = {local(c) for c in graph.subjects(RDF.type, OWL.Class) if str(c).startswith(ALLKG)}
    properties = {
        local(p) for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for p in graph.subjects(RDF.type, kind) if str(p).startswith(ALLKG)
    }
    return classes, properties


def test_a_page_for_every_class_and_property(docs_dir, ontology_terms):
    classes, properties = ontology_terms
    assert {"Disease", "Symptom", "Drug", "Therapy", "FactRecord"} <= classes
    assert {"hasSymptom", "subtypeOf", "phaseOrder", "statedInSection"} <= properties
    assert {p.stem for p in (docs_dir / "classes").glob("*.html")} == classes
    assert {p.stem for p in (docs_dir / "properties").glob("*.html")} == properties
    index = (docs_dir / "index.html").read_text(encoding="utf-8")
    for name in classes:
        assert f'href="classes/{name}.html"' in index, name
    for name in properties:
        assert f'href="properties/{name}.html"' in index, name


def page_text(path: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_property_page_has_label_definition_domain_range_and_mappings(docs_dir):
    text = page_text(docs_dir / "properties" / "hasSymptom.html")
    assert "has symptom" in text
    assert "A source lists the object as a sign or symptom of the disease." in text
    assert re.search(r"Domain disease Range sign or symptom", text)
    assert "obo:RO_0002452" in text and "biolink:has_phenotype" in text
    assert "skos:exactMatch" in text and "skos:closeMatch" in text


def test_class_page_shows_hierarchy_and_union_domains(docs_dir):
    text = page_text(docs_dir / "classes" / "Symptom.html")
    assert "Superclasses phenotype" in text
    drug = page_text(docs_dir / "classes" / "Drug.html")
    assert "has side effect" in drug  # domain: Therapy or Drug
    assert "obo:CHEBI_23888" in drug


def test_index_has_release_metadata(docs_dir):
    from graph_build.version import __version__

    text = page_text(docs_dir / "index.html")
    assert f"Version {__version__}" in text
    assert "creativecommons.org/licenses/by/4.0" in (docs_dir / "index.html").read_text(encoding="utf-8")
    assert "https://medlineplus.gov/acutelymphocyticleukemia.html" in text
    assert "allkg:" in text


@needs_dot
def test_schema_diagram_is_drawn_from_the_ontology(docs_dir):
    svg = (docs_dir / "schema.svg").read_bytes()
    assert len(svg) > 10_000
    root = ET.fromstring(svg)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    # Classes and relations taken from the ontology's domain/range declarations.
    assert {"disease", "sign or symptom", "has symptom", "drug class", "member of drug class"} <= texts
    png = (docs_dir / "schema.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    dot = (docs_dir / "schema.dot").read_text(encoding="utf-8")
    assert '"Disease" -> "Symptom" [label="has symptom"]' in dot
    assert '"Symptom" -> "Phenotype" [style=dashed' in dot


def test_committed_diagram_is_current(docs_dir):
    """docs/schema.dot (shown in the README as schema.svg) matches the ontology: regenerate with
    `allkg docs --diagram-only --out docs`."""
    committed = PROJECT_ROOT / "docs" / "schema.dot"
    assert committed.exists() and (PROJECT_ROOT / "docs" / "schema.svg").exists()
    if (docs_dir / "schema.dot").exists():
        assert committed.read_text(encoding="utf-8") == (docs_dir / "schema.dot").read_text(encoding="utf-8")


def test_statistics_page_and_plot(docs_dir, built_graph):
    png = (docs_dir / "stats.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    text = page_text(docs_dir / "stats.html")
    for heading in ("Entities per class", "Facts per relation", "Facts per source", "Sources per fact"):
        assert heading in text
    # Every one of the five source pages states facts.
    for source in ("src:harvard", "src:cityofhope", "src:medlineplus", "src:moffitt", "src:acs"):
        assert re.search(rf"{source} [1-9]\d*", text), source
    facts = len(set(built_graph.subjects(RDF.type, URIRef(ALLKG + "FactRecord"))))
    counts = [int(n) for n in re.findall(r"\d+ sources? (\d+)", text)]
    assert sum(counts) == facts


def test_docs_are_deterministic(built_dist, docs_dir, tmp_path):
    from graph_build.docs import documentation_files
    from graph_build.diff import load_graph

    # Without the diagram (Graphviz output is compared in the committed-diagram test); only the
    # index page, which embeds the diagram, differs then.
    files = documentation_files(load_graph(built_dist / "allkg.ttl"), diagram=False)
    assert len(files) > 100
    for name, data in files.items():
        if name != "index.html":
            assert data == (docs_dir / name).read_bytes(), name


def test_missing_dot_is_a_clear_error(allkg, built_dist, tmp_path):
    result = allkg("docs", "--dist", str(built_dist), "--out", str(tmp_path / "d"), env={"PATH": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.startswith("allkg docs: error: the schema diagram needs Graphviz's `dot` program")
    assert result.stderr.count("\n") == 1


def test_docs_without_a_build_says_what_to_do(allkg, tmp_path):
    result = allkg("docs", "--dist", str(tmp_path))
    assert result.returncode == 2 and "run `allkg build` first" in result.stderr


# -- progress display -----------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only(monkeypatch):
    from graph_build.progress import enabled, task, track

    for name in ("CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "ALLKG_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    terminal, pipe = FakeTerminal(), io.StringIO()
    assert list(track([1, 2, 3], "pages", stream=terminal)) == [1, 2, 3]
    with task("reasoning", stream=terminal):
        pass
    assert "pages 3/3" in terminal.getvalue() and "reasoning done" in terminal.getvalue()
    assert list(track([1, 2], "pages", stream=pipe)) == [1, 2]
    with task("reasoning", stream=pipe):
        pass
    assert pipe.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    assert not enabled(FakeTerminal())
    monkeypatch.setenv("ALLKG_PROGRESS", "1")
    assert enabled(io.StringIO())


# -- release metadata --------------------------------------------------------------------------------


def test_citation_cff_matches_the_version():
    import tomllib

    # Top-level "key: value" lines of the YAML file (no YAML library needed for these keys).
    text = (PROJECT_ROOT / "CITATION.cff").read_text(encoding="utf-8")
    citation = {m[1]: m[2].strip().strip('"') for m in re.finditer(r"^([a-z-]+):(.*)$", text, re.MULTILINE)}
    with (PROJECT_ROOT / "pyproject.toml").open("rb") as handle:
        version = tomllib.load(handle)["project"]["version"]
    assert citation["cff-version"] == "1.2.0"
    assert str(citation["version"]) == version
    assert re.search(r"^authors:\n  - name: \S", text, re.MULTILINE)
    for key in ("message", "title", "date-released"):
        assert citation[key], key


def test_ontology_header_has_repository_metadata(built_graph):
    from rdflib.namespace import DCTERMS

    onto = URIRef("https://w3id.org/allkg/allkg.owl")
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, OWL.versionInfo,
                      OWL.versionIRI, DCTERMS.bibliographicCitation, URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix")):
        assert built_graph.value(onto, predicate) is not None, predicate
    assert len(set(built_graph.objects(onto, DCTERMS.source))) == 5
