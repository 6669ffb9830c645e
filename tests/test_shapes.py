"""SHACL shapes (ontology/shapes.ttl): the built graph conforms, the shapes are valid SHACL, and
every constraint catches a deliberate mistake (mutation tests).

Mutation tests: each mutation below breaks a copy of the built graph in one way and lists the
results it must cause, as (focus node, shape, constraint component, SPARQL constraint). All
mutations are applied to ONE copy and validated once (validation takes seconds); the results
must then be exactly the union of the expectations plus the built graph's own warnings that the
mutations leave in place. Expectations never share a key, so each result is attributed to one
mutation, and a mutation that triggers an unexpected constraint fails the test.
`test_every_constraint_has_a_mutation` enumerates the constraints of shapes.ttl, so a new
constraint without a mutation (or one that has become vacuous) fails the suite.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

from graph_build import paths
from graph_build.namespaces import ALL, ALLKG, FACT, FOAF, SRC
from graph_build.rdf_io import parse_rdf_file
from graph_build.validate import load_shapes, shape_key, validate_graph, with_ontology

SHAPES = "https://w3id.org/allkg/shapes/"
OBO = "http://purl.obolibrary.org/obo/"

# The statistics whose source states no year: the built graph's only (expected) warnings.
STATISTICS_WITHOUT_YEAR = {
    "stat_acs_adult_share_cases", "stat_acs_adult_share_deaths", "stat_acs_lifetime_risk",
    "stat_acs_share_of_cancers", "stat_coh_survival_5y", "stat_moffitt_new_cases",
}

# Constraint parameter -> the component pyshacl reports for it.
COMPONENT_OF_PARAMETER = {
    SH["class"]: "ClassConstraintComponent", SH.datatype: "DatatypeConstraintComponent",
    SH.minCount: "MinCountConstraintComponent", SH.maxCount: "MaxCountConstraintComponent",
    SH.pattern: "PatternConstraintComponent", SH.nodeKind: "NodeKindConstraintComponent",
    SH["in"]: "InConstraintComponent", SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent", SH.uniqueLang: "UniqueLangConstraintComponent",
    SH.qualifiedMinCount: "QualifiedMinCountConstraintComponent",
    SH.qualifiedMaxCount: "QualifiedMaxCountConstraintComponent", SH["or"]: "OrConstraintComponent",
    SH["not"]: "NotConstraintComponent", SH.lessThanOrEquals: "LessThanOrEqualsConstraintComponent",
    SH.languageIn: "LanguageInConstraintComponent", SH.hasValue: "HasValueConstraintComponent",
    SH.xone: "XoneConstraintComponent", SH["and"]: "AndConstraintComponent", SH.node: "NodeConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent", SH.maxLength: "MaxLengthConstraintComponent",
    SH.equals: "EqualsConstraintComponent", SH.disjoint: "DisjointConstraintComponent",
    SH.lessThan: "LessThanConstraintComponent", SH.closed: "ClosedConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent", SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH.sparql: "SPARQLConstraintComponent",
}
# Parameters that belong to another parameter's constraint, or describe rather than constrain.
NOT_CONSTRAINTS = {
    SH.path, SH.name, SH.description, SH.message, SH.severity, SH.targetClass, SH.targetNode,
    SH.targetSubjectsOf, SH.targetObjectsOf, SH.property, SH.qualifiedValueShape, SH.flags, SH.deactivated,
    SH.order, SH.group, SH.declare, SH.prefixes, SH.ignoredProperties, SH.target,
}

Key = tuple[str, str, str, "str | None"]  # (focus, shape, component, SPARQL constraint)


def a(name: str) -> URIRef:
    return ALL[name]


def k(name: str) -> URIRef:
    return ALLKG[name]


def sh(name: str) -> str:
    return SHAPES + name


def key(focus, shape: str, component: str, constraint: str | None = None) -> Key:
    focus_text = "_:blank" if isinstance(focus, BNode) else str(focus)
    return (focus_text, shape, component, SHAPES + constraint if constraint else None)


# ---------------------------------------------------------------- graph editing helpers

_counter = iter(range(1, 10_000))


def records_of(g: Graph, s, p, o) -> list:
    return [r for r in g.subjects(RDF.subject, s) if (r, RDF.predicate, p) in g and (r, RDF.object, o) in g]


def add_fact(g: Graph, s, p, o) -> URIRef:
    """Assert a fact with a complete provenance record (so only the intended constraint fires)."""
    g.add((s, p, o))
    record = FACT[f"MUT{next(_counter)}"]
    for triple in [(RDF.type, RDF.Statement), (RDF.type, ALLKG.FactRecord), (RDF.subject, s), (RDF.predicate, p),
                   (RDF.object, o), (PROV.wasDerivedFrom, SRC.acs), (ALLKG.statedInSection, SRC["acs-what-is"])]:
        g.add((record,) + triple)
    return record


def remove_fact(g: Graph, s, p, o) -> None:
    """Remove a fact and its provenance records."""
    assert (s, p, o) in g, f"mutation expects the fact {s} {p} {o} in the built graph"
    g.remove((s, p, o))
    for record in records_of(g, s, p, o):
        g.remove((record, None, None))


def replace_fact(g: Graph, s, p, old, new) -> None:
    """Change the object of a fact and of its records."""
    assert (s, p, old) in g, f"mutation expects the fact {s} {p} {old} in the built graph"
    records = records_of(g, s, p, old)
    g.remove((s, p, old))
    g.add((s, p, new))
    for record in records:
        g.set((record, RDF.object, new))


def the_value(g: Graph, s, p):
    values = list(g.objects(s, p))
    assert len(values) == 1, f"mutation expects one {p} on {s}, found {values}"
    return values[0]


def new_entity(g: Graph, name: str, cls: URIRef) -> URIRef:
    node = a(name)
    g.add((node, RDF.type, OWL.NamedIndividual))
    g.add((node, RDF.type, cls))
    g.add((node, RDFS.label, Literal(name.replace("_", " "), lang="en")))
    g.add((node, SKOS.definition, Literal("Added by a mutation test.", lang="en")))
    return node


def dup_record(g: Graph, s, p, o, **without) -> URIRef:
    """A second, complete record for an existing fact (so breaking it leaves the fact covered)."""
    record = FACT[f"MUTDUP{next(_counter)}"]
    parts = {"type1": (RDF.type, RDF.Statement), "type2": (RDF.type, ALLKG.FactRecord), "subject": (RDF.subject, s),
             "predicate": (RDF.predicate, p), "object": (RDF.object, o), "source": (PROV.wasDerivedFrom, SRC.acs),
             "section": (ALLKG.statedInSection, SRC["acs-what-is"])}
    for name, triple in parts.items():
        if not without.get(name):
            g.add((record,) + triple)
    return record


# ---------------------------------------------------------------- the mutations


@dataclass
class Mutation:
    name: str
    apply: Callable[[Graph], list[Key]]  # edits the graph, returns the expected results


MUTATIONS: list[Mutation] = []


def mutation(func: Callable[[Graph], list[Key]]) -> Callable[[Graph], list[Key]]:
    MUTATIONS.append(Mutation(func.__name__, func))
    return func


# --- relations: one wrong object per range shape (the object is a drug, a symptom, ...)
RANGE_MUTATIONS = [  # (subject, relation, wrong object)
    ("induction", "aimsToAchieve", "imatinib"), ("cns_prophylaxis", "aimsToPrevent", "imatinib"),
    ("ALL", "arisesFrom", "imatinib"), ("ALL", "crowdsOut", "imatinib"), ("leukemia_cell", "developsFrom", "imatinib"),
    ("ALL", "diagnosedBy", "imatinib"), ("ALL", "distinguishedFrom", "imatinib"), ("ALL", "hasCause", "imatinib"),
    ("chemotherapy", "hasClinicalStatus", "imatinib"), ("ALL", "hasComplication", "imatinib"),
    ("ALL", "hasDiagnosticCriterion", "imatinib"), ("Ph_positive_ALL", "hasGeneticAbnormality", "imatinib"),
    ("two_phase_plan", "hasPhase", "imatinib"), ("ALL", "hasPrognosticFactor", "imatinib"),
    ("physical_exam", "hasPurpose", "imatinib"), ("ALL", "hasRiskFactor", "imatinib"),
    ("all_treatment", "hasSideEffect", "imatinib"), ("ALL", "hasStatement", "imatinib"),
    ("ALL", "hasStatistic", "imatinib"), ("ALL", "hasSymptom", "imatinib"), ("ALL", "hasTreatment", "imatinib"),
    ("ALL", "hasTreatmentPlan", "imatinib"), ("car_t_cell_therapy", "indicatedFor", "imatinib"),
    ("donor_leukocyte_infusion", "investigatedFor", "imatinib"), ("benzene_exposure", "involvesAgent", "imatinib"),
    ("lymphoid_tissue", "locatedIn", "imatinib"), ("dasatinib", "memberOfDrugClass", "fever"),
    ("ALL", "originatesIn", "imatinib"), ("ALL", "spreadsTo", "imatinib"), ("induction", "precedes", "imatinib"),
    ("red_blood_cell", "producedIn", "imatinib"), ("bone_marrow_aspiration", "samplesSite", "imatinib"),
    ("rituximab", "usedForOtherCondition", "imatinib"), ("anticancer_drug", "usedInTherapy", "fever"),
    ("stem_cell_transplant", "usesTherapy", "imatinib"),
]


@mutation
def wrong_range_objects(g: Graph) -> list[Key]:
    expected = []
    for subject, relation, wrong in RANGE_MUTATIONS:
        add_fact(g, a(subject), k(relation), a(wrong))
        component = "OrConstraintComponent" if relation == "aimsToPrevent" else "ClassConstraintComponent"
        expected.append(key(a(subject), sh(f"{relation}-range"), component))
    return expected


@mutation
def statistic_attributes_with_wrong_class(g: Graph) -> list[Key]:
    replace_fact(g, a("stat_acs_lifetime_risk"), k("aboutPopulation"), a("pop_us"), a("ALL"))
    replace_fact(g, a("stat_moffitt_new_cases"), k("hasUnit"), a("unit_count"), a("ALL"))
    replace_fact(g, a("stat_coh_survival_5y"), k("measures"), the_value(g, a("stat_coh_survival_5y"), k("measures")), a("ALL"))
    return [key(a("stat_acs_lifetime_risk"), sh("aboutPopulation-range"), "ClassConstraintComponent"),
            key(a("stat_moffitt_new_cases"), sh("hasUnit-range"), "ClassConstraintComponent"),
            key(a("stat_coh_survival_5y"), sh("measures-range"), "ClassConstraintComponent")]


@mutation
def disease_subtype_of_a_drug(g: Graph) -> list[Key]:
    add_fact(g, a("hodgkin_lymphoma"), k("subtypeOf"), a("bortezomib"))
    # A disease under a drug is also a link between two kinds: both constraints say so.
    return [key(a("hodgkin_lymphoma"), sh("DiseaseSubtypeShape"), "ClassConstraintComponent"),
            key(a("hodgkin_lymphoma"), sh("HierarchyShape"), "SPARQLConstraintComponent", "SameKindConstraint")]


@mutation
def therapy_subtype_of_a_site(g: Graph) -> list[Key]:
    add_fact(g, a("high_dose_chemotherapy"), k("subtypeOf"), a("bone_marrow"))
    return [key(a("high_dose_chemotherapy"), sh("HierarchyShape"), "SPARQLConstraintComponent", "SameKindConstraint")]


@mutation
def part_of_cycle(g: Graph) -> list[Key]:
    add_fact(g, a("bone"), k("partOf"), a("bone_marrow"))  # bone_marrow partOf bone is in the graph
    return [key(a(n), sh("HierarchyShape"), "SPARQLConstraintComponent", "NoCycleConstraint") for n in ("bone", "bone_marrow")]


@mutation
def all_subtype_loses_its_link(g: Graph) -> list[Key]:
    remove_fact(g, a("T_ALL"), k("subtypeOf"), a("ALL"))
    return [key(a("T_ALL"), sh("DiseaseShape"), "SPARQLConstraintComponent", "ALLSubtypeConstraint")]


@mutation
def drug_also_typed_as_symptom(g: Graph) -> list[Key]:
    g.add((a("venetoclax"), RDF.type, k("Symptom")))
    add_fact(g, a("ALL"), k("hasSymptom"), a("venetoclax"))  # so the symptom is not an orphan
    return [key(a("venetoclax"), sh("DisjointClassesShape"), "SPARQLConstraintComponent", "DisjointClassesConstraint")]


@mutation
def subject_outside_the_domain(g: Graph) -> list[Key]:
    add_fact(g, a("fever"), k("hasSymptom"), a("weakness"))  # a symptom is no disease
    return [key(a("fever"), sh("DomainShape"), "SPARQLConstraintComponent", "DomainConstraint")]


@mutation
def undeclared_relation(g: Graph) -> list[Key]:
    g.add((a("headache"), k("severity"), Literal("mild")))
    return [key(a("headache"), sh("EntityShape"), "SPARQLConstraintComponent", "DeclaredPropertyConstraint")]


@mutation
def undeclared_class(g: Graph) -> list[Key]:
    g.add((a("bleeding_gums"), RDF.type, k("Symtom")))
    return [key(k("Symtom"), sh("DeclaredClassShape"), "OrConstraintComponent")]


@mutation
def fact_without_source(g: Graph) -> list[Key]:
    s, p, o = a("ALL"), k("hasRiskFactor"), a("male_sex")
    assert (s, p, o) in g
    for record in records_of(g, s, p, o):
        g.remove((record, None, None))
    return [key(s, sh("EntityShape"), "SPARQLConstraintComponent", "FactProvenanceConstraint")]


@mutation
def brand_name_without_source(g: Graph) -> list[Key]:
    g.add((a("nelarabine"), ALLKG.brandName, Literal("Atriance", lang="en")))
    return [key(a("nelarabine"), sh("EntityShape"), "SPARQLConstraintComponent", "FactProvenanceConstraint")]


@mutation
def entity_iris(g: Graph) -> list[Key]:
    blank = BNode()
    bad = URIRef("https://w3id.org/allkg/id/night-sweats")
    for node in (blank, bad):
        g.add((node, RDF.type, k("Symptom")))
        g.add((node, RDFS.label, Literal("night sweats", lang="en")))
        g.add((node, SKOS.definition, Literal("Heavy sweating at night.", lang="en")))
        g.add((a("ALL"), k("hasSymptom"), node))
    add_fact(g, a("ALL"), k("hasSymptom"), bad)
    return [key(blank, sh("EntityShape"), "NodeKindConstraintComponent"),
            key(bad, sh("EntityShape"), "OrConstraintComponent")]


@mutation
def labels(g: Graph) -> list[Key]:
    g.add((a("weakness"), RDFS.label, Literal("weakness")))  # no language tag
    g.add((a("fatigue"), RDFS.label, Literal("tiredness", lang="en")))  # a second English label
    g.remove((a("malaise"), RDFS.label, None))
    g.add((a("malaise"), RDFS.label, Literal("Unwohlsein", lang="de")))  # no English label left
    return [key(a("weakness"), sh("LabelShape"), "DatatypeConstraintComponent"),
            key(a("fatigue"), sh("LabelShape"), "UniqueLangConstraintComponent"),
            key(a("malaise"), sh("EnglishLabelShape"), "QualifiedMinCountConstraintComponent")]


@mutation
def definitions(g: Graph) -> list[Key]:
    g.remove((a("headache"), SKOS.definition, None))
    g.add((a("vomiting"), SKOS.definition, Literal("Throwing up.")))
    g.add((a("body_aches"), SKOS.definition, Literal("Pain all over.", lang="en")))
    return [key(a("headache"), sh("DefinitionShape"), "MinCountConstraintComponent"),
            key(a("vomiting"), sh("DefinitionFormShape"), "DatatypeConstraintComponent"),
            key(a("body_aches"), sh("DefinitionFormShape"), "UniqueLangConstraintComponent")]


@mutation
def synonym_without_language(g: Graph) -> list[Key]:
    g.add((a("pale_skin"), SKOS.altLabel, Literal("paleness")))
    return [key(a("pale_skin"), sh("AltLabelShape"), "DatatypeConstraintComponent")]


@mutation
def external_links(g: Graph) -> list[Key]:
    g.add((a("loss_of_appetite"), SKOS.exactMatch, Literal("HP:0004396")))  # a string, not an IRI
    g.add((a("easy_bruising"), SKOS.closeMatch, URIRef(OBO + "HP_123")))  # HPO ids have 7 digits
    return [key(a("loss_of_appetite"), sh("MappingIRIShape"), "NodeKindConstraintComponent"),
            key(a("easy_bruising"), sh("OBOLinkShape"), "OrConstraintComponent")]


@mutation
def treatment_phases(g: Graph) -> list[Key]:
    three = a("three_phase_plan")
    replace_fact(g, a("maintenance"), k("phaseOrder"), the_value(g, a("maintenance"), k("phaseOrder")),
                 Literal("2", datatype=XSD.positiveInteger))  # consolidation is 2 already
    add_fact(g, a("post_remission"), k("phaseOrder"), Literal("5", datatype=XSD.positiveInteger))
    replace_fact(g, a("induction"), k("phaseOrder"), the_value(g, a("induction"), k("phaseOrder")),
                 Literal("1", datatype=XSD.integer))
    new_entity(g, "lonely_phase", k("TreatmentPhase"))
    new_entity(g, "empty_plan", k("TreatmentPlan"))
    return [key(three, sh("TreatmentPlanShape"), "SPARQLConstraintComponent", "UniquePhaseOrderConstraint"),
            key(a("post_remission"), sh("PhaseOrderShape"), "MaxCountConstraintComponent"),
            key(a("induction"), sh("PhaseOrderShape"), "DatatypeConstraintComponent"),
            key(a("lonely_phase"), "[phase of some plan]", "MinCountConstraintComponent"),
            key(a("empty_plan"), "[plan has phases]", "MinCountConstraintComponent")]


@mutation
def statistics(g: Graph) -> list[Key]:
    def stat(name):
        return a(name)

    value, unit, measure, population, year = k("value"), k("hasUnit"), k("measures"), k("aboutPopulation"), k("referenceYear")
    comparator, stated = k("comparator"), k("statedAs")
    s1, s2, s3 = stat("stat_acs_new_cases_2021"), stat("stat_acs_new_cases_male_2021"), stat("stat_acs_new_cases_female_2021")
    s4, s5, s6 = stat("stat_acs_deaths_2021"), stat("stat_acs_deaths_male_2021"), stat("stat_acs_deaths_female_2021")
    s7, s8, s9 = stat("stat_acs_adult_share_cases"), stat("stat_acs_adult_share_deaths"), stat("stat_acs_share_of_cancers")
    s10, s12 = stat("stat_acs_lifetime_risk"), stat("stat_coh_survival_5y")
    remove_fact(g, s1, value, the_value(g, s1, value))
    remove_fact(g, s1, year, the_value(g, s1, year))
    add_fact(g, s2, value, Literal("3001", datatype=XSD.decimal))
    add_fact(g, s2, year, Literal("2022", datatype=XSD.gYear))
    replace_fact(g, s3, value, the_value(g, s3, value), Literal("2690", datatype=XSD.integer))
    replace_fact(g, s3, year, the_value(g, s3, year), Literal("2021", datatype=XSD.integer))
    replace_fact(g, s4, value, the_value(g, s4, value), Literal("-5", datatype=XSD.decimal))
    replace_fact(g, s4, year, the_value(g, s4, year), Literal("1850", datatype=XSD.gYear))
    remove_fact(g, s5, unit, the_value(g, s5, unit))
    replace_fact(g, s5, comparator, the_value(g, s5, comparator), Literal("approximately"))
    add_fact(g, s6, unit, new_entity(g, "unit_per_year", k("UnitOfMeasure")))
    add_fact(g, s6, comparator, Literal("exactly"))
    remove_fact(g, s7, measure, the_value(g, s7, measure))
    add_fact(g, s7, stated, Literal("forty percent"))
    add_fact(g, s8, measure, a("measure_deaths"))
    replace_fact(g, s8, stated, the_value(g, s8, stated), Literal("4 out of 5", lang="en"))
    remove_fact(g, s9, population, the_value(g, s9, population))
    add_fact(g, s10, population, a("pop_us_male"))  # (its pop_us is replaced by another mutation)
    replace_fact(g, s12, value, the_value(g, s12, value), Literal("130", datatype=XSD.decimal))
    return [
        key(s1, sh("StatisticValueShape"), "MinCountConstraintComponent"),
        key(s1, sh("StatisticYearPresentShape"), "MinCountConstraintComponent"),
        key(s2, sh("StatisticValueShape"), "MaxCountConstraintComponent"),
        key(s2, sh("StatisticYearShape"), "MaxCountConstraintComponent"),
        key(s3, sh("StatisticValueShape"), "DatatypeConstraintComponent"),
        key(s3, sh("StatisticYearShape"), "DatatypeConstraintComponent"),
        key(s4, sh("StatisticValueShape"), "MinInclusiveConstraintComponent"),
        key(s4, sh("StatisticYearShape"), "PatternConstraintComponent"),
        key(s5, sh("StatisticUnitShape"), "MinCountConstraintComponent"),
        key(s5, sh("ComparatorShape"), "InConstraintComponent"),
        key(s6, sh("StatisticUnitShape"), "MaxCountConstraintComponent"),
        key(s6, sh("ComparatorShape"), "MaxCountConstraintComponent"),
        key(s7, sh("StatisticMeasureShape"), "MinCountConstraintComponent"),
        key(s7, sh("StatedAsShape"), "MaxCountConstraintComponent"),
        key(s8, sh("StatisticMeasureShape"), "MaxCountConstraintComponent"),
        key(s8, sh("StatedAsShape"), "DatatypeConstraintComponent"),
        key(s9, sh("StatisticPopulationShape"), "MinCountConstraintComponent"),
        key(s10, sh("StatisticPopulationShape"), "MaxCountConstraintComponent"),
        key(s12, sh("StatisticShape"), "SPARQLConstraintComponent", "PercentageConstraint"),
    ]


@mutation
def diagnostic_criterion(g: Graph) -> list[Key]:
    blast = a("blast_threshold")
    replace_fact(g, blast, k("value"), the_value(g, blast, k("value")), Literal("130", datatype=XSD.decimal))
    add_fact(g, blast, k("value"), Literal("twenty", datatype=XSD.string))
    return [key(blast, sh("DiagnosticCriterionShape"), "SPARQLConstraintComponent", "PercentageConstraint"),
            key(blast, "[criterion value]", "MaxCountConstraintComponent"),
            key(blast, "[criterion value]", "DatatypeConstraintComponent")]


@mutation
def ages_and_durations(g: Graph) -> list[Key]:
    age_min, age_max = k("minimumAge"), k("maximumAge")
    replace_fact(g, a("age_2_to_4"), age_min, the_value(g, a("age_2_to_4"), age_min), Literal("6", datatype=XSD.decimal))
    replace_fact(g, a("age_under_5"), age_max, the_value(g, a("age_under_5"), age_max), Literal("5", datatype=XSD.integer))
    replace_fact(g, a("age_under_15"), age_max, the_value(g, a("age_under_15"), age_max), Literal("150", datatype=XSD.decimal))
    replace_fact(g, a("age_over_45"), age_min, the_value(g, a("age_over_45"), age_min), Literal("-1", datatype=XSD.decimal))
    replace_fact(g, a("induction"), k("typicalDuration"), the_value(g, a("induction"), k("typicalDuration")), Literal("a month"))
    replace_fact(g, a("consolidation"), k("durationNote"), the_value(g, a("consolidation"), k("durationNote")),
                 Literal("several months", lang="en"))
    return [key(a("age_2_to_4"), sh("AgeShape"), "LessThanOrEqualsConstraintComponent"),
            key(a("age_under_5"), "[age in years]", "DatatypeConstraintComponent"),
            key(a("age_under_15"), "[age in years]", "MaxInclusiveConstraintComponent"),
            key(a("age_over_45"), "[age in years]", "MinInclusiveConstraintComponent"),
            key(a("induction"), "[duration]", "DatatypeConstraintComponent"),
            key(a("consolidation"), "[duration note]", "DatatypeConstraintComponent")]


@mutation
def entities_nothing_refers_to(g: Graph) -> list[Key]:
    remove_fact(g, a("ALL"), k("hasSymptom"), a("bleeding_gums"))
    remove_fact(g, a("ALL"), k("hasRiskFactor"), a("age_over_50"))
    for name, cls in [("orphan_class", "DrugClass"), ("orphan_site", "AnatomicalSite"), ("orphan_change", "GeneticAbnormality")]:
        new_entity(g, name, k(cls))
    return [key(a("bleeding_gums"), "[symptom of some disease]", "MinCountConstraintComponent"),
            key(a("age_over_50"), "[risk factor of some disease]", "MinCountConstraintComponent"),
            key(a("orphan_class"), "[drug class in use]", "MinCountConstraintComponent"),
            key(a("orphan_site"), "[site in use]", "MinCountConstraintComponent"),
            key(a("orphan_change"), "[abnormality in use]", "MinCountConstraintComponent")]


@mutation
def provenance_records(g: Graph) -> list[Key]:
    ALL_, fever = a("ALL"), a("fever")
    symptom = k("hasSymptom")
    expected = []
    broken = {
        "no_subject": dup_record(g, ALL_, symptom, fever, subject=True),
        "no_predicate": dup_record(g, ALL_, symptom, fever, predicate=True),
        "no_object": dup_record(g, ALL_, symptom, fever, object=True),
        "no_source": dup_record(g, ALL_, symptom, fever, source=True, section=True),
        "not_statement": dup_record(g, ALL_, symptom, fever, type1=True),
    }
    expected += [key(broken["no_subject"], "[record subject]", "MinCountConstraintComponent"),
                 key(broken["no_predicate"], "[record predicate]", "MinCountConstraintComponent"),
                 key(broken["no_object"], "[record object]", "MinCountConstraintComponent"),
                 key(broken["no_source"], "[record source]", "MinCountConstraintComponent"),
                 key(broken["not_statement"], sh("FactRecordShape"), "ClassConstraintComponent")]
    # Two subjects / predicates / objects: every combination is a fact of the graph, so only the count is wrong.
    two_subjects = dup_record(g, a("B_ALL"), k("subtypeOf"), ALL_)
    g.add((two_subjects, RDF.subject, a("Ph_positive_ALL")))
    two_predicates = dup_record(g, ALL_, k("arisesFrom"), a("lymphocyte"))
    g.add((two_predicates, RDF.predicate, k("crowdsOut")))
    two_objects = dup_record(g, ALL_, k("subtypeOf"), a("leukemia"))
    g.add((two_objects, RDF.object, a("acute_leukemia")))
    expected += [key(two_subjects, "[record subject]", "MaxCountConstraintComponent"),
                 key(two_predicates, "[record predicate]", "MaxCountConstraintComponent"),
                 key(two_objects, "[record object]", "MaxCountConstraintComponent")]
    source_not_document = dup_record(g, ALL_, symptom, fever)
    g.add((source_not_document, PROV.wasDerivedFrom, ALL_))
    section_not_section = dup_record(g, ALL_, symptom, fever)
    g.add((section_not_section, ALLKG.statedInSection, ALL_))
    stale = dup_record(g, ALL_, symptom, a("bone_marrow"))  # a record of a fact the graph does not state
    wrong_source = dup_record(g, ALL_, symptom, fever, source=True)
    g.add((wrong_source, PROV.wasDerivedFrom, SRC.harvard))  # but its section is part of src:acs
    expected += [key(source_not_document, "[record source]", "ClassConstraintComponent"),
                 key(section_not_section, "[record section]", "ClassConstraintComponent"),
                 key(stale, sh("RecordConsistencyShape"), "SPARQLConstraintComponent", "RecordedFactAssertedConstraint"),
                 key(wrong_source, sh("RecordConsistencyShape"), "SPARQLConstraintComponent", "SectionOfSourceConstraint")]
    return expected


@mutation
def sources_and_sections(g: Graph) -> list[Key]:
    g.remove((SRC.moffitt, DCTERMS.title, None))
    g.remove((SRC.acs, DCTERMS.publisher, None))
    g.add((SRC.harvard, ALLKG.dateReviewed, Literal("2020-01-01", datatype=XSD.date)))
    replace_date = the_value(g, SRC.cityofhope, ALLKG.dateReviewed)
    g.remove((SRC.cityofhope, ALLKG.dateReviewed, replace_date))
    g.add((SRC.cityofhope, ALLKG.dateReviewed, Literal("August 2023")))
    page = the_value(g, SRC.medlineplus, FOAF.page)
    g.remove((SRC.medlineplus, FOAF.page, page))
    g.add((SRC.medlineplus, FOAF.page, Literal(str(page))))
    blank_source = BNode()
    g.add((blank_source, RDF.type, ALLKG.SourceDocument))
    g.add((blank_source, RDFS.label, Literal("an unnamed page", lang="en")))
    g.add((blank_source, DCTERMS.title, Literal("Unnamed", lang="en")))
    g.add((blank_source, DCTERMS.publisher, Literal("Nobody")))
    sections = {}
    for name in ("orphan-section", "two-documents", "not-a-document"):
        sections[name] = SRC[name]
        g.add((SRC[name], RDF.type, ALLKG.SourceSection))
        g.add((SRC[name], RDFS.label, Literal(name, lang="en")))
    g.add((SRC["two-documents"], DCTERMS.isPartOf, SRC.acs))
    g.add((SRC["two-documents"], DCTERMS.isPartOf, SRC.harvard))
    g.add((SRC["not-a-document"], DCTERMS.isPartOf, a("ALL")))
    return [key(SRC.moffitt, "[source title]", "MinCountConstraintComponent"),
            key(SRC.acs, "[source publisher]", "MinCountConstraintComponent"),
            key(SRC.harvard, "[date reviewed]", "MaxCountConstraintComponent"),
            key(SRC.cityofhope, "[date reviewed]", "DatatypeConstraintComponent"),
            key(SRC.medlineplus, "[source web page]", "NodeKindConstraintComponent"),
            key(blank_source, sh("SourceDocumentShape"), "NodeKindConstraintComponent"),
            key(sections["orphan-section"], "[section of one document]", "MinCountConstraintComponent"),
            key(sections["two-documents"], "[section of one document]", "MaxCountConstraintComponent"),
            key(sections["not-a-document"], "[section of one document]", "ClassConstraintComponent")]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="session")
def graph_to_validate(built_graph_file) -> Graph:
    return with_ontology(parse_rdf_file(built_graph_file))


def _keys(report) -> set[Key]:
    return {(r.focus if not r.focus.startswith("_:") else "_:blank", r.shape, r.component, r.constraint)
            for r in report.results}


@pytest.fixture(scope="session")
def mutation_run(built_graph_file, shapes):
    graph = with_ontology(parse_rdf_file(built_graph_file))
    expected: dict[Key, str] = {}
    for item in MUTATIONS:
        for expected_key in item.apply(graph):
            assert expected_key not in expected, f"{item.name} and {expected.get(expected_key)} expect the same result {expected_key}"
            expected[expected_key] = item.name
    return expected, validate_graph(graph, shapes), graph


# ---------------------------------------------------------------- tests


def test_built_graph_conforms_with_only_the_missing_year_warnings(graph_to_validate, shapes):
    report = validate_graph(graph_to_validate, shapes)
    assert report.conforms, "\n".join(f"{r.focus}: {r.message}" for r in report.violations)
    assert report.violations == []
    warned = {(r.shape, r.focus.rsplit("/", 1)[-1]) for r in report.warnings}
    assert warned == {(sh("StatisticYearPresentShape"), name) for name in STATISTICS_WITHOUT_YEAR}


def test_shapes_are_valid_shacl(shapes):
    """Validate shapes.ttl against the SHACL-for-SHACL shapes graph that pyshacl ships."""
    import pyshacl

    shacl_shacl = Graph().parse(os.path.join(os.path.dirname(pyshacl.__file__), "assets", "shacl-shacl.ttl"))
    conforms, _graph, text = pyshacl.validate(shapes, shacl_graph=shacl_shacl, inference="none")
    assert conforms, text
    # And pyshacl's own meta-check of the shapes (it refuses, e.g., VALUES or MINUS in SPARQL constraints).
    conforms, _graph, text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True, advanced=True)
    assert conforms, text


def _all_shapes(shapes: Graph) -> set:
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    return found | set(shapes.objects(None, SH.property))


def test_every_shape_and_sparql_constraint_has_a_name_and_an_english_message(shapes):
    for shape in _all_shapes(shapes):
        messages = [m for m in shapes.objects(shape, SH.message) if getattr(m, "language", None) == "en"]
        assert messages and len(str(messages[0])) > 30, f"{shape_key(shape, shapes)} has no sh:message a person understands"
        assert shapes.value(shape, SH.name) is not None, f"{shape_key(shape, shapes)} has no sh:name"
    for constraint in set(shapes.objects(None, SH.sparql)):
        assert isinstance(constraint, URIRef), "SPARQL constraints need an IRI so reports can name them"
        assert shapes.value(constraint, SH.message) is not None, f"{constraint} has no sh:message"
    names = [str(n) for s in _all_shapes(shapes) for n in shapes.objects(s, SH.name)]
    assert len(names) == len(set(names)), "sh:name identifies blank-node shapes in reports: names must be unique"


def test_severities_are_violation_or_warning(shapes):
    severities = set(shapes.objects(None, SH.severity))
    assert severities <= {SH.Violation, SH.Warning}
    warnings = {shape_key(s, shapes) for s in shapes.subjects(SH.severity, SH.Warning)}
    assert warnings == {sh("DefinitionShape"), sh("StatisticYearPresentShape"), "[symptom of some disease]",
                        "[risk factor of some disease]", "[drug class in use]", "[phase of some plan]",
                        "[site in use]", "[abnormality in use]"}


def constraints_of(shapes: Graph) -> set[tuple[str, str, str | None]]:
    """Every (shape, component, SPARQL constraint) of shapes.ttl; an unknown parameter fails."""
    found = set()
    nested = set()
    for parameter in (SH["or"], SH["xone"], SH["and"]):
        for head in shapes.objects(None, parameter):
            nested.update(Collection(shapes, head))
    nested.update(shapes.objects(None, SH["not"]))
    nested.update(shapes.objects(None, SH.qualifiedValueShape))
    for shape in _all_shapes(shapes) - nested:
        for parameter, value in shapes.predicate_objects(shape):
            if parameter in NOT_CONSTRAINTS or parameter == RDF.type:
                continue
            assert parameter in COMPONENT_OF_PARAMETER, f"{shape_key(shape, shapes)}: unknown SHACL parameter {parameter}"
            if parameter == SH.sparql:
                found.add((shape_key(shape, shapes), "SPARQLConstraintComponent", str(value)))
            else:
                found.add((shape_key(shape, shapes), COMPONENT_OF_PARAMETER[parameter], None))
    return found


def test_each_mutation_fails_on_exactly_its_constraints(mutation_run, graph_to_validate, shapes):
    expected, report, _graph = mutation_run
    actual = _keys(report)
    baseline_warnings = {k_ for k_ in _keys(validate_graph(graph_to_validate, shapes))}
    # Mutations that give a year-less statistic a year remove its baseline warning; none do.
    want = set(expected) | baseline_warnings
    missing = sorted(want - actual, key=str)
    unexpected = sorted(actual - want, key=str)
    assert not missing, "mutations that did not fail as expected:\n" + "\n".join(f"{expected.get(m)}: {m}" for m in missing)
    assert not unexpected, "results no mutation expected:\n" + "\n".join(map(str, unexpected))


def test_every_constraint_has_a_mutation(mutation_run, shapes):
    expected, _report, _graph = mutation_run
    covered = {(shape, component, constraint) for (_focus, shape, component, constraint) in expected}
    uncovered = constraints_of(shapes) - covered
    assert not uncovered, "constraints without a mutation test:\n" + "\n".join(map(str, sorted(uncovered, key=str)))
    assert len(constraints_of(shapes)) > 100  # the enumeration itself must not become vacuous


def test_mutated_graph_does_not_conform_and_names_focus_by_label(mutation_run):
    _expected, report, _graph = mutation_run
    assert not report.conforms
    result = next(r for r in report.results if r.focus.endswith("/id/venetoclax"))
    assert result.focus_label == "venetoclax"


# ---------------------------------------------------------------- shapes follow the ontology


@pytest.fixture(scope="session")
def ontology() -> Graph:
    return parse_rdf_file(paths.ONTOLOGY_FILE)


def _disjoint_top_classes(ontology: Graph) -> set:
    members = set()
    for group in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members.update(Collection(ontology, ontology.value(group, OWL.members)))
    return members


def test_disjointness_is_read_from_the_ontologys_axiom(mutation_run):
    # The constraint keeps no list of its own: it names the two classes of the ontology's
    # owl:AllDisjointClasses axiom that the entity falls into.
    _expected, report, _graph = mutation_run
    found = [r for r in report.results if r.focus.endswith("/id/venetoclax") and r.constraint
             and r.constraint.endswith("DisjointClassesConstraint")]
    assert len(found) == 1
    assert "vocab/Drug" in found[0].message and "vocab/Phenotype" in found[0].message


def test_entity_shapes_target_every_class_with_entities(shapes, ontology):
    targets = set(shapes.objects(URIRef(sh("EntityShape")), SH.targetClass))
    source_classes = {ALLKG.SourceDocument, ALLKG.SourceSection}
    assert targets >= _disjoint_top_classes(ontology) - source_classes
    assert set(shapes.objects(URIRef(sh("DisjointClassesShape")), SH.targetClass)) == targets


def test_every_relation_range_has_a_class_constraint(shapes, ontology):
    """The object of every allkg: object property with an rdfs:range is checked with sh:class."""
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        declared = ontology.value(prop, RDFS.range)
        if declared is None:
            continue
        union = ontology.value(declared, OWL.unionOf)
        expected = set(Collection(ontology, union)) if union else {declared}
        shape = URIRef(sh(f"{str(prop).rsplit('/', 1)[-1]}-range"))
        assert shapes.value(shape, SH.path) == prop, f"no range shape for {prop}"
        either = shapes.value(shape, SH["or"])
        classes = ({shapes.value(member, SH["class"]) for member in Collection(shapes, either)} if either
                   else set(shapes.objects(shape, SH["class"])))
        assert classes == expected, f"{shape}: sh:class {classes} but the ontology's range is {expected}"
        assert any(shapes.subjects(SH.property, shape)), f"{shape} is attached to no node shape"


def test_the_all_subtype_rule_covers_the_five_subtypes(graph_to_validate):
    """allkgsh:ALLSubtypeConstraint applies to diseases labelled as a kind of ALL: these five are."""
    for name in ("B_ALL", "T_ALL", "Ph_positive_ALL", "childhood_ALL", "adult_ALL"):
        labels = [str(l) for l in graph_to_validate.objects(a(name), RDFS.label)]
        assert any("acute lymphoblastic leukemia" in l.lower() for l in labels), (name, labels)
        assert (a(name), k("subtypeOf"), a("ALL")) in graph_to_validate
