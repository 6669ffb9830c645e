"""Turn the curated tables and the ontology into one RDF graph with provenance.

Provenance model: every fact is asserted as a plain triple (so ordinary SPARQL works) and
described by a provenance record `fact:<id>`, an `rdf:Statement` (RDF reification) that is
also an `allkg:FactRecord` / `prov:Entity`, with `prov:wasDerivedFrom` for each source
document and `allkg:statedInSection` for each section that states it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from graph_build.errors import DataError, InputError
from graph_build.namespaces import ALL, ALLKG, FACT, FOAF, ONTOLOGY_IRI, SRC, bind_prefixes, expand, ontology_version_iri
from graph_build.rdf_io import quiet_ill_typed_literals
from graph_build.tables import CuratedData, Fact, Statistic
from graph_build.version import __version__

LANG = "en"


@dataclass(frozen=True)
class Vocabulary:
    """What the ontology declares: the classes and the kind of each property."""

    classes: frozenset[URIRef]
    object_properties: frozenset[URIRef]
    datatype_properties: dict[URIRef, URIRef | None]  # property -> rdfs:range datatype
    annotation_properties: frozenset[URIRef]

    @classmethod
    def from_graph(cls, ontology: Graph) -> "Vocabulary":
        datatype_properties = {
            prop: ontology.value(prop, RDFS.range) for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty)
        }
        # SKOS labels are used as annotation properties in the facts table.
        annotations = set(ontology.subjects(RDF.type, OWL.AnnotationProperty)) | {SKOS.altLabel}
        return cls(
            classes=frozenset(s for s in ontology.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)),
            object_properties=frozenset(ontology.subjects(RDF.type, OWL.ObjectProperty)),
            datatype_properties=datatype_properties,
            annotation_properties=frozenset(annotations),
        )


def load_ontology(path: Path) -> Graph:
    """Parse the human-edited ontology; a syntax error names the file and line."""
    from graph_build.rdf_io import parse_rdf_file

    return parse_rdf_file(path)


def entity_iri(entity_id: str) -> URIRef:
    return ALL[entity_id]


def _typed_literal(value: str, datatype: URIRef | None, where: str, problems: list[str]) -> Literal:
    if datatype is None or datatype == XSD.string:
        return Literal(value)
    with quiet_ill_typed_literals():  # reported below as a row problem instead
        literal = Literal(value, datatype=datatype)
    if literal.ill_typed:
        problems.append(f"{where}: '{value}' is not a valid xsd:{str(datatype).rsplit('#', 1)[-1]}")
    return literal


class GraphAssembler:
    """Builds the graph from tables; collects every row problem before failing."""

    def __init__(self, data: CuratedData, ontology: Graph) -> None:
        self.data = data
        self.ontology = ontology
        self.vocabulary = Vocabulary.from_graph(ontology)
        self.graph = Graph()
        self.problems: list[str] = []

    def where(self, file: str, line: int) -> str:
        return f"{self.data.directory.name}/{file}:{line}"

    def build(self) -> Graph:
        bind_prefixes(self.graph)
        self._add_ontology()
        self._add_sources()
        self._add_entities()
        for fact in self.data.facts:
            self._add_fact(fact)
        for statistic in self.data.statistics:
            self._add_statistic(statistic)
        if self.problems:
            raise DataError(self.problems)
        return self.graph

    def _add_ontology(self) -> None:
        for triple in self.ontology:
            self.graph.add(triple)
        ontology = URIRef(ONTOLOGY_IRI)
        self.graph.set((ontology, OWL.versionIRI, URIRef(ontology_version_iri(__version__))))
        self.graph.set((ontology, OWL.versionInfo, Literal(__version__)))

    def _add_sources(self) -> None:
        g = self.graph
        for source in self.data.sources.values():
            node = SRC[source.id]
            g.add((node, RDF.type, ALLKG.SourceDocument))
            g.add((node, RDF.type, OWL.NamedIndividual))
            g.add((node, RDFS.label, Literal(f"{source.publisher}: {source.title}", lang=LANG)))
            g.add((node, DCTERMS.title, Literal(source.title, lang=LANG)))
            g.add((node, DCTERMS.publisher, Literal(source.publisher)))
            g.add((node, DCTERMS.identifier, Literal(source.corpus_file)))
            if source.date_reviewed:
                g.add((node, ALLKG.dateReviewed, Literal(source.date_reviewed, datatype=XSD.date)))
            if source.url:
                g.add((node, FOAF.page, URIRef(source.url)))
            if source.note:
                g.add((node, SKOS.note, Literal(source.note, lang=LANG)))
        for section in self.data.sections.values():
            node = SRC[section.id]
            g.add((node, RDF.type, ALLKG.SourceSection))
            g.add((node, RDF.type, OWL.NamedIndividual))
            g.add((node, RDFS.label, Literal(section.heading, lang=LANG)))
            g.add((node, DCTERMS.isPartOf, SRC[section.source]))

    def _add_entities(self) -> None:
        g = self.graph
        for entity in self.data.entities.values():
            node = entity_iri(entity.id)
            g.add((node, RDF.type, OWL.NamedIndividual))
            for type_name in entity.types:
                cls = ALLKG[type_name]
                if cls not in self.vocabulary.classes:
                    self.problems.append(
                        f"{self.where('entities.tsv', entity.line)}: unknown class '{type_name}' (not in ontology/allkg.ttl)"
                    )
                g.add((node, RDF.type, cls))
            g.add((node, RDFS.label, Literal(entity.label, lang=LANG)))
            g.add((node, SKOS.definition, Literal(entity.definition, lang=LANG)))
            for synonym in entity.synonyms:
                g.add((node, SKOS.altLabel, Literal(synonym, lang=LANG)))
            for term in entity.search_terms:
                g.add((node, SKOS.hiddenLabel, Literal(term, lang=LANG)))

    def _object_term(self, fact: Fact, predicate: URIRef, where: str):
        if predicate in self.vocabulary.object_properties:
            if fact.object not in self.data.entities:
                self.problems.append(f"{where}: unknown entity '{fact.object}' in column object")
            return entity_iri(fact.object)
        if predicate in self.vocabulary.datatype_properties:
            return _typed_literal(fact.object, self.vocabulary.datatype_properties[predicate], where, self.problems)
        if predicate in self.vocabulary.annotation_properties:
            return Literal(fact.object, lang=LANG)
        self.problems.append(f"{where}: unknown relation '{fact.relation}' (not a property of ontology/allkg.ttl)")
        return None

    def _add_fact(self, fact: Fact) -> None:
        where = self.where("facts.tsv", fact.line)
        try:
            predicate = URIRef(expand(fact.relation))
        except InputError as exc:
            self.problems.append(f"{where}: {exc}")
            return
        obj = self._object_term(fact, predicate, where)
        if obj is None:
            return
        self._assert_with_provenance(FACT[fact.id], entity_iri(fact.subject), predicate, obj, fact.sections, fact.name_lost_in)

    def _assert_with_provenance(self, record, subject, predicate, obj, sections, name_lost_in=()) -> None:
        g = self.graph
        g.add((subject, predicate, obj))
        g.add((record, RDF.type, RDF.Statement))
        g.add((record, RDF.type, ALLKG.FactRecord))
        g.add((record, RDF.subject, subject))
        g.add((record, RDF.predicate, predicate))
        g.add((record, RDF.object, obj))
        for section in sections:
            g.add((record, PROV.wasDerivedFrom, SRC[self.data.source_of_section(section)]))
            g.add((record, ALLKG.statedInSection, SRC[section]))
        for source in name_lost_in:
            g.add((record, ALLKG.textNotInSource, SRC[source]))

    def _add_statistic(self, stat: Statistic) -> None:
        """A statistic row becomes an entity with one provenance record per stated attribute."""
        g = self.graph
        where = self.where("statistics.tsv", stat.line)
        node = entity_iri(stat.id)
        g.add((node, RDF.type, OWL.NamedIndividual))
        g.add((node, RDF.type, ALLKG.Statistic))
        g.add((node, RDFS.label, Literal(stat.label, lang=LANG)))
        g.add((node, SKOS.definition, Literal(f"A figure stated by the source: {stat.label}.", lang=LANG)))
        attributes = [
            ("measure", entity_iri(stat.measure), ALLKG.measures),
            ("value", _typed_literal(stat.value, XSD.decimal, where, self.problems), ALLKG.value),
            ("comparator", Literal(stat.comparator), ALLKG.comparator),
            ("unit", entity_iri(stat.unit), ALLKG.hasUnit),
            ("population", entity_iri(stat.population), ALLKG.aboutPopulation),
            ("stated-as", Literal(stat.stated_as), ALLKG.statedAs),
        ]
        if stat.year:
            attributes.append(("year", _typed_literal(stat.year, XSD.gYear, where, self.problems), ALLKG.referenceYear))
        # The disease -> statistic link is the fact a query starts from.
        self._assert_with_provenance(FACT[f"{stat.id}"], entity_iri("ALL"), ALLKG.hasStatistic, node, stat.sections)
        for name, obj, predicate in attributes:
            self._assert_with_provenance(FACT[f"{stat.id}-{name}"], node, predicate, obj, stat.sections)


def assemble_graph(data: CuratedData, ontology: Graph) -> Graph:
    return GraphAssembler(data, ontology).build()
