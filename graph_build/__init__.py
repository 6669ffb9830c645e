"""ALL-KG: build, check and publish the acute lymphoblastic leukemia knowledge graph.

Data flow, one module per step:
    tables (data/*.tsv) -> graph (rdflib) -> reason (owlready2/HermiT)
    -> validate (pyshacl) -> export / serve.
"""
from graph_build.version import __version__

__all__ = ["__version__"]
