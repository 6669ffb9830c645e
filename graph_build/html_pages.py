"""HTML pages of the server: the home page (classes, query library, query editor), one page per
resource, and error pages.

Everything taken from the graph or from a request is escaped with html.escape; links are made
only to local paths or to http(s) IRIs (never javascript: or data: URLs). Pages load only the
project's own CSS and JavaScript (/static/...), no remote script: the server may run where
users have no Internet access, and the Content-Security-Policy header forbids anything else.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from itertools import groupby
from urllib.parse import quote

import pyoxigraph as ox

from graph_build.linked_data import Fact, Labeller, ResourceView, Source, local_path

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class ClassCount:
    iri: str
    label: str
    count: int


@dataclass(frozen=True)
class LibraryQuery:
    name: str
    question: str
    text: str


def _page(title: str, body: str, *, head: str = "", version: str = "") -> bytes:
    footer = f"ALL-KG {escape(version)}" if version else "ALL-KG"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — ALL-KG</title>
<link rel="stylesheet" href="/static/style.css">
{head}</head>
<body>
<header><nav><a href="/">ALL-KG</a> · <a href="/#editor">SPARQL query</a> · <a href="/sparql">service description</a> · <a href="/health">health</a></nav></header>
<main>
{body}
</main>
<footer>{footer} · data and ontology CC BY 4.0</footer>
</body>
</html>
""".encode("utf-8")


def href_for(iri: str) -> str | None:
    """Where a link to an IRI points: the local page of a graph IRI, an http(s) IRI as is, else nothing."""
    local = local_path(iri)
    if local is not None:
        return quote(local, safe="/:@!$&'()*+,;=-._~%")
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def term_html(term, labeller: Labeller) -> str:
    if isinstance(term, ox.NamedNode):
        text = escape(labeller.label(term))
        target = href_for(term.value)
        title = escape(term.value, quote=True)
        if target is None:
            return f'<span title="{title}">{text}</span>'
        external = "" if local_path(term.value) else ' class="external" rel="noopener noreferrer"'
        return f'<a href="{escape(target, quote=True)}" title="{title}"{external}>{text}</a>'
    if isinstance(term, ox.Literal):
        note = ""
        if term.language:
            note = f' <span class="note">@{escape(term.language)}</span>'
        elif term.datatype is not None and term.datatype.value != XSD_STRING:
            note = f' <span class="note">{escape(labeller.curie(term.datatype.value))}</span>'
        return f'<span class="literal">{escape(term.value)}</span>{note}'
    if isinstance(term, ox.BlankNode):
        return '<span class="note">(anonymous node)</span>'
    return escape(str(term))


def _sources_html(sources: tuple[Source, ...], record, labeller: Labeller) -> str:
    if not sources and record is None:
        return ""
    items = []
    for source in sources:
        publisher = escape(source.publisher)
        link = href_for(source.source_iri) if source.source_iri else None
        who = f'<a href="{escape(link, quote=True)}">{publisher}</a>' if link else publisher
        if source.section_iri:
            section_link = href_for(source.section_iri)
            section_text = escape(source.section or "")
            section = f'<a href="{escape(section_link, quote=True)}">{section_text}</a>' if section_link else section_text
            items.append(f"<li>{who} — section “{section}”</li>")
        else:
            items.append(f"<li>{who}</li>")
    record_link = ""
    if isinstance(record, ox.NamedNode):
        record_link = f' <span class="note">provenance record {term_html(record, labeller)}</span>'
    return f'<details class="sources"><summary>{len(sources)} source{"s" if len(sources) != 1 else ""}{record_link}</summary><ul>{"".join(items)}</ul></details>'


def _facts_table(facts: list[Fact], labeller: Labeller, *, outgoing: bool) -> str:
    rows = []
    for predicate, group in groupby(facts, key=lambda fact: fact.predicate):
        group = list(group)
        for index, fact in enumerate(group):
            head = f'<th rowspan="{len(group)}" scope="row">{term_html(predicate, labeller)}</th>' if index == 0 else ""
            rows.append(f"<tr>{head}<td>{term_html(fact.other, labeller)}</td>"
                        f"<td>{_sources_html(fact.sources, fact.record, labeller)}</td></tr>")
    header = "<tr><th>relation</th><th>value</th><th>stated by</th></tr>" if outgoing else \
        "<tr><th>relation</th><th>from</th><th>stated by</th></tr>"
    return f'<table class="facts"><thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>'


def resource_page(view: ResourceView, labeller: Labeller, *, version: str = "") -> bytes:
    parts = [f"<h1>{escape(view.label)}</h1>",
             f'<p class="iri"><code>{escape(view.iri)}</code></p>']
    if view.types:
        parts.append("<p>Type: " + ", ".join(term_html(t, labeller) for t in view.types) + "</p>")
    if view.definition:
        parts.append(f'<p class="definition">{escape(view.definition)}</p>')
    if view.record_of is not None:
        triple = view.record_of
        parts.append('<h2>The fact this record describes</h2><p class="fact">'
                     f"{term_html(triple.subject, labeller)} — {term_html(triple.predicate, labeller)} — "
                     f"{term_html(triple.object, labeller)}</p>")
        parts.append("<h3>Stated by</h3>" + _sources_html(view.record_sources, None, labeller).replace(
            "<details ", "<details open "))
    if view.external_links:
        items = "".join(f"<li>{term_html(p, labeller)}: {_external_link(o, labeller)}</li>" for p, o in view.external_links)
        parts.append(f'<h2>Links to other resources</h2><ul class="links">{items}</ul>')
    if view.facts:
        parts.append("<h2>Facts</h2>" + _facts_table(view.facts, labeller, outgoing=True))
    if view.incoming:
        shown = len(view.incoming)
        more = f" (the first {shown} of {view.incoming_total})" if view.incoming_total > shown else ""
        parts.append(f"<h2>Pointing here{more}</h2>" + _facts_table(view.incoming, labeller, outgoing=False))
    path = local_path(view.iri) or "/"
    downloads = " · ".join(
        f'<a href="{escape(quote(path), quote=True)}?format={fmt}" type="{media}">{name}</a>'
        for fmt, media, name in (("ttl", "text/turtle", "Turtle"), ("nt", "application/n-triples", "N-Triples"),
                                 ("jsonld", "application/ld+json", "JSON-LD"))
    )
    parts.append(f'<p class="downloads">This description as {downloads}</p>')
    head = "".join(
        f'<link rel="alternate" type="{media}" href="{escape(quote(path), quote=True)}?format={fmt}">\n'
        for fmt, media in (("ttl", "text/turtle"), ("nt", "application/n-triples"), ("jsonld", "application/ld+json"))
    )
    return _page(view.label, "\n".join(parts), head=head, version=version)


def _external_link(iri: ox.NamedNode, labeller: Labeller) -> str:
    """A link out, shown as a CURIE (obo:HP_0001945), with the term's label when the graph has it."""
    curie = labeller.curie(iri.value)
    label = labeller.label(iri)
    text = escape(curie) + (f' <span class="note">({escape(label)})</span>' if label != curie else "")
    if iri.value.startswith(("http://", "https://")):
        return (f'<a class="external" href="{escape(iri.value, quote=True)}" title="{escape(iri.value, quote=True)}" '
                f'rel="noopener noreferrer">{text}</a>')
    return f"<code>{text}</code>"


def home_page(classes: list[ClassCount], queries: list[LibraryQuery], *, triple_count: int, version: str) -> bytes:
    class_rows = "".join(
        f'<tr><td><a href="{escape(href_for(c.iri) or "#", quote=True)}">{escape(c.label)}</a></td>'
        f'<td class="number">{c.count}</td></tr>'
        for c in classes
    )
    query_items = "".join(
        f'<li><a href="/?query={escape(quote(q.name), quote=True)}#editor" data-query="{escape(q.name, quote=True)}">'
        f"<code>{escape(q.name)}</code></a> — {escape(q.question)}</li>"
        for q in queries
    )
    options = "".join(f'<option value="{escape(q.name, quote=True)}">{escape(q.name)}</option>' for q in queries)
    first = queries[0].text if queries else "SELECT ?class (COUNT(?x) AS ?n) WHERE { ?x a ?class } GROUP BY ?class ORDER BY DESC(?n)"
    body = f"""<h1>ALL-KG: acute lymphoblastic leukemia knowledge graph</h1>
<p>A knowledge graph of what five patient-information pages say about acute lymphoblastic leukemia;
every fact records which source states it. {triple_count} triples. SPARQL endpoint:
<code>/sparql</code> (SPARQL 1.1 Protocol, read-only).</p>
<section id="editor">
<h2>Query editor</h2>
<form id="query-form" action="/sparql" method="post">
<p><label for="library">Library query</label>
<select id="library">{options}</select>
<label for="format">Answer as</label>
<select id="format" name="format">
<option value="">table</option><option value="json">SPARQL JSON</option><option value="xml">SPARQL XML</option>
<option value="csv">CSV</option><option value="tsv">TSV</option><option value="ttl">Turtle (CONSTRUCT)</option>
</select></p>
<p><textarea id="query" name="query" rows="18" cols="100" spellcheck="false" aria-label="SPARQL query">{escape(first)}</textarea></p>
<p><button type="submit" id="run">Run</button> <span id="status" role="status"></span></p>
</form>
<div id="results" aria-live="polite"></div>
</section>
<section id="classes">
<h2>Classes</h2>
<table class="classes"><thead><tr><th>class</th><th>members</th></tr></thead><tbody>{class_rows}</tbody></table>
</section>
<section id="library-queries">
<h2>Query library</h2>
<ul class="queries">{query_items}</ul>
</section>
<script src="/static/editor.js"></script>"""
    return _page("Home", body, version=version)


def error_page(status: int, title: str, message: str, *, version: str = "") -> bytes:
    return _page(f"{status} {title}", f"<h1>{status} {escape(title)}</h1><p>{escape(message)}</p>", version=version)
