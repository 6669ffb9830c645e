"""What changed between two builds of the graph, in words a curator reads (labels, not IRIs).

Like the release diffs of MONDO and the Disease Ontology, changes are grouped by kind:

* entities (`all:`) added and removed, with their label and class;
* ontology terms (classes and relations under `allkg:`) added and removed;
* facts added and removed, as "label —relation→ label" with the sources that state them
  (a fact is a triple described by a provenance record, see graph.py);
* facts whose sources changed (same triple, other sources);
* label and definition changes of entities and terms present in both builds;
* the version (owl:versionInfo) of each build, and the number of triples added and removed.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS

from graph_build.namespaces import ALL, ALLKG, ONTOLOGY_IRI, PREFIXES, SRC

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@dataclass(frozen=True)
class EntityChange:
    curie: str
    label: str
    kinds: tuple[str, ...]  # class labels (entities) or OWL kinds (terms)


@dataclass(frozen=True)
class FactChange:
    record: str
    subject: str
    relation: str
    object: str
    subject_label: str
    relation_label: str
    object_label: str
    sources: tuple[str, ...]
    old_sources: tuple[str, ...] = ()

    def sentence(self) -> str:
        return f"{self.subject_label} —{self.relation_label}→ {self.object_label}"


@dataclass(frozen=True)
class TextChange:
    curie: str
    label: str
    old: str
    new: str


@dataclass
class GraphDiff:
    old_version: str
    new_version: str
    entities_added: list[EntityChange] = field(default_factory=list)
    entities_removed: list[EntityChange] = field(default_factory=list)
    terms_added: list[EntityChange] = field(default_factory=list)
    terms_removed: list[EntityChange] = field(default_factory=list)
    facts_added: list[FactChange] = field(default_factory=list)
    facts_removed: list[FactChange] = field(default_factory=list)
    sources_changed: list[FactChange] = field(default_factory=list)
    labels_changed: list[TextChange] = field(default_factory=list)
    definitions_changed: list[TextChange] = field(default_factory=list)
    triples_added: int = 0
    triples_removed: int = 0

    SECTIONS = (
        ("entities_added", "Entities added"),
        ("entities_removed", "Entities removed"),
        ("terms_added", "Ontology terms added"),
        ("terms_removed", "Ontology terms removed"),
        ("facts_added", "Facts added"),
        ("facts_removed", "Facts removed"),
        ("sources_changed", "Facts with changed sources"),
        ("labels_changed", "Labels changed"),
        ("definitions_changed", "Definitions changed"),
    )

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name, _ in self.SECTIONS) and not (self.triples_added or self.triples_removed)

    def as_dict(self) -> dict:
        return asdict(self)


class _Snapshot:
    """One build: labels, entities, terms and facts, indexed for comparison."""

    def __init__(self, graph: Graph) -> None:
        self.graph = _one_form_per_decimal(graph)
        self.namespaces = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))

    def curie(self, term) -> str:
        text = str(term)
        for prefix, namespace in self.namespaces:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return text

    def text(self, subject, predicate) -> str:
        values = sorted(self.graph.objects(subject, predicate), key=lambda v: (getattr(v, "language", None) != "en", str(v)))
        return str(values[0]) if values else ""

    def label(self, term) -> str:
        if isinstance(term, Literal):
            return f'"{term}"'
        return self.text(term, RDFS.label) or self.curie(term)

    def entities(self) -> dict[URIRef, EntityChange]:
        found = {}
        for subject in set(self.graph.subjects(RDF.type, None)):
            if isinstance(subject, URIRef) and str(subject).startswith(str(ALL)):
                kinds = sorted(self.label(c) for c in self.graph.objects(subject, RDF.type)
                               if str(c).startswith(str(ALLKG)))
                found[subject] = EntityChange(self.curie(subject), self.label(subject), tuple(kinds))
        return found

    def terms(self) -> dict[URIRef, EntityChange]:
        found = {}
        for kind in TERM_TYPES:
            for subject in self.graph.subjects(RDF.type, kind):
                if isinstance(subject, URIRef) and str(subject).startswith(str(ALLKG)):
                    kinds = sorted({self.curie(k) for k in self.graph.objects(subject, RDF.type) if k in TERM_TYPES})
                    found[subject] = EntityChange(self.curie(subject), self.label(subject), tuple(kinds))
        return found

    def facts(self) -> dict[tuple, FactChange]:
        found = {}
        for record in self.graph.subjects(RDF.type, ALLKG.FactRecord):
            s = self.graph.value(record, RDF.subject)
            p = self.graph.value(record, RDF.predicate)
            o = self.graph.value(record, RDF.object)
            if s is None or p is None or o is None:
                continue
            sources = tuple(sorted(str(src)[len(str(SRC)):] for src in self.graph.objects(record, PROV.wasDerivedFrom)))
            found[(s, p, o)] = FactChange(
                record=self.curie(record), subject=self.curie(s), relation=self.curie(p),
                object=self.curie(o) if not isinstance(o, Literal) else str(o),
                subject_label=self.label(s), relation_label=self.label(p), object_label=self.label(o),
                sources=sources,
            )
        return found

    def version(self) -> str:
        return self.text(URIRef(ONTOLOGY_IRI), OWL.versionInfo) or "(no version)"

    def ground_triples(self) -> set:
        return {t for t in self.graph if not any(isinstance(x, BNode) for x in t)}


def _text_changes(old: _Snapshot, new: _Snapshot, subjects, predicate) -> list[TextChange]:
    changes = []
    for subject in subjects:
        before, after = old.text(subject, predicate), new.text(subject, predicate)
        if before != after:
            changes.append(TextChange(new.curie(subject), new.label(subject) if after else old.label(subject), before, after))
    return sorted(changes, key=lambda c: c.curie)


def _one_form_per_decimal(graph: Graph) -> Graph:
    """The graph with each xsd:decimal value in one spelling ("4", "4.0" and "4.00" are one number).

    Turtle writers spell decimals differently (rdflib writes 4.0 for "4"^^xsd:decimal), so two
    builds of the same facts must not differ by spelling. Changes `graph` in place."""
    from decimal import Decimal

    from rdflib.namespace import XSD

    respelled = []
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.decimal and not o.ill_typed and isinstance(o.value, Decimal):
            text = format(o.value.normalize(), "f")
            text = text if "." in text else text + ".0"
            if text != str(o):
                respelled.append((s, p, o, Literal(text, datatype=XSD.decimal)))
    for s, p, o, canonical in respelled:
        graph.remove((s, p, o))
        graph.add((s, p, canonical))
    return graph


def diff_graphs(old_graph: Graph, new_graph: Graph) -> GraphDiff:
    old, new = _Snapshot(old_graph), _Snapshot(new_graph)
    result = GraphDiff(old_version=old.version(), new_version=new.version())

    old_entities, new_entities = old.entities(), new.entities()
    result.entities_added = sorted((new_entities[e] for e in new_entities.keys() - old_entities.keys()), key=lambda c: c.curie)
    result.entities_removed = sorted((old_entities[e] for e in old_entities.keys() - new_entities.keys()), key=lambda c: c.curie)
    old_terms, new_terms = old.terms(), new.terms()
    result.terms_added = sorted((new_terms[t] for t in new_terms.keys() - old_terms.keys()), key=lambda c: c.curie)
    result.terms_removed = sorted((old_terms[t] for t in old_terms.keys() - new_terms.keys()), key=lambda c: c.curie)

    old_facts, new_facts = old.facts(), new.facts()
    fact_order = lambda f: (f.subject_label.lower(), f.relation_label, f.object_label.lower(), f.record)  # noqa: E731
    result.facts_added = sorted((new_facts[k] for k in new_facts.keys() - old_facts.keys()), key=fact_order)
    result.facts_removed = sorted((old_facts[k] for k in old_facts.keys() - new_facts.keys()), key=fact_order)
    changed = []
    for key in old_facts.keys() & new_facts.keys():
        if old_facts[key].sources != new_facts[key].sources:
            fact = new_facts[key]
            changed.append(FactChange(**{**asdict(fact), "sources": fact.sources, "old_sources": old_facts[key].sources}))
    result.sources_changed = sorted(changed, key=fact_order)

    shared = (old_entities.keys() & new_entities.keys()) | (old_terms.keys() & new_terms.keys())
    result.labels_changed = _text_changes(old, new, shared, RDFS.label)
    result.definitions_changed = _text_changes(old, new, shared, SKOS.definition)

    old_triples, new_triples = old.ground_triples(), new.ground_triples()
    result.triples_added = len(new_triples - old_triples)
    result.triples_removed = len(old_triples - new_triples)
    return result


def load_graph(path: Path) -> Graph:
    from graph_build.rdf_io import parse_rdf_file

    return parse_rdf_file(Path(path))


# -- rendering ---------------------------------------------------------------------------------


def _item_lines(name: str, item, markdown: bool) -> list[str]:
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)  # noqa: E731
    if isinstance(item, EntityChange):
        kinds = f" ({', '.join(item.kinds)})" if item.kinds else ""
        return [f"{item.label} {code(item.curie)}{kinds}"]
    if isinstance(item, FactChange):
        sources = f" [{', '.join(item.sources)}]" if item.sources else ""
        line = f"{item.sentence()}{sources} {code(item.record)}"
        if name == "sources_changed":
            line = f"{item.sentence()}: [{', '.join(item.old_sources)}] → [{', '.join(item.sources)}] {code(item.record)}"
        return [line]
    if isinstance(item, TextChange):
        return [f"{item.label} {code(item.curie)}: \"{item.old}\" → \"{item.new}\""]
    return [str(item)]


def render_text(diff: GraphDiff, old_name: str, new_name: str, markdown: bool = False) -> str:
    marks = {"added": "+", "removed": "-"}
    lines: list[str] = []
    if markdown:
        lines += [f"# ALL-KG changes: {diff.old_version} → {diff.new_version}", "",
                  f"Compared `{old_name}` with `{new_name}`.", ""]
    else:
        lines += [f"ALL-KG diff: {old_name} (version {diff.old_version}) -> {new_name} (version {diff.new_version})"]
    counts = ", ".join(f"{len(getattr(diff, name))} {title.lower()}" for name, title in diff.SECTIONS if getattr(diff, name))
    summary = f"{counts or 'no changes to entities, terms, facts, labels or definitions'}; " \
              f"{diff.triples_added} triples added, {diff.triples_removed} removed"
    lines += [summary, ""] if markdown else [summary]
    for name, title in diff.SECTIONS:
        items = getattr(diff, name)
        if not items:
            continue
        mark = next((m for word, m in marks.items() if name.endswith(word)), "~")
        if markdown:
            lines += [f"## {title} ({len(items)})", ""]
            lines += [f"- {text}" for item in items for text in _item_lines(name, item, True)]
            lines.append("")
        else:
            lines += ["", f"{title} ({len(items)}):"]
            lines += [f"  {mark} {text}" for item in items for text in _item_lines(name, item, False)]
    return "\n".join(lines).rstrip("\n") + "\n"


def render(diff: GraphDiff, fmt: str, old_name: str, new_name: str) -> str:
    if fmt == "json":
        document = {"old": {"file": old_name, "version": diff.old_version},
                    "new": {"file": new_name, "version": diff.new_version}, **diff.as_dict()}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return render_text(diff, old_name, new_name, markdown=(fmt == "markdown"))
