"""KGX TSV export (dist/kgx/nodes.tsv, dist/kgx/edges.tsv) for the Biolink/Monarch tool chain.

KGX (https://github.com/biolink/kgx) exchanges knowledge graphs as a pair of tab-separated
files. Here:

* nodes.tsv - every entity of the graph (`all:`) with its Biolink category (from its ALL-KG
  class, table CATEGORY_OF below), name, definition, synonyms and cross-references; plus the
  five source documents as `biolink:Publication` nodes (the `publications` of every edge).
* edges.tsv - every fact between two entities. The edge id is the fact's provenance record
  (`fact:F0072`, described in the RDF exports); the predicate is the Biolink predicate the
  ontology maps the ALL-KG relation to (skos:exactMatch, then closeMatch, then broadMatch),
  `original_predicate` is the ALL-KG relation, and the source of each edge is given by
  `primary_knowledge_source` (ALL-KG, which curated the statement), `knowledge_level`
  (knowledge_assertion), `agent_type` (manual_agent), `publications` (the source documents
  that state it) and `sections` (the sections of those documents).

Identifiers are CURIEs in the project's prefixes (`all:`, `src:`, `fact:`, `allkg:`; see the
README). A mapped Biolink predicate must exist in Biolink Model 4.x (BIOLINK_PREDICATES);
when it does not, the inverse ALL-KG relation's mapping is tried (subject and object swap),
and otherwise the edge gets `biolink:related_to` and a build note names the relation.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

import pyoxigraph as ox

from graph_build.namespaces import ALL, ALLKG, BASE, BIOLINK, PREFIXES, SRC

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"

# Who made the statements: the ALL-KG curators, reading the source pages. There is no
# Translator "infores" identifier for ALL-KG (one would have to be registered), so the
# project's own IRI is given.
PRIMARY_KNOWLEDGE_SOURCE = BASE
KNOWLEDGE_LEVEL = "knowledge_assertion"  # stated by a source, not inferred or predicted
AGENT_TYPE = "manual_agent"  # curated by people from the text

# ALL-KG class -> Biolink category (a class of Biolink Model 4.x). A class not listed takes
# the category of its nearest listed superclass (rdfs:subClassOf), else biolink:NamedThing.
CATEGORY_OF: dict[str, str] = {
    "Disease": "Disease",
    "Phenotype": "PhenotypicFeature",  # Symptom and Complication are subclasses
    # Down syndrome, Fanconi anemia, neurofibromatosis: inherited disorders, i.e. diseases.
    "GeneticCondition": "Disease",
    "EnvironmentalExposure": "EnvironmentalExposure",
    # Sex, ancestry and age groups are characteristics of a person.
    "DemographicFactor": "OrganismAttribute",
    # Earlier treatment, earlier cancer, an affected sibling: facts of the patient's history.
    "MedicalHistoryFactor": "ClinicalAttribute",
    "FamilyHistoryFactor": "ClinicalAttribute",
    "PrognosticFactor": "ClinicalAttribute",
    "DiagnosticProcedure": "Procedure",
    # biolink:Treatment rather than Procedure: `treats`/`applied_to_treat` expect a
    # treatment (or chemical) as subject, and a therapy may be drugs, radiation or cells.
    "Therapy": "Treatment",
    "TreatmentPlan": "Treatment",
    "TreatmentPhase": "Treatment",
    "Drug": "Drug",
    "DrugClass": "ChemicalEntity",
    # Proteins and protein complexes (proteasome, TORC1/2) that drugs act on.
    "MolecularTarget": "Protein",
    # DNA and chromosome changes such as the Philadelphia chromosome (a translocation).
    # biolink:GenomicEntity is a mixin, not a category, so SequenceVariant is used.
    "GeneticAbnormality": "SequenceVariant",
    "Chemical": "ChemicalEntity",
    # Remission, relapse, minimal residual disease: states of the disease.
    "DiseaseState": "DiseaseOrPhenotypicFeature",
    "AnatomicalSite": "AnatomicalEntity",
    "CellType": "Cell",
    "Population": "PopulationOfIndividualOrganisms",
    "ClinicalStatus": "Attribute",
    "SourceDocument": "Publication",
}
DEFAULT_CATEGORY = "NamedThing"

# Predicates of Biolink Model 4.4.6 (every non-deprecated descendant of biolink:related_to),
# used to check the ontology's mappings.
BIOLINK_PREDICATES: frozenset[str] = frozenset(
    """
    active_in actively_involved_in actively_involves acts_upstream_of acts_upstream_of_negative_effect
    acts_upstream_of_or_within acts_upstream_of_or_within_negative_effect
    acts_upstream_of_or_within_positive_effect acts_upstream_of_positive_effect adverse_event_of
    affected_by affects affects_likelihood_of affects_sensitivity_to ameliorates_condition
    applied_to_treat associated_with associated_with_decreased_likelihood_of
    associated_with_increased_likelihood_of associated_with_likelihood_of associated_with_resistance_to
    associated_with_response_to associated_with_sensitivity_to author beneficial_in_models_for
    biomarker_for broad_match can_be_carried_out_by capable_of catalyzes caused_by causes
    chemically_similar_to close_match coexists_with coexpressed_with colocalizes_with completed_by
    composed_primarily_of condition_ameliorated_by condition_associated_with_gene
    condition_exacerbated_by condition_predisposed_by condition_promoted_by consumed_by consumes
    contains_process contraindicated_in contributes_to contribution_from contributor correlated_with
    decreased_amount_in decreased_likelihood_associated_with decreases_sensitivity_to derives_from
    derives_into develops_from develops_into diagnoses directly_physically_interacts_with
    disease_has_basis_in disease_has_location disrupted_by disrupts editor enabled_by enables
    exacerbates_condition exact_match expressed_in expresses food_component_of
    gene_associated_with_condition gene_fusion_with gene_product_of genetic_neighborhood_of
    genetically_interacts_with has_active_component has_active_ingredient has_adverse_event has_author
    has_biomarker has_catalyst has_chemical_role has_completed has_contraindication has_contributor
    has_decreased_amount has_editor has_excipient has_food_component has_frameshift_variant
    has_gene_product has_increased_amount has_input has_manifestation has_member has_metabolite
    has_missense_variant has_mode_of_inheritance has_molecular_consequence has_nearby_variant
    has_negative_upstream_actor has_negative_upstream_or_within_actor has_non_coding_variant
    has_nonsense_variant has_not_completed has_nutrient has_output has_part has_participant
    has_phenotype has_plasma_membrane_part has_positive_upstream_actor
    has_positive_upstream_or_within_actor has_preventative_intervention has_provider has_publisher
    has_sequence_location has_sequence_variant has_side_effect has_splice_site_variant has_substrate
    has_synonymous_variant has_target has_upstream_actor has_upstream_or_within_actor has_variant_part
    homologous_to in_cell_population_with in_clinical_trials_for in_complex_with
    in_linkage_disequilibrium_with in_pathway_with in_preclinical_trials_for in_taxon
    increased_amount_of increased_likelihood_associated_with increases_sensitivity_to
    indirectly_physically_interacts_with interacts_with is_active_ingredient_of is_chemical_role_of
    is_diagnosed_by is_excipient_of is_frameshift_variant_of is_input_of is_metabolite_of
    is_missense_variant_of is_molecular_consequence_of is_nearby_variant_of is_non_coding_variant_of
    is_nonsense_variant_of is_output_of is_sequence_variant_of is_side_effect_of
    is_splice_site_variant_of is_substrate_of is_synonymous_variant_of lacks_part likelihood_affected_by
    likelihood_associated_with located_in location_of location_of_disease manifestation_of member_of
    mentioned_by mentions missing_from mode_of_inheritance_of model_of models
    models_demonstrating_benefits_for narrow_match negatively_correlated_with not_completed_by
    nutrient_of occurs_in occurs_in_disease occurs_together_in_literature_with opposite_of
    orthologous_to overlaps paralogous_to part_of participates_in pharmacologically_interacts_with
    phenotype_of physically_interacts_with plasma_membrane_part_of positively_correlated_with
    preceded_by precedes predisposes_to_condition preventative_for_condition primarily_composed_of
    produced_by produces promotes_condition provider publisher regulated_by regulates related_condition
    related_to related_to_at_concept_level related_to_at_instance_level resistance_associated_with
    response_associated_with same_as sensitivity_affected_by sensitivity_associated_with
    sensitivity_decreased_by sensitivity_increased_by sequence_location_of similar_to studied_to_treat
    subclass_of subject_of_treatment_application_or_study_for_treatment_by superclass_of target_for
    taxon_of temporally_related_to tested_by_clinical_trials_of tested_by_preclinical_trials_of
    transcribed_from transcribed_to translates_to translation_of treated_by treated_in_studies_by
    treatment_applications_from treats treats_or_applied_or_studied_to_treat variant_part_of
    xenologous_to
    """.split()
)
FALLBACK_PREDICATE = "related_to"

NODE_COLUMNS = ("id", "category", "name", "description", "synonym", "xref", "iri")
EDGE_COLUMNS = (
    "id", "subject", "predicate", "object", "original_predicate", "primary_knowledge_source",
    "knowledge_level", "agent_type", "publications", "sections",
)


class _Index:
    """subject -> predicate -> objects, over pyoxigraph triples."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.out: dict[object, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.by_type: dict[str, list] = defaultdict(list)
        for t in triples:
            self.out[t.subject][t.predicate.value].append(t.object)
            if t.predicate.value == RDF + "type" and isinstance(t.object, ox.NamedNode):
                self.by_type[t.object.value].append(t.subject)

    def objects(self, subject, predicate: str) -> list:
        return self.out.get(subject, {}).get(predicate, [])

    def value(self, subject, predicate: str, language: str | None = "en") -> str:
        """One literal value (the English one if there are several), or ""."""
        values = [o for o in self.objects(subject, predicate) if isinstance(o, ox.Literal)]
        preferred = [o for o in values if o.language == language] or values
        return sorted(o.value for o in preferred)[0] if preferred else ""


class _Curie:
    def __init__(self) -> None:
        self.namespaces = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))

    def __call__(self, iri: str) -> str:
        for prefix, namespace in self.namespaces:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace):]}"
        return iri


def _cell(values: Iterable[str]) -> str:
    """A KGX cell: multiple values joined by |, no tabs or line breaks."""
    cleaned = sorted({" ".join(str(v).split()).replace("|", "/") for v in values if str(v).strip()})
    return "|".join(cleaned)


def _tsv(columns: Sequence[str], rows: list[dict[str, str]]) -> bytes:
    lines = ["\t".join(columns)]
    for row in sorted(rows, key=lambda r: r["id"]):
        lines.append("\t".join(row.get(column, "") for column in columns))
    return ("\n".join(lines) + "\n").encode("utf-8")


class KgxWriter:
    def __init__(self, triples: Sequence[ox.Triple]) -> None:
        self.index = _Index(triples)
        self.curie = _Curie()
        self.notes: list[str] = []
        self._category_cache: dict[str, str] = {}

    # -- categories --------------------------------------------------------------------------

    def category_of_class(self, class_iri: str) -> str:
        """Biolink category of an ALL-KG class: its own, or its nearest mapped superclass's."""
        if class_iri in self._category_cache:
            return self._category_cache[class_iri]
        seen: set[str] = set()
        frontier = [class_iri]
        category = DEFAULT_CATEGORY
        while frontier:
            local_names = sorted(c[len(str(ALLKG)):] for c in frontier if c.startswith(str(ALLKG)))
            found = [CATEGORY_OF[name] for name in local_names if name in CATEGORY_OF]
            if found:
                category = found[0]
                break
            seen.update(frontier)
            frontier = sorted(
                {p.value for c in frontier for p in self.index.objects(ox.NamedNode(c), RDFS + "subClassOf")
                 if isinstance(p, ox.NamedNode)} - seen
            )
        self._category_cache[class_iri] = f"biolink:{category}"
        return self._category_cache[class_iri]

    def categories(self, node) -> list[str]:
        classes = [t.value for t in self.index.objects(node, RDF + "type")
                   if isinstance(t, ox.NamedNode) and t.value.startswith(str(ALLKG))]
        found = {self.category_of_class(c) for c in classes}
        if len(found) > 1:
            found.discard(f"biolink:{DEFAULT_CATEGORY}")
        return sorted(found) or [f"biolink:{DEFAULT_CATEGORY}"]

    # -- predicates --------------------------------------------------------------------------

    def _biolink_mapping(self, prop: str) -> str | None:
        node = ox.NamedNode(prop)
        for relation in ("exactMatch", "closeMatch", "broadMatch"):
            names = sorted(o.value[len(str(BIOLINK)):] for o in self.index.objects(node, SKOS + relation)
                           if isinstance(o, ox.NamedNode) and o.value.startswith(str(BIOLINK)))
            valid = [name for name in names if name in BIOLINK_PREDICATES]
            if valid:
                return valid[0]
        return None

    def _inverses(self, prop: str) -> list[str]:
        node = ox.NamedNode(prop)
        inverses = {o.value for o in self.index.objects(node, OWL + "inverseOf") if isinstance(o, ox.NamedNode)}
        for subject, predicates in self.index.out.items():
            if isinstance(subject, ox.NamedNode) and node in predicates.get(OWL + "inverseOf", []):
                inverses.add(subject.value)
        return sorted(inverses)

    def predicate_for(self, prop: str) -> tuple[str, str, bool]:
        """(Biolink predicate, original predicate in edge direction, swap subject/object?)."""
        mapped = self._biolink_mapping(prop)
        if mapped:
            return f"biolink:{mapped}", prop, False
        for inverse in self._inverses(prop):
            mapped = self._biolink_mapping(inverse)
            if mapped:
                return f"biolink:{mapped}", inverse, True
        return f"biolink:{FALLBACK_PREDICATE}", prop, False

    # -- tables ------------------------------------------------------------------------------

    def node_rows(self) -> list[dict[str, str]]:
        nodes = {s for s, props in self.index.out.items()
                 if isinstance(s, ox.NamedNode) and s.value.startswith(str(ALL)) and RDF + "type" in props}
        documents = set(self.index.by_type.get(str(ALLKG) + "SourceDocument", []))
        rows = []
        for node in nodes | documents:
            synonyms = [o.value for o in self.index.objects(node, SKOS + "altLabel") if isinstance(o, ox.Literal)]
            synonyms += [o.value for o in self.index.objects(node, str(ALLKG) + "brandName") if isinstance(o, ox.Literal)]
            xrefs = [self.curie(o.value) for o in self.index.objects(node, SKOS + "exactMatch") if isinstance(o, ox.NamedNode)]
            xrefs += [o.value for o in self.index.objects(node, FOAF + "page") if isinstance(o, ox.NamedNode)]
            rows.append({
                "id": self.curie(node.value),
                "category": _cell(self.categories(node)),
                "name": _cell([self.index.value(node, RDFS + "label")]),
                "description": _cell([self.index.value(node, SKOS + "definition")]),
                "synonym": _cell(synonyms),
                "xref": _cell(xrefs),
                "iri": node.value,
            })
        return rows

    def edge_rows(self) -> list[dict[str, str]]:
        object_properties = {p.value for p in self.index.by_type.get(OWL + "ObjectProperty", [])}
        chosen: dict[str, tuple[str, str, bool]] = {}
        rows = []
        for record in self.index.by_type.get(str(ALLKG) + "FactRecord", []):
            subjects = self.index.objects(record, RDF + "subject")
            predicates = self.index.objects(record, RDF + "predicate")
            objects = self.index.objects(record, RDF + "object")
            if not (subjects and predicates and objects):
                continue
            subject, predicate, obj = subjects[0], predicates[0].value, objects[0]
            if predicate not in object_properties or not isinstance(obj, ox.NamedNode):
                continue  # literal facts (values, durations, names) stay in the RDF exports
            if not (subject.value.startswith(str(ALL)) and obj.value.startswith(str(ALL))):
                continue
            if predicate not in chosen:
                chosen[predicate] = self.predicate_for(predicate)
            biolink, original, swap = chosen[predicate]
            if swap:
                subject, obj = obj, subject
            sources = [s.value for s in self.index.objects(record, PROV + "wasDerivedFrom")]
            sections = [s.value for s in self.index.objects(record, str(ALLKG) + "statedInSection")]
            rows.append({
                "id": self.curie(record.value),
                "subject": self.curie(subject.value),
                "predicate": biolink,
                "object": self.curie(obj.value),
                "original_predicate": self.curie(original),
                "primary_knowledge_source": PRIMARY_KNOWLEDGE_SOURCE,
                "knowledge_level": KNOWLEDGE_LEVEL,
                "agent_type": AGENT_TYPE,
                "publications": _cell(self.curie(s) for s in sources),
                "sections": _cell(self.curie(s) for s in sections),
            })
        unmapped = sorted(self.curie(p) for p, (biolink, _o, _s) in chosen.items()
                          if biolink == f"biolink:{FALLBACK_PREDICATE}")
        if unmapped:
            self.notes.append(
                f"kgx: {len(unmapped)} relations have no Biolink 4 predicate among their mappings (nor their "
                f"inverse's), so their edges use biolink:{FALLBACK_PREDICATE}: {', '.join(unmapped)}"
            )
        return rows


def kgx_tables(triples: Sequence[ox.Triple]) -> tuple[bytes, bytes, list[str]]:
    """(nodes.tsv bytes, edges.tsv bytes, notes) for the graph's triples."""
    writer = KgxWriter(triples)
    nodes = _tsv(NODE_COLUMNS, writer.node_rows())
    edges = _tsv(EDGE_COLUMNS, writer.edge_rows())
    return nodes, edges, writer.notes


__all__ = ["kgx_tables", "CATEGORY_OF", "BIOLINK_PREDICATES", "SRC"]
