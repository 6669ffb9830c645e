"""The query library (queries/*.rq): answers checked against what the sources say, and the
same results from two independent SPARQL engines (Oxigraph and rdflib).

Expected label sets are written here from reading the five pages in /work/shared/corpus
(noted per test), never produced by the queries under test.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from decimal import Decimal

import pyoxigraph as ox
import pytest

from graph_build import paths
from graph_build.query_library import library
from graph_build.sparql_params import QueryText
from graph_build.store import QueryEngine, RdflibEngine, to_python

LIBRARY = library()
ALL = "https://w3id.org/allkg/id/"
SKOS = "http://www.w3.org/2004/02/skos/core#"

REQUIRED = {
    "subtypes", "symptoms_with_sources", "symptoms_three_sources", "risk_factors_by_kind", "tests_by_purpose",
    "therapies_by_kind", "treatment_phases", "drugs", "drugs_ph_positive", "drugs_under_study", "sites_of_spread",
    "cells_of_origin", "statistics", "differing_figures", "facts_for_entity", "single_source_facts",
    "external_identifiers", "summary",
}


@pytest.fixture(scope="session")
def oxigraph(built_graph_file) -> QueryEngine:
    return QueryEngine([built_graph_file])


@pytest.fixture(scope="session")
def rdflib_engine(built_graph) -> RdflibEngine:
    return RdflibEngine(graph=built_graph)


def run(engine, name: str, **params: str):
    return engine.run(LIBRARY[name].with_parameters(params))


def column(result, name: str) -> list:
    return [row.get(name) for row in result.python_rows()]


def labels(result, name: str = "label") -> set[str]:
    return {str(v) for v in column(result, name) if v is not None}


def sources_of(result, key: str, value: str, sources_column: str = "sources") -> set[str]:
    rows = [r for r in result.python_rows() if r.get(key) == value]
    assert rows, f"no row with {key} = {value!r}"
    return set(" ".join(str(r.get(sources_column, "")) for r in rows).split())


# --------------------------------------------------------------------------- the library itself

def test_library_has_every_question_of_the_issue():
    assert REQUIRED <= set(LIBRARY), f"missing: {sorted(REQUIRED - set(LIBRARY))}"


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_header_question_parameters_and_columns(name, oxigraph):
    query = LIBRARY[name]
    assert query.question.endswith("?"), f"{name}: the header should start with the question"
    assert query.columns, f"{name}: the header should list the columns"
    blocks = query.values_blocks()
    for parameter in query.parameters:
        assert parameter in blocks, f"{name}: param {parameter} has no VALUES block"
    result = oxigraph.run(query.with_parameters({}))
    assert result.variables == query.columns, f"{name}: '# columns:' does not match the SELECT"


# --------------------------------------------------------------------------- answers vs the sources

def test_subtypes_of_all(oxigraph):
    # ACS: B-cell and T-cell ALL, Ph+ ALL (research: genetics), childhood and adult ALL; City of Hope: B-cells.
    result = run(oxigraph, "subtypes")
    assert {"B-cell acute lymphoblastic leukemia", "T-cell acute lymphoblastic leukemia",
            "Philadelphia chromosome-positive acute lymphoblastic leukemia",
            "childhood acute lymphoblastic leukemia", "adult acute lymphoblastic leukemia"} <= labels(result, "subtype_label")
    assert labels(result, "parent_label") == {"acute lymphoblastic leukemia"}


def test_subtypes_follow_the_path_through_several_levels(oxigraph):
    # ALL is a kind of acute leukemia (MedlinePlus) and of leukemia (Harvard, ACS): from leukemia,
    # the subtypes of ALL are found two levels down.
    result = run(oxigraph, "subtypes", disease="all:leukemia")
    found = labels(result, "subtype_label")
    assert {"acute lymphoblastic leukemia", "acute leukemia", "B-cell acute lymphoblastic leukemia",
            "T-cell acute lymphoblastic leukemia"} <= found
    rows = {(r["subtype_label"], r["parent_label"]) for r in result.python_rows()}
    assert ("B-cell acute lymphoblastic leukemia", "acute lymphoblastic leukemia") in rows


# Symptoms as listed by City of Hope, MedlinePlus and Moffitt (Harvard's list was lost; ACS lists none).
SYMPTOM_SOURCES = {
    "fever": {"cityofhope", "medlineplus", "moffitt"},
    "fatigue": {"cityofhope", "medlineplus", "moffitt"},
    "loss of appetite": {"cityofhope", "medlineplus", "moffitt"},
    "easy bruising": {"cityofhope", "medlineplus", "moffitt"},
    "swollen lymph nodes": {"cityofhope", "medlineplus", "moffitt"},
    "shortness of breath": {"cityofhope", "medlineplus", "moffitt"},
    "weight loss": {"cityofhope", "medlineplus", "moffitt"},
    "weakness": {"cityofhope", "medlineplus"},
    "pale skin": {"cityofhope", "moffitt"},
    "bleeding gums": {"cityofhope", "moffitt"},
    "petechiae": {"medlineplus", "moffitt"},
    "bone pain": {"medlineplus", "moffitt"},
    "frequent infections": {"cityofhope", "medlineplus"},
    "headache": {"cityofhope"},
    "vomiting": {"cityofhope"},
    "body aches": {"cityofhope"},
    "nosebleeds": {"cityofhope"},
    "night sweats": {"medlineplus"},
    "malaise": {"moffitt"},
    "pain or fullness below the ribs": {"medlineplus"},
}


def test_symptoms_with_their_sources(oxigraph):
    result = run(oxigraph, "symptoms_with_sources")
    assert set(SYMPTOM_SOURCES) <= labels(result)
    for symptom, sources in SYMPTOM_SOURCES.items():
        assert sources_of(result, "label", symptom) == sources, symptom
        [count] = [r["source_count"] for r in result.python_rows() if r["label"] == symptom]
        assert count == len(sources)
    counts = column(result, "source_count")
    assert counts == sorted(counts, reverse=True), "ordered by number of sources"


def test_symptoms_stated_by_at_least_three_sources(oxigraph):
    result = run(oxigraph, "symptoms_three_sources")
    assert labels(result) == {s for s, src in SYMPTOM_SOURCES.items() if len(src) >= 3}
    two = run(oxigraph, "symptoms_three_sources", min_sources="2")
    assert labels(two) >= {"weakness", "pale skin", "bleeding gums", "petechiae", "bone pain", "frequent infections"}
    assert "headache" not in labels(two)


def test_risk_factors_grouped_by_kind(oxigraph):
    # MedlinePlus (risk), Moffitt (causes, intro), City of Hope (who gets ALL), ACS (statistics).
    result = run(oxigraph, "risk_factors_by_kind")
    by_kind: dict[str, set[str]] = {}
    for row in result.python_rows():
        by_kind.setdefault(row["kind"], set()).add(row["label"])
    assert {"Down syndrome", "neurofibromatosis", "Fanconi anemia"} <= by_kind["genetic condition risk factor"]
    assert {"exposure to benzene", "exposure to high levels of radiation"} <= by_kind["exposure risk factor"]
    assert {"male sex", "white race", "age under 5 years", "age over 70 years"} <= by_kind["demographic risk factor"]
    assert {"previous chemotherapy", "previous radiation therapy", "personal history of cancer"} <= \
        by_kind["medical history risk factor"]
    assert by_kind["family history risk factor"] == {"sibling with ALL"}
    ages = {r["label"]: (r.get("min_age"), r.get("max_age")) for r in result.python_rows()}
    assert ages["age over 70 years"] == (70, None)  # MedlinePlus: over age 70
    assert ages["age 2 to 4 years"] == (2, 4)  # City of Hope: between two and four


def test_tests_grouped_by_purpose(oxigraph):
    result = run(oxigraph, "tests_by_purpose")
    by_purpose: dict[str, set[str]] = {}
    for row in result.python_rows():
        by_purpose.setdefault(row["purpose"], set()).add(row["label"])
    # MedlinePlus and Harvard: physical exam, history, blood and marrow tests to diagnose.
    assert {"physical examination", "medical history", "blood test", "bone marrow aspiration",
            "bone marrow biopsy", "complete blood count with differential"} <= by_purpose["diagnosis"]
    # MedlinePlus: imaging and lumbar puncture to see whether it has spread.
    assert {"imaging tests", "lumbar puncture"} <= by_purpose["staging and spread"]
    # ACS: PCR finds minimal residual disease after treatment.
    assert {"polymerase chain reaction test", "minimal residual disease testing"} <= by_purpose["monitoring"]
    assert {"genetic tests", "gene pattern tests"} <= by_purpose["subtyping"]
    assert "lumbar puncture" not in by_purpose["diagnosis"]


def test_therapies_by_kind(oxigraph):
    result = run(oxigraph, "therapies_by_kind")
    by_kind: dict[str, set[str]] = {}
    for row in result.python_rows():
        by_kind.setdefault(row["kind"], set()).add(row["label"])
    assert {"chemotherapy", "combination chemotherapy", "intrathecal chemotherapy"} <= by_kind["chemotherapy"]
    assert {"allogeneic stem cell transplant", "autologous stem cell transplant", "mini-transplant"} <= \
        by_kind["stem cell transplant"]
    assert {"CAR T-cell therapy", "monoclonal antibody therapy", "immune checkpoint inhibitor therapy"} <= \
        by_kind["immunotherapy"]
    assert "radiation therapy" in by_kind["radiation therapy"]
    assert "radioimmunotherapy" in by_kind["radiation therapy"] and "radioimmunotherapy" in by_kind["immunotherapy"]
    # Most specific kinds only: chemotherapy is not also listed under the general "therapy".
    assert "chemotherapy" not in by_kind.get("therapy", set())


def test_treatment_phases_in_order_with_goal_and_duration(oxigraph):
    rows = run(oxigraph, "treatment_phases").python_rows()
    three = [(r["order"], r["phase"], r.get("goal"), r.get("typical_duration"), r.get("duration_note"))
             for r in rows if r["plan"] == "three-phase chemotherapy regimen"]
    # Moffitt: induction (~a month, remission), consolidation (a few months), maintenance (most of ~2 years).
    assert [t[:2] for t in three] == [(1, "induction phase"), (2, "consolidation phase"), (3, "maintenance phase")]
    assert three[0][2] == "achieve remission" and three[0][3] == "P1M"
    assert three[1][4] == "several months"
    two = [(r["order"], r["phase"], r.get("goal")) for r in rows if r["plan"] == "two-phase treatment"]
    # Harvard and MedlinePlus: remission first, then prevent relapse; two or three years in total.
    assert two == [(1, "induction phase", "achieve remission"), (2, "post-remission therapy", "prevent relapse")]
    plan = next(r for r in rows if r["plan"] == "two-phase treatment")
    assert (plan["plan_min_duration"], plan["plan_max_duration"]) == ("P2Y", "P3Y")


def test_drugs_with_brand_class_target_status(oxigraph):
    rows = {r["label"]: r for r in run(oxigraph, "drugs").python_rows()}
    # ACS research pages: brand names in parentheses, classes and what they target.
    assert {"imatinib", "dasatinib", "clofarabine", "nelarabine", "bortezomib", "carfilzomib", "ixazomib",
            "venetoclax", "entospletinib", "sapanisertib", "rituximab", "ofatumumab", "epratuzumab"} <= set(rows)
    assert rows["imatinib"]["brand_names"] == "Gleevec"
    assert rows["nelarabine"]["brand_names"] == "Arranon"
    assert rows["bortezomib"]["classes"] == "proteasome inhibitor"
    assert rows["bortezomib"]["targets"] == "proteasome"  # inherited from the class, no reasoner
    assert rows["venetoclax"]["targets"] == "BCL-2"
    assert rows["imatinib"]["targets"] == "Philadelphia chromosome"
    assert "under study" in rows["epratuzumab"]["statuses"]
    assert set(rows["clofarabine"]["statuses"].split(", ")) == {"approved", "under study"}
    assert "brand_names" not in rows["entospletinib"] or not rows["entospletinib"]["brand_names"]


def test_drugs_for_philadelphia_positive_all(oxigraph):
    # ACS genetics: imatinib (Gleevec) and dasatinib (Sprycel) for Philadelphia chromosome-positive ALL.
    assert labels(run(oxigraph, "drugs_ph_positive")) == {"imatinib", "dasatinib"}
    # ACS chemotherapy: nelarabine for T-cell ALL; clofarabine approved for childhood ALL.
    assert labels(run(oxigraph, "drugs_ph_positive", disease="all:T_ALL")) == {"nelarabine"}
    assert "clofarabine" in labels(run(oxigraph, "drugs_ph_positive", disease="all:childhood_ALL"))


def test_drugs_under_study(oxigraph):
    result = run(oxigraph, "drugs_under_study")
    # ACS research: clofarabine in adults, the four targeted classes, three monoclonal antibodies.
    assert labels(result) >= {"clofarabine", "bortezomib", "carfilzomib", "ixazomib", "venetoclax", "entospletinib",
                              "sapanisertib", "rituximab", "ofatumumab", "epratuzumab"}
    assert not labels(result) & {"imatinib", "dasatinib", "nelarabine"}  # in use, not under study
    rows = {r["label"]: r for r in result.python_rows()}
    assert rows["clofarabine"]["studied_for"] == "adult acute lymphoblastic leukemia"
    therapies = labels(run(oxigraph, "drugs_under_study", kind="allkg:Therapy"))
    assert {"donor leukocyte infusion", "CAR T-cell therapy", "immune checkpoint inhibitor therapy"} <= therapies


def test_sites_of_spread(oxigraph):
    result = run(oxigraph, "sites_of_spread")
    spread = {r["label"] for r in result.python_rows() if r["relation"] == "spreads to"}
    # Harvard and ACS: blood, lymph nodes, liver, spleen, brain and spinal cord (CNS), testicles.
    assert spread >= {"blood", "lymph node", "liver", "spleen", "central nervous system", "brain",
                      "spinal cord", "testis"}
    assert {r["label"] for r in result.python_rows() if r["relation"] == "starts in"} == {"bone marrow"}
    assert sources_of(result, "label", "brain") == {"harvard", "cityofhope", "medlineplus", "acs"}


def test_cells_of_origin(oxigraph):
    rows = {(r["disease_label"], r["cell_label"]) for r in run(oxigraph, "cells_of_origin").python_rows()}
    assert {("acute lymphoblastic leukemia", "lymphoblast"), ("acute lymphoblastic leukemia", "lymphocyte"),
            ("acute lymphoblastic leukemia", "lymphoid precursor"),
            ("B-cell acute lymphoblastic leukemia", "precursor B cell"),
            ("T-cell acute lymphoblastic leukemia", "precursor T cell")} <= rows


def test_statistics(oxigraph):
    rows = run(oxigraph, "statistics").python_rows()
    figures = {(r["measure"], r["population"], r["value"], r.get("year"), r["sources"]) for r in rows}
    # ACS key statistics (2021 estimates) and City of Hope (SEER five-year survival).
    assert ("new cases per year", "United States population", Decimal("5690"), "2021", "acs") in figures
    assert ("deaths per year", "United States males", Decimal("900"), "2021", "acs") in figures
    assert ("five-year relative survival rate", "patients with ALL (SEER)", Decimal("71.3"), None, "cityofhope") in figures
    assert ("new cases per year", "United States population", Decimal("6500"), None, "moffitt") in figures
    assert len(rows) >= 12


def test_differing_figures(oxigraph):
    rows = run(oxigraph, "differing_figures").python_rows()
    # ACS estimates about 5,690 new US cases (2021); Moffitt says about 6,500 a year.
    assert {(r["measure"], r["value"], r["sources"]) for r in rows} == {
        ("new cases per year", Decimal("5690"), "acs"), ("new cases per year", Decimal("6500"), "moffitt")}


def test_facts_for_entity(oxigraph):
    result = run(oxigraph, "facts_for_entity")  # default: fever
    rows = result.python_rows()
    assert {(r["subject"], r["relation"], r["object"]) for r in rows} == {
        ("acute lymphoblastic leukemia", "has symptom", "fever")}
    assert set(rows[0]["sources"].split()) == {"cityofhope", "medlineplus", "moffitt"}
    imatinib = {(r["relation"], str(r["object"])) for r in run(oxigraph, "facts_for_entity", entity="all:imatinib").python_rows()}
    assert {("brand name", "Gleevec"), ("targets", "Philadelphia chromosome"),
            ("used to treat", "Philadelphia chromosome-positive acute lymphoblastic leukemia")} <= imatinib
    by_iri = run(oxigraph, "facts_for_entity", entity=f"<{ALL}imatinib>").python_rows()
    assert len(by_iri) == len(imatinib)


def test_single_source_facts(oxigraph, curated):
    rows = run(oxigraph, "single_source_facts").python_rows()
    found = {(r["subject"], r["relation"], str(r["object"])): r["single_source"] for r in rows}
    # Only City of Hope names headache; only Moffitt the Fanconi anemia risk; fever has three sources.
    assert found[("acute lymphoblastic leukemia", "has symptom", "headache")] == "cityofhope"
    assert found[("acute lymphoblastic leukemia", "has risk factor", "Fanconi anemia")] == "moffitt"
    assert ("acute lymphoblastic leukemia", "has symptom", "fever") not in found
    # Independent count from the curated table: facts whose sections all belong to one source.
    single = sum(1 for fact in curated.facts if len({curated.source_of_section(s) for s in fact.sections}) == 1)
    fact_rows = [r for r in rows if r["fact"].startswith("https://w3id.org/allkg/fact/F")]
    assert len(fact_rows) == single


def _mapping_table_rows() -> list[tuple[str, str, str]]:
    table = paths.DATA_DIR / "mappings.tsv"
    if not table.exists():
        pytest.skip("data/mappings.tsv does not exist yet (external links are added by the links task)")
    with table.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    fields = {f.lower(): f for f in reader.fieldnames or []}
    pick = lambda *names: next((fields[n] for n in names if n in fields), None)  # noqa: E731
    subject, predicate, obj = pick("subject_id", "entity", "id", "subject"), \
        pick("predicate_id", "relation", "mapping", "predicate"), pick("object_id", "identifier", "object", "xref")
    assert subject and predicate and obj, f"unrecognised columns in {table}: {reader.fieldnames}"
    out = []
    for row in reader:
        entity = row[subject].strip().removeprefix("all:")
        relation = row[predicate].strip().split(":")[-1]
        out.append((entity, relation, row[obj].strip()))
    return out


def test_external_identifiers_match_the_mapping_table(oxigraph):
    expected = {(e, r, i) for e, r, i in _mapping_table_rows()
                if r in ("exactMatch", "closeMatch", "narrowMatch", "broadMatch", "relatedMatch")}
    rows = run(oxigraph, "external_identifiers").python_rows()
    if not rows:
        pytest.skip("the built graph has no skos mappings yet (links not in the build)")
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in rows:
        found.setdefault((r["entity"].removeprefix(ALL), r["mapping"]), []).append((r["identifier"], r["iri"]))
    missing = []
    for entity, relation, curie in expected:
        local = curie.split(":", 1)[-1]
        # OBO terms are shown as PREFIX:LOCAL; other schemes (UMLS, ICD-10-CM, ...) by their IRI.
        if not any(identifier == curie or iri.endswith(local) for identifier, iri in found.get((entity, relation), [])):
            missing.append((entity, relation, curie))
    assert not missing, missing[:5]
    assert all(r["entity"].startswith(ALL) for r in rows)


def test_summary_counts(oxigraph, curated):
    rows = run(oxigraph, "summary").python_rows()
    entities = {r["name"]: r["count"] for r in rows if r["count_of"] == "entities of class"}
    facts = {r["name"]: r["count"] for r in rows if r["count_of"] == "facts with relation"}
    # Independent counts from the curated tables.
    relations = Counter(fact.relation for fact in curated.facts)
    for stat in curated.statistics:  # each row of statistics.tsv is one record per stated attribute
        relations.update(["allkg:hasStatistic", "allkg:measures", "allkg:value", "allkg:comparator",
                          "allkg:hasUnit", "allkg:aboutPopulation", "allkg:statedAs"]
                         + (["allkg:referenceYear"] if stat.year else []))
    for relation, count in relations.items():
        assert facts[relation] == count, relation
    assert facts["allkg:hasStatistic"] == len(curated.statistics)
    drugs = sum(1 for e in curated.entities.values() if "Drug" in e.types)
    assert entities["allkg:Drug"] == drugs >= 13
    assert entities["allkg:Statistic"] == len(curated.statistics)


def test_side_effects(oxigraph):
    rows = {(r["treatment"], r["side_effect"]) for r in run(oxigraph, "side_effects").python_rows()}
    # ACS CAR T: very high fevers, dangerously low blood pressure; Harvard: transplants -> infection, bleeding.
    assert {("CAR T-cell therapy", "very high fever"), ("CAR T-cell therapy", "dangerously low blood pressure"),
            ("stem cell transplant", "infection"), ("stem cell transplant", "easy bleeding")} <= rows


def test_prognosis(oxigraph):
    rows = run(oxigraph, "prognosis").python_rows()
    factors = {r["item"] for r in rows if r["kind"] == "prognostic factor"}
    # City of Hope: survival drops with age; ACS: subtype, gene changes and MRD affect the outlook.
    assert {"patient age", "ALL subtype", "gene changes in the leukemia cells", "minimal residual disease"} <= factors
    statements = {r["item"] for r in rows if r["kind"] == "prognosis statement"}
    assert "children have a better outlook than adults" in statements


# --------------------------------------------------------------------------- two engines agree

NUMERIC = ("integer", "decimal", "double", "float", "int", "long", "short", "byte")


def _normalise(term, separator: str | None):
    """Compare terms across engines: numbers by value, GROUP_CONCAT lists as sets, blank nodes alike."""
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return "_:b"
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value.rsplit("#", 1)[-1].lower() if term.datatype else ""
        if datatype.endswith(NUMERIC):
            return ("number", Decimal(term.value))
        if separator is not None:
            # GROUP_CONCAT: order is unspecified; an empty group is "" in rdflib and unbound in Oxigraph.
            return None if term.value == "" else ("list", tuple(sorted(term.value.split(separator))))
        return ("literal", term.value, term.language)
    return ("iri", term.value)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_oxigraph_and_rdflib_agree(name, oxigraph, rdflib_engine):
    text = LIBRARY[name].with_parameters({})
    a, b = oxigraph.run(text), rdflib_engine.run(text)
    assert a.kind == b.kind and a.variables == b.variables
    # GROUP_CONCAT column -> its separator
    concat = {v: sep for sep, v in re.findall(r'GROUP_CONCAT\(.*?separator\s*=\s*"([^"]*)"\)\s*AS \?(\w+)\)', text, re.S)}
    def rows(result):
        return Counter(tuple(_normalise(t, concat.get(v)) for v, t in zip(result.variables, row)) for row in result.rows)
    assert rows(a) == rows(b)
    if name in REQUIRED - {"external_identifiers"}:
        assert len(a) > 0


def test_python_values():
    assert to_python(ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))) == 5
    assert to_python(ox.Literal("71.3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))) == Decimal("71.3")
    assert to_python(ox.NamedNode(ALL + "fever")) == ALL + "fever"


def test_a_query_file_runs_as_is_in_any_engine(oxigraph):
    # The default is in the file: the raw text (no substitution) gives the same answer.
    raw = LIBRARY["drugs_ph_positive"].text
    assert labels(oxigraph.run(raw)) == {"imatinib", "dasatinib"}
    assert QueryText.parse(raw).parameters["disease"].default == "all:Ph_positive_ALL"
