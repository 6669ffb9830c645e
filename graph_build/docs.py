"""Documentation generated from the built graph: `allkg docs` -> dist/docs/.

* index.html - the ontology's metadata (title, version, licence, creators, sources, prefix,
  how to cite), the schema diagram and lists of every class and relation;
* classes/<Name>.html and properties/<name>.html - one page per class and property: label,
  IRI, definition, superclasses and subclasses, domain and range, characteristics, inverse,
  mappings (skos:exactMatch/closeMatch/broadMatch...) and how often the graph uses it;
* schema.svg / schema.png / schema.dot - classes and the object properties between them
  (domain -> range), plus subclass links, drawn by Graphviz `dot` from the ontology itself;
* stats.html / stats.png - entities per class, facts per relation, facts per source and
  sources per fact, with a plot (matplotlib).

pyLODE was considered; its current release (3.4.1) fails at import when installed from a
wheel, so the pages are written here with the standard library's `html` module. All output is
deterministic (sorted, no timestamps) and nothing is fetched.
"""
from __future__ import annotations

import html
import io
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from graph_build.errors import AllkgError, EXIT_BAD_INPUT
from graph_build.namespaces import ALLKG, FOAF, ONTOLOGY_IRI, PREFIXES, VANN

PROPERTY_KINDS = {
    OWL.ObjectProperty: "object property",
    OWL.DatatypeProperty: "datatype property",
    OWL.AnnotationProperty: "annotation property",
}
CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse functional",
}
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#222}
a{color:#0645ad}code{background:#f3f3f3;padding:0 .2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}
dt{font-weight:bold;margin-top:.6em}nav{margin-bottom:1rem}img{max-width:100%}"""


class DiagramUnavailable(AllkgError):
    """Graphviz's `dot` program is not installed."""

    exit_code = EXIT_BAD_INPUT


@dataclass(frozen=True)
class Term:
    iri: URIRef
    name: str  # local name
    label: str
    is_class: bool

    @property
    def path(self) -> str:
        return f"{'classes' if self.is_class else 'properties'}/{self.name}.html"


class OntologyDocs:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.namespaces = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
        self.terms: dict[URIRef, Term] = {}
        for kind in (OWL.Class, *PROPERTY_KINDS):
            for iri in graph.subjects(RDF.type, kind):
                if isinstance(iri, URIRef) and str(iri).startswith(str(ALLKG)):
                    name = str(iri)[len(str(ALLKG)):]
                    self.terms[iri] = Term(iri, name, self.text(iri, RDFS.label) or name, kind == OWL.Class)

    # -- helpers -----------------------------------------------------------------------------

    @property
    def classes(self) -> list[Term]:
        return sorted((t for t in self.terms.values() if t.is_class), key=lambda t: t.label.lower())

    @property
    def properties(self) -> list[Term]:
        return sorted((t for t in self.terms.values() if not t.is_class), key=lambda t: t.label.lower())

    def text(self, subject, predicate) -> str:
        values = sorted(self.graph.objects(subject, predicate), key=lambda v: (getattr(v, "language", None) != "en", str(v)))
        return str(values[0]) if values else ""

    def curie(self, iri) -> str:
        text = str(iri)
        for prefix, namespace in self.namespaces:
            if text.startswith(namespace) and len(text) > len(namespace):
                return f"{prefix}:{text[len(namespace):]}"
        return text

    def link(self, node, base: str = "") -> str:
        """HTML for a term or class expression; `base` is the relative path to docs/."""
        if isinstance(node, URIRef):
            term = self.terms.get(node)
            if term is not None:
                return f'<a href="{base}{term.path}">{html.escape(term.label)}</a>'
            return f'<a href="{html.escape(str(node))}"><code>{html.escape(self.curie(node))}</code></a>'
        if isinstance(node, Literal):
            return html.escape(str(node))
        return self.expression(node, base)

    def members(self, node) -> list:
        return list(Collection(self.graph, node))

    def expression(self, node: BNode, base: str) -> str:
        g = self.graph
        for operator, word in ((OWL.unionOf, " or "), (OWL.intersectionOf, " and ")):
            head = g.value(node, operator)
            if head is not None:
                return "(" + word.join(self.link(m, base) for m in self.members(head)) + ")"
        prop = g.value(node, OWL.onProperty)
        if prop is not None:
            for restriction, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only"), (OWL.hasValue, "value")):
                filler = g.value(node, restriction)
                if filler is not None:
                    value = self.individual(filler) if restriction == OWL.hasValue else self.link(filler, base)
                    return f"{self.link(prop, base)} <em>{word}</em> {value}"
        return "<em>(anonymous class)</em>"

    def individual(self, node) -> str:
        label = self.text(node, RDFS.label) or self.curie(node)
        return f"<code>{html.escape(self.curie(node))}</code> ({html.escape(label)})"

    def expanded(self, node) -> list[URIRef]:
        """Named classes of a domain/range: the class itself, or the members of a union."""
        if isinstance(node, URIRef):
            return [node]
        head = self.graph.value(node, OWL.unionOf)
        return [m for m in self.members(head) if isinstance(m, URIRef)] if head is not None else []

    # -- pages -------------------------------------------------------------------------------

    def page(self, title: str, body: str, base: str) -> bytes:
        nav = (f'<nav><a href="{base}index.html">ALL-KG ontology</a> · <a href="{base}index.html#classes">classes</a> · '
               f'<a href="{base}index.html#properties">relations</a> · <a href="{base}stats.html">statistics</a></nav>')
        document = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
                    f"<style>{STYLE}</style>\n</head>\n<body>\n{nav}\n{body}\n</body>\n</html>\n")
        return document.encode("utf-8")

    def definition_list(self, rows: list[tuple[str, list[str]]]) -> str:
        parts = ["<dl>"]
        for name, values in rows:
            if values:
                parts.append(f"<dt>{name}</dt>" + "".join(f"<dd>{v}</dd>" for v in values))
        parts.append("</dl>")
        return "\n".join(parts)

    def term_page(self, term: Term, usage: Counter) -> bytes:
        g, base, iri = self.graph, "../", term.iri
        sorted_links = lambda nodes: sorted((self.link(n, base) for n in nodes), key=str.lower)  # noqa: E731
        rows: list[tuple[str, list[str]]] = [
            ("IRI", [f"<code>{html.escape(str(iri))}</code> (<code>{html.escape(self.curie(iri))}</code>)"]),
            ("Definition", [html.escape(self.text(iri, SKOS.definition))] if self.text(iri, SKOS.definition) else []),
            ("Comment", [html.escape(str(c)) for c in sorted(g.objects(iri, RDFS.comment))]),
        ]
        if term.is_class:
            subclasses = [s for s in g.subjects(RDFS.subClassOf, iri) if isinstance(s, URIRef)]
            as_domain = [p for p, t in self.terms.items() if not t.is_class and any(iri in self.expanded(d) for d in g.objects(p, RDFS.domain))]
            as_range = [p for p, t in self.terms.items() if not t.is_class and any(iri in self.expanded(r) for r in g.objects(p, RDFS.range))]
            rows += [
                ("Kind", ["class (<code>owl:Class</code>)"]),
                ("Superclasses", sorted_links(g.objects(iri, RDFS.subClassOf))),
                ("Subclasses", sorted_links(subclasses)),
                ("Equivalent to", sorted_links(g.objects(iri, OWL.equivalentClass))),
                ("Relations from this class (domain)", sorted_links(as_domain)),
                ("Relations to this class (range)", sorted_links(as_range)),
                ("Members in the graph", [str(usage.get(iri, 0))]),
            ]
        else:
            kinds = [PROPERTY_KINDS[k] for k in PROPERTY_KINDS if (iri, RDF.type, k) in g]
            kinds += [CHARACTERISTICS[k] for k in CHARACTERISTICS if (iri, RDF.type, k) in g]
            inverses = set(g.objects(iri, OWL.inverseOf)) | set(g.subjects(OWL.inverseOf, iri))
            chains = [" ∘ ".join(self.link(m, base) for m in self.members(c)) for c in g.objects(iri, OWL.propertyChainAxiom)]
            rows += [
                ("Kind", [", ".join(kinds)]),
                ("Domain", sorted_links(g.objects(iri, RDFS.domain))),
                ("Range", sorted_links(g.objects(iri, RDFS.range))),
                ("Subproperty of", sorted_links(g.objects(iri, RDFS.subPropertyOf))),
                ("Inverse", sorted_links(inverses)),
                ("Property chain", sorted(chains)),
                ("Facts in the graph", [str(usage.get(iri, 0))]),
            ]
        for mapping in MAPPINGS:
            rows.append((f"Mapping: <code>{self.curie(mapping)}</code>", sorted_links(g.objects(iri, mapping))))
        body = f"<h1>{html.escape(term.label)}</h1>\n" + self.definition_list(rows)
        return self.page(f"{term.label} — ALL-KG", body, base)

    def index_page(self, has_diagram: bool) -> bytes:
        g, onto = self.graph, URIRef(ONTOLOGY_IRI)
        title = self.text(onto, DCTERMS.title) or "ALL-KG ontology"
        values = lambda p: sorted(self.link(v) for v in g.objects(onto, p))  # noqa: E731
        sources = []
        for source in g.objects(onto, DCTERMS.source):
            entry = html.escape(self.text(source, RDFS.label) or self.curie(source))
            page = g.value(source, FOAF.page)
            if page is not None:
                entry += f' — <a href="{html.escape(str(page))}">{html.escape(str(page))}</a>'
            sources.append(entry)
        sources.sort()
        rows = [
            ("IRI", [f"<code>{html.escape(ONTOLOGY_IRI)}</code>"]),
            ("Version", [html.escape(self.text(onto, OWL.versionInfo))]),
            ("Version IRI", values(OWL.versionIRI)),
            ("Description", [html.escape(self.text(onto, DCTERMS.description))]),
            ("Licence", values(DCTERMS.license)),
            ("Creators", values(DCTERMS.creator)),
            ("Publisher", values(DCTERMS.publisher)),
            ("How to cite", [html.escape(self.text(onto, DCTERMS.bibliographicCitation))] if self.text(onto, DCTERMS.bibliographicCitation) else []),
            ("Preferred prefix", [f"<code>{html.escape(self.text(onto, VANN.preferredNamespacePrefix))}:</code> = "
                                  f"<code>{html.escape(self.text(onto, VANN.preferredNamespaceUri))}</code>"]),
            ("Sources", sources),
        ]
        parts = [f"<h1>{html.escape(title)}</h1>", self.definition_list(rows)]
        if has_diagram:
            parts.append('<h2 id="schema">Schema</h2>\n<p>Classes (boxes), the relations between them (domain → range) and '
                         'subclass links (dashed), drawn from the ontology by Graphviz.</p>\n'
                         '<p><a href="schema.svg"><img src="schema.svg" alt="ALL-KG schema diagram"></a></p>')
        parts.append(f'<h2 id="classes">Classes ({len(self.classes)})</h2>\n<table><tr><th>class</th><th>IRI</th><th>definition</th></tr>')
        for term in self.classes:
            parts.append(f'<tr id="{term.name}"><td>{self.link(term.iri)}</td><td><code>{html.escape(self.curie(term.iri))}</code></td>'
                         f"<td>{html.escape(self.text(term.iri, SKOS.definition))}</td></tr>")
        parts.append("</table>")
        parts.append(f'<h2 id="properties">Relations and properties ({len(self.properties)})</h2>\n'
                     "<table><tr><th>property</th><th>IRI</th><th>domain → range</th><th>definition</th></tr>")
        for term in self.properties:
            domain = ", ".join(self.link(d) for d in g.objects(term.iri, RDFS.domain))
            rng = ", ".join(self.link(r) for r in g.objects(term.iri, RDFS.range))
            arrow = f"{domain or '—'} → {rng or '—'}"
            parts.append(f'<tr id="{term.name}"><td>{self.link(term.iri)}</td><td><code>{html.escape(self.curie(term.iri))}</code></td>'
                         f"<td>{arrow}</td><td>{html.escape(self.text(term.iri, SKOS.definition))}</td></tr>")
        parts.append("</table>")
        return self.page(title, "\n".join(parts), "")

    # -- schema diagram ----------------------------------------------------------------------

    def schema_dot(self) -> str:
        """Graphviz DOT source: classes, object properties (domain -> range), subclass links."""
        g = self.graph
        edges: set[tuple[str, str, str, str]] = set()
        used: set[URIRef] = set()
        for prop in (t for t in self.properties if (t.iri, RDF.type, OWL.ObjectProperty) in g):
            for domain in g.objects(prop.iri, RDFS.domain):
                for rng in g.objects(prop.iri, RDFS.range):
                    for d in self.expanded(domain):
                        for r in self.expanded(rng):
                            if d in self.terms and r in self.terms:
                                edges.add((self.terms[d].name, self.terms[r].name, prop.label, "relation"))
                                used.update((d, r))
        for cls in self.classes:
            for parent in g.objects(cls.iri, RDFS.subClassOf):
                if parent in self.terms:
                    edges.add((cls.name, self.terms[parent].name, "", "subclass"))
                    used.update((cls.iri, parent))
        quote = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
        lines = [
            "// Generated by `allkg docs` from ontology/allkg.ttl - do not edit by hand.",
            "digraph allkg {",
            '  graph [rankdir=LR, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.9, overlap=false];',
            '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#4a6fa5", fontname="Helvetica", fontsize=11];',
            '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
        ]
        for iri in sorted(used, key=lambda i: self.terms[i].name):
            term = self.terms[iri]
            lines.append(f"  {quote(term.name)} [label={quote(term.label)}, tooltip={quote(self.curie(iri))}];")
        for source, target, label, kind in sorted(edges):
            if kind == "subclass":
                lines.append(f"  {quote(source)} -> {quote(target)} [style=dashed, arrowhead=empty, color=\"#999999\"];")
            else:
                lines.append(f"  {quote(source)} -> {quote(target)} [label={quote(label)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def render_dot(dot_source: str, fmt: str) -> bytes:
    """Run Graphviz `dot`; a missing program is a clear one-line error."""
    program = shutil.which("dot")
    if program is None:
        raise DiagramUnavailable(
            "the schema diagram needs Graphviz's `dot` program, which is not installed "
            "(apt-get install graphviz, brew install graphviz or conda install graphviz); "
            "or run `allkg docs --no-diagram`"
        )
    result = subprocess.run([program, f"-T{fmt}"], input=dot_source.encode("utf-8"), capture_output=True, timeout=120)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AllkgError(f"Graphviz dot failed: {message[0] if message else 'exit status ' + str(result.returncode)}")
    return result.stdout


def diagram_files(docs: OntologyDocs, png: bool = True) -> dict[str, bytes]:
    source = docs.schema_dot()
    files = {"schema.dot": source.encode("utf-8"), "schema.svg": render_dot(source, "svg")}
    if png:
        files["schema.png"] = render_dot(source, "png")
    return files


# -- statistics ----------------------------------------------------------------------------------


@dataclass
class GraphStatistics:
    entities_per_class: dict[str, int]
    facts_per_relation: dict[str, int]
    facts_per_source: dict[str, int]
    sources_per_fact: dict[int, int]  # number of sources -> number of facts
    triples: int
    facts: int


def graph_statistics(graph: Graph) -> GraphStatistics:
    from graph_build.namespaces import bind_prefixes
    from graph_build.summary import summarize

    bind_prefixes(graph)  # so the counts name classes and sources as CURIEs
    summary = summarize(graph)
    per_fact: Counter[int] = Counter()
    for record in graph.subjects(RDF.type, ALLKG.FactRecord):
        per_fact[len(set(graph.objects(record, PROV.wasDerivedFrom)))] += 1
    return GraphStatistics(
        entities_per_class=summary.entities_per_class,
        facts_per_relation=summary.facts_per_relation,
        facts_per_source=summary.facts_per_source,
        sources_per_fact=dict(sorted(per_fact.items())),
        triples=summary.triples,
        facts=summary.facts,
    )


def statistics_plot(stats: GraphStatistics) -> bytes:
    """A PNG with three panels: facts per source, sources per fact, entities per class."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(15, 6), gridspec_kw={"width_ratios": [1, 1, 1.4]})
    sources = list(stats.facts_per_source.items())[::-1]
    axes[0].barh([name.removeprefix("src:") for name, _ in sources], [n for _, n in sources], color="#4a6fa5")
    axes[0].set_title("facts per source")
    axes[0].set_xlabel("facts")
    counts = stats.sources_per_fact
    axes[1].bar([str(k) for k in counts], list(counts.values()), color="#6aa84f")
    axes[1].set_title("sources per fact")
    axes[1].set_xlabel("number of sources stating the fact")
    axes[1].set_ylabel("facts")
    classes = list(stats.entities_per_class.items())[:20][::-1]
    axes[2].barh([name.removeprefix("allkg:") for name, _ in classes], [n for _, n in classes], color="#e69138")
    axes[2].set_title("entities per class (top 20)")
    axes[2].set_xlabel("entities")
    figure.suptitle(f"ALL-KG: {stats.facts} facts, {stats.triples} triples")
    figure.tight_layout()
    buffer = io.BytesIO()
    # No "Software" metadata: the same graph gives a byte-identical PNG across matplotlib versions' metadata.
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def statistics_page(docs: OntologyDocs, stats: GraphStatistics) -> bytes:
    def table(title: str, counts: dict, header: str) -> str:
        rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{v}</td></tr>" for k, v in counts.items())
        return f"<h2>{title}</h2>\n<table><tr><th>{header}</th><th>count</th></tr>{rows}</table>"

    body = "\n".join([
        "<h1>ALL-KG statistics</h1>",
        f"<p>{stats.triples} triples; {stats.facts} facts, each with a provenance record.</p>",
        '<p><img src="stats.png" alt="facts per source, sources per fact and entities per class"></p>',
        table("Entities per class", stats.entities_per_class, "class"),
        table("Facts per relation", stats.facts_per_relation, "relation"),
        table("Facts per source", stats.facts_per_source, "source"),
        table("Sources per fact", {f"{k} source{'s' if k != 1 else ''}": v for k, v in stats.sources_per_fact.items()},
              "stated by"),
    ])
    return docs.page("ALL-KG statistics", body, "")


# -- everything ----------------------------------------------------------------------------------


def documentation_files(graph: Graph, diagram: bool = True) -> dict[str, bytes]:
    """Every file of dist/docs/ (relative name -> bytes)."""
    from graph_build.progress import track

    docs = OntologyDocs(graph)
    files: dict[str, bytes] = {}
    if diagram:
        files.update(diagram_files(docs))
    usage: Counter = Counter()
    for _, cls in graph.subject_objects(RDF.type):
        usage[cls] += 1
    for record in graph.subjects(RDF.type, ALLKG.FactRecord):
        usage[graph.value(record, RDF.predicate)] += 1
    for term in track(sorted(docs.terms.values(), key=lambda t: t.path), "docs pages"):
        files[term.path] = docs.term_page(term, usage)
    files["index.html"] = docs.index_page(has_diagram=diagram)
    stats = graph_statistics(graph)
    files["stats.png"] = statistics_plot(stats)
    files["stats.html"] = statistics_page(docs, stats)
    return files
