"""Deterministic synthetic graphs of ALL-KG's shape, for many diseases, at a target size.

Each synthetic disease gets what ALL has in the real graph: subtypes, symptoms (some drawn
from a pool shared between diseases), risk factors, tests with their purposes, therapies,
drugs with drug classes and clinical statuses, statistics with value/unit/population/year,
and for every fact a provenance record (rdf:Statement + allkg:FactRecord with
prov:wasDerivedFrom and allkg:statedInSection), exactly as graph_build/graph.py writes them.
Classes and relations are ALL-KG's own, so the query library and the SHACL shapes apply.

The output is N-Triples (which is also valid Turtle), in a fixed order: the same seed and
target give byte-identical files. A `base` graph (our built dist/allkg.ttl) can be put first,
so the synthetic diseases are merged into the real graph, as a researcher would merge data.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

BASE = "https://w3id.org/allkg/"
VOCAB = BASE + "vocab/"
ENTITY = BASE + "id/"
FACT = BASE + "fact/"
SOURCE = BASE + "source/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"

DEFAULT_SEED = 20240601
RISK_FACTOR_CLASSES = ("GeneticCondition", "EnvironmentalExposure", "DemographicFactor", "MedicalHistoryFactor",
                       "FamilyHistoryFactor")
THERAPY_CLASSES = ("Chemotherapy", "RadiationTherapy", "StemCellTransplant", "TargetedTherapy", "Immunotherapy",
                   "CellularTherapy", "SupportiveCare")
PURPOSES = ("diagnosis", "subtyping", "staging", "monitoring", "prognosis")
STATUSES = ("standard", "approved", "investigational")
SECTIONS = ("what-is", "symptoms", "risk", "diagnosis", "treatment", "statistics")
DIAGNOSED_SECTIONS = {"subtypeOf": "what-is", "hasSymptom": "symptoms", "hasRiskFactor": "risk",
                      "diagnosedBy": "diagnosis", "hasPurpose": "diagnosis", "hasTreatment": "treatment",
                      "usedInTherapy": "treatment", "memberOfDrugClass": "treatment", "hasClinicalStatus": "treatment",
                      "hasSideEffect": "treatment", "hasStatistic": "statistics"}
DISEASES_PER_SOURCE = 10
DEFECT_EVERY = 25  # one disease in 25 carries each kind of deliberate defect (see _DiseaseFactory._defects)
SOURCES_PER_DISEASE = 3


def _iri(value: str) -> str:
    return f"<{value}>"


def _text(value: str, lang: str = "en") -> str:
    # Only generated ASCII text reaches here; escape anyway so the output is always valid N-Triples.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


@dataclass(frozen=True)
class GeneratedGraph:
    """What generate() produced: N-Triples bytes and how many triples and diseases they hold."""

    data: bytes
    triples: int
    diseases: int
    base_triples: int


class _Writer:
    """Collects N-Triples lines; every line is a distinct triple by construction (unique IRIs)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .\n")

    def entity(self, local: str, classes: tuple[str, ...], label: str) -> str:
        node = _iri(ENTITY + local)
        self.add(node, _iri(RDF + "type"), _iri(OWL + "NamedIndividual"))
        for cls in classes:
            self.add(node, _iri(RDF + "type"), _iri(VOCAB + cls))
        self.add(node, _iri(RDFS + "label"), _text(label))
        self.add(node, _iri(SKOS + "definition"), _text(f"A synthetic {classes[0]} generated for benchmarks: {label}."))
        return node


class _DiseaseFactory:
    """Writes one synthetic disease at a time; shared pools are written once, up front."""

    def __init__(self, writer: _Writer, rng: random.Random, pool_size: int) -> None:
        self.w = writer
        self.rng = rng
        self.fact_count = 0
        self.shared_symptoms = [writer.entity(f"gen_symptom_{i:05d}", ("Symptom",), f"shared symptom {i}")
                                for i in range(pool_size)]
        self.complications = [writer.entity(f"gen_complication_{i:04d}", ("Complication",), f"complication {i}")
                              for i in range(max(10, pool_size // 4))]
        self.drug_classes = [writer.entity(f"gen_drugclass_{i:03d}", ("DrugClass",), f"drug class {i}")
                             for i in range(max(5, pool_size // 10))]
        self.purposes = [writer.entity(f"gen_purpose_{name}", ("TestPurpose",), f"test purpose {name}")
                         for name in PURPOSES]
        self.statuses = [writer.entity(f"gen_status_{name}", ("ClinicalStatus",), f"clinical status {name}")
                         for name in STATUSES]
        self.measures = [writer.entity(f"gen_measure_{name}", ("StatisticalMeasure",), f"measure {name}")
                         for name in ("new_cases", "deaths", "five_year_survival")]
        self.units = [writer.entity(f"gen_unit_{name}", ("UnitOfMeasure",), f"unit {name}") for name in ("count", "percent")]
        self.populations = [writer.entity(f"gen_population_{i}", ("Population",), f"population {i}") for i in range(4)]
        self.sources_written: set[int] = set()

    def _sections_for(self, disease: int, section: str) -> list[tuple[str, str]]:
        """(source IRI, section IRI) pairs stating facts of this disease's section."""
        first = disease // DISEASES_PER_SOURCE
        chosen = sorted({first + k for k in range(SOURCES_PER_DISEASE)
                         if k == 0 or self.rng.random() < 0.6})
        for source in chosen:
            self._source(source)
        return [(_iri(f"{SOURCE}gen_src{s:05d}"), _iri(f"{SOURCE}gen_src{s:05d}-{section}")) for s in chosen]

    def _source(self, number: int) -> None:
        if number in self.sources_written:
            return
        self.sources_written.add(number)
        w = self.w
        node = _iri(f"{SOURCE}gen_src{number:05d}")
        w.add(node, _iri(RDF + "type"), _iri(VOCAB + "SourceDocument"))
        w.add(node, _iri(RDF + "type"), _iri(OWL + "NamedIndividual"))
        w.add(node, _iri(RDFS + "label"), _text(f"Synthetic publisher {number}: synthetic page {number}"))
        w.add(node, _iri(DCTERMS + "title"), _text(f"synthetic page {number}"))
        w.add(node, _iri(DCTERMS + "publisher"), _text(f"Synthetic publisher {number}", lang=""))
        w.add(node, _iri(DCTERMS + "identifier"), _text(f"gen_{number:05d}.txt", lang=""))
        for section in SECTIONS:
            part = _iri(f"{SOURCE}gen_src{number:05d}-{section}")
            w.add(part, _iri(RDF + "type"), _iri(VOCAB + "SourceSection"))
            w.add(part, _iri(RDF + "type"), _iri(OWL + "NamedIndividual"))
            w.add(part, _iri(RDFS + "label"), _text(section))
            w.add(part, _iri(DCTERMS + "isPartOf"), node)

    def fact(self, disease: int, subject: str, relation: str, obj: str) -> None:
        """The asserted triple plus its provenance record, as graph_build/graph.py writes them."""
        w = self.w
        predicate = _iri(VOCAB + relation)
        w.add(subject, predicate, obj)
        self.fact_count += 1
        record = _iri(f"{FACT}gen_d{disease:05d}_F{self.fact_count:07d}")
        w.add(record, _iri(RDF + "type"), _iri(RDF + "Statement"))
        w.add(record, _iri(RDF + "type"), _iri(VOCAB + "FactRecord"))
        w.add(record, _iri(RDF + "subject"), subject)
        w.add(record, _iri(RDF + "predicate"), predicate)
        w.add(record, _iri(RDF + "object"), obj)
        for source, section in self._sections_for(disease, DIAGNOSED_SECTIONS.get(relation, "what-is")):
            w.add(record, _iri(PROV + "wasDerivedFrom"), source)
            w.add(record, _iri(VOCAB + "statedInSection"), section)

    def disease(self, d: int) -> None:
        w, rng = self.w, self.rng
        tag = f"gen_d{d:05d}"
        disease = w.entity(tag, ("Disease",), f"synthetic disease {d}")
        w.add(disease, _iri(SKOS + "altLabel"), _text(f"SD{d}"))
        for k in range(2):
            subtype = w.entity(f"{tag}_subtype{k}", ("Disease",), f"synthetic disease {d} subtype {k}")
            self.fact(d, subtype, "subtypeOf", disease)
        own_symptoms = [w.entity(f"{tag}_symptom{k}", ("Symptom",), f"symptom {k} of synthetic disease {d}")
                        for k in range(3)]
        for symptom in own_symptoms + rng.sample(self.shared_symptoms, k=min(5, len(self.shared_symptoms))):
            self.fact(d, disease, "hasSymptom", symptom)
        for k in range(3):
            cls = RISK_FACTOR_CLASSES[rng.randrange(len(RISK_FACTOR_CLASSES))]
            risk = w.entity(f"{tag}_risk{k}", (cls, ), f"risk factor {k} of synthetic disease {d}")
            self.fact(d, disease, "hasRiskFactor", risk)
        for k in range(3):
            test = w.entity(f"{tag}_test{k}", ("DiagnosticProcedure",), f"test {k} for synthetic disease {d}")
            self.fact(d, disease, "diagnosedBy", test)
            for purpose in rng.sample(self.purposes, k=rng.randint(1, 2)):
                self.fact(d, test, "hasPurpose", purpose)
        for k in range(3):
            cls = THERAPY_CLASSES[rng.randrange(len(THERAPY_CLASSES))]
            therapy = w.entity(f"{tag}_therapy{k}", (cls,), f"therapy {k} for synthetic disease {d}")
            self.fact(d, disease, "hasTreatment", therapy)
            self.fact(d, therapy, "hasSideEffect", rng.choice(self.complications))
            drug = w.entity(f"{tag}_drug{k}", ("Drug",), f"drug {k} for synthetic disease {d}")
            self.fact(d, drug, "usedInTherapy", therapy)
            self.fact(d, drug, "memberOfDrugClass", rng.choice(self.drug_classes))
            self.fact(d, drug, "hasClinicalStatus", rng.choice(self.statuses))
        for k in range(2):
            self._statistic(d, disease, k)
        self._defects(d, disease)

    def _defects(self, d: int, disease: str) -> None:
        """A few deliberate errors, as merged real-world data has, so validators have results to
        compare: every DEFECT_EVERY-th disease gets a fact without provenance record, a provenance
        record that names no source, and a symptom without a label. None of them contradicts the
        OWL axioms, so reasoning still measures a consistent graph."""
        w = self.w
        kind = d % DEFECT_EVERY
        if kind == 3:
            w.add(disease, _iri(VOCAB + "hasSymptom"), self.shared_symptoms[d % len(self.shared_symptoms)])
        elif kind == 7:
            record = _iri(f"{FACT}gen_d{d:05d}_unsourced")
            subject, obj = _iri(f"{ENTITY}gen_d{d:05d}_test0"), self.purposes[0]
            w.add(subject, _iri(VOCAB + "hasPurpose"), obj)
            w.add(record, _iri(RDF + "type"), _iri(RDF + "Statement"))
            w.add(record, _iri(RDF + "type"), _iri(VOCAB + "FactRecord"))
            w.add(record, _iri(RDF + "subject"), subject)
            w.add(record, _iri(RDF + "predicate"), _iri(VOCAB + "hasPurpose"))
            w.add(record, _iri(RDF + "object"), obj)
        elif kind == 11:
            node = _iri(f"{ENTITY}gen_d{d:05d}_unlabelled")
            w.add(node, _iri(RDF + "type"), _iri(OWL + "NamedIndividual"))
            w.add(node, _iri(RDF + "type"), _iri(VOCAB + "Symptom"))
            self.fact(d, disease, "hasSymptom", node)

    def _statistic(self, d: int, disease: str, k: int) -> None:
        w, rng = self.w, self.rng
        stat = w.entity(f"gen_d{d:05d}_stat{k}", ("Statistic",), f"figure {k} about synthetic disease {d}")
        self.fact(d, disease, "hasStatistic", stat)
        value = rng.randint(10, 99999)
        for relation, obj in (("measures", rng.choice(self.measures)), ("value", _typed(str(value), "decimal")),
                              ("comparator", _text("about", lang="")), ("hasUnit", rng.choice(self.units)),
                              ("aboutPopulation", rng.choice(self.populations)),
                              ("referenceYear", _typed(str(2000 + rng.randint(0, 24)), "gYear")),
                              ("statedAs", _text(f"{value:,}", lang=""))):
            self.fact(d, stat, relation, obj)


def read_base(path: Path) -> list[str]:
    """A base graph as N-Triples lines (pyoxigraph parses it; blank nodes keep their labels)."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.N_TRIPLES if path.suffix == ".nt" else ox.RdfFormat.TURTLE
    return [f"{quad.triple} .\n" for quad in ox.parse(path.read_bytes(), format=fmt)]


def generate(target_triples: int, seed: int = DEFAULT_SEED, base: list[str] | None = None) -> GeneratedGraph:
    """A graph of about `target_triples` triples: the base lines, then synthetic diseases until the target."""
    rng = random.Random(seed)
    base = base or []
    writer = _Writer()
    writer.lines.extend(base)
    # ~400 triples per disease; size the shared pools from the expected number of diseases.
    expected = max(1, (target_triples - len(base)) // 400)
    factory = _DiseaseFactory(writer, rng, pool_size=max(20, expected * 2))
    diseases = 0
    while len(writer.lines) < target_triples or diseases == 0:
        factory.disease(diseases)
        diseases += 1
    return GeneratedGraph(data="".join(writer.lines).encode("utf-8"), triples=len(writer.lines),
                          diseases=diseases, base_triples=len(base))


def iter_sizes(text: str) -> Iterator[int]:
    """Parse '1e4,1e5,1e6' or '10000,100000' into integers."""
    for part in text.split(","):
        part = part.strip()
        if part:
            yield int(float(part))
