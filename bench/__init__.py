"""ALL-KG benchmark suite: `python -m bench` (or `allkg bench`) measures build, query, serve,
validate, reason and export on our graph, on our graph merged with the full HPO, and on
generated graphs of our shape at about 10^4, 10^5 and 10^6 triples, and writes bench/REPORT.md.

Modules: generate (synthetic graphs), hpo (full HPO as RDF), measure (timing primitives and the
measurements), suite (what is measured on which graph), worker (in-process measurements run in
a bounded child process), report (Markdown + log-log plot).
"""
