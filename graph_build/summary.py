"""Counts that describe a built graph: entities per class, facts per relation, facts per source."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF

from graph_build.namespaces import ALL, ALLKG


def _short(iri: URIRef, graph: Graph) -> str:
    return graph.namespace_manager.normalizeUri(iri)


@dataclass
class GraphSummary:
    triples: int
    entities_per_class: dict[str, int] = field(default_factory=dict)
    facts_per_relation: dict[str, int] = field(default_factory=dict)
    facts_per_source: dict[str, int] = field(default_factory=dict)
    facts: int = 0

    def as_dict(self) -> dict:
        return {
            "triples": self.triples,
            "facts": self.facts,
            "entities_per_class": self.entities_per_class,
            "facts_per_relation": self.facts_per_relation,
            "facts_per_source": self.facts_per_source,
        }

    def as_text(self) -> str:
        lines = [f"{self.triples} triples, {self.facts} facts with provenance"]
        for title, table in (
            ("entities per class", self.entities_per_class),
            ("facts per relation", self.facts_per_relation),
            ("facts per source", self.facts_per_source),
        ):
            lines.append(f"{title}:")
            width = max((len(k) for k in table), default=0)
            lines.extend(f"  {name:<{width}}  {count:>5}" for name, count in table.items())
        return "\n".join(lines)


def summarize(graph: Graph) -> GraphSummary:
    classes: Counter[str] = Counter()
    for subject, cls in graph.subject_objects(RDF.type):
        if str(subject).startswith(str(ALL)) and str(cls).startswith(str(ALLKG)):
            classes[_short(cls, graph)] += 1
    relations: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    records = set(graph.subjects(RDF.type, ALLKG.FactRecord))
    for record in records:
        predicate = graph.value(record, RDF.predicate)
        if predicate is not None:
            relations[_short(predicate, graph)] += 1
        for source in graph.objects(record, PROV.wasDerivedFrom):
            sources[_short(source, graph)] += 1
    ordered = lambda counter: dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))  # noqa: E731
    return GraphSummary(
        triples=len(graph),
        facts=len(records),
        entities_per_class=ordered(classes),
        facts_per_relation=ordered(relations),
        facts_per_source=ordered(sources),
    )
