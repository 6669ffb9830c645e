"""Facts and provenance: every fact cites a source, every entity is described and used."""
from __future__ import annotations

from collections import Counter

from rdflib import URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

from graph_build.namespaces import ALL, ALLKG, FACT, SRC

QUERY_PREFIXES = """
PREFIX allkg: <https://w3id.org/allkg/vocab/>
PREFIX all: <https://w3id.org/allkg/id/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
SOURCE_IDS = {"harvard", "cityofhope", "medlineplus", "moffitt", "acs"}


def test_each_of_the_five_sources_is_cited(built_graph):
    cited = {str(s).removeprefix(str(SRC)) for s in built_graph.objects(None, PROV.wasDerivedFrom)}
    assert cited == SOURCE_IDS


def test_each_source_document_is_described(built_graph):
    for source in SOURCE_IDS:
        node = SRC[source]
        assert (node, RDF.type, ALLKG.SourceDocument) in built_graph
        assert built_graph.value(node, URIRef("http://purl.org/dc/terms/publisher")), source
        assert built_graph.value(node, URIRef("http://purl.org/dc/terms/title")), source
    # The one page that states its URL has it recorded.
    assert (SRC.medlineplus, URIRef("http://xmlns.com/foaf/0.1/page"),
            URIRef("https://medlineplus.gov/acutelymphocyticleukemia.html")) in built_graph


def test_every_provenance_record_cites_a_source_and_a_section_of_it(built_graph):
    records = set(built_graph.subjects(RDF.type, ALLKG.FactRecord))
    assert len(records) > 350
    for record in records:
        sources = set(built_graph.objects(record, PROV.wasDerivedFrom))
        sections = set(built_graph.objects(record, ALLKG.statedInSection))
        assert sources, record
        part_of = {built_graph.value(s, URIRef("http://purl.org/dc/terms/isPartOf")) for s in sections}
        assert part_of == sources, record


def _vocabulary_properties(graph):
    props = set(graph.subjects(RDF.type, OWL.ObjectProperty)) | set(graph.subjects(RDF.type, OWL.DatatypeProperty))
    return {p for p in props if str(p).startswith(str(ALLKG))}


def test_every_fact_between_entities_has_a_provenance_record(built_graph):
    recorded = {
        (built_graph.value(r, RDF.subject), built_graph.value(r, RDF.predicate), built_graph.value(r, RDF.object))
        for r in built_graph.subjects(RDF.type, ALLKG.FactRecord)
    }
    properties = _vocabulary_properties(built_graph)
    facts = [
        (s, p, o) for s, p, o in built_graph
        if p in properties and str(s).startswith(str(ALL))
    ]
    assert len(facts) > 350
    unrecorded = [t for t in facts if t not in recorded]
    assert unrecorded == []


def test_every_entity_has_a_label_and_a_definition(built_graph):
    entities = {s for s in built_graph.subjects(RDF.type, OWL.NamedIndividual) if str(s).startswith(str(ALL))}
    assert len(entities) > 200
    for entity in entities:
        labels = [l for l in built_graph.objects(entity, RDFS.label) if l.language == "en"]
        assert len(labels) == 1, entity
        assert built_graph.value(entity, SKOS.definition), entity


def test_no_orphan_entity(built_graph):
    """Every entity takes part in at least one sourced fact (as subject or object)."""
    in_facts = set()
    for record in built_graph.subjects(RDF.type, ALLKG.FactRecord):
        in_facts.add(built_graph.value(record, RDF.subject))
        in_facts.add(built_graph.value(record, RDF.object))
    entities = {s for s in built_graph.subjects(RDF.type, OWL.NamedIndividual) if str(s).startswith(str(ALL))}
    # Test purposes, statuses and units are value sets: used as objects of facts too.
    assert sorted(str(e) for e in entities - in_facts) == []


def test_yearly_new_cases_keep_both_sources_figures(built_graph):
    query = QUERY_PREFIXES + """
    SELECT ?value ?source WHERE {
      ?stat allkg:measures all:measure_new_cases ; allkg:aboutPopulation all:pop_us ; allkg:value ?value .
      ?r rdf:subject ?stat ; rdf:predicate allkg:value ; prov:wasDerivedFrom ?source .
    }"""
    rows = {(float(v), str(s).removeprefix(str(SRC))) for v, s in built_graph.query(query)}
    assert rows == {(5690.0, "acs"), (6500.0, "moffitt")}


def test_which_sources_state_fever_is_a_symptom(built_graph):
    query = QUERY_PREFIXES + """
    SELECT ?source WHERE {
      ?r rdf:subject all:ALL ; rdf:predicate allkg:hasSymptom ; rdf:object all:fever ; prov:wasDerivedFrom ?source .
    }"""
    assert {str(s).removeprefix(str(SRC)) for (s,) in built_graph.query(query)} == {"cityofhope", "medlineplus", "moffitt"}


def test_fact_ids_are_the_curated_ones(built_graph, curated):
    records = {str(r).removeprefix(str(FACT)) for r in built_graph.subjects(RDF.type, ALLKG.FactRecord)}
    assert {fact.id for fact in curated.facts} <= records


def test_disease_synonyms_are_recorded_with_their_sources(built_graph):
    counts = Counter()
    for record in built_graph.subjects(RDF.predicate, SKOS.altLabel):
        if built_graph.value(record, RDF.subject) == ALL.ALL:
            counts[str(built_graph.value(record, RDF.object))] += len(set(built_graph.objects(record, PROV.wasDerivedFrom)))
    assert counts == {"acute lymphocytic leukemia": 5, "ALL": 5, "acute lymphoid leukemia": 2}
