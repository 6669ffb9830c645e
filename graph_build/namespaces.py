"""Namespaces and the project's prefix map (one place for CURIE <-> IRI conversion)."""
from __future__ import annotations

from functools import lru_cache

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from graph_build.errors import InputError

BASE = "https://w3id.org/allkg/"
ALLKG = Namespace(BASE + "vocab/")  # classes and relations
ALL = Namespace(BASE + "id/")  # entities
FACT = Namespace(BASE + "fact/")  # provenance records
SRC = Namespace(BASE + "source/")  # source documents and their sections
ONTOLOGY_IRI = BASE + "allkg.owl"
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
VANN = Namespace("http://purl.org/vocab/vann/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")

# Prefixes written into every output file, in this order.
PREFIXES: dict[str, str] = {
    "allkg": str(ALLKG),
    "all": str(ALL),
    "fact": str(FACT),
    "src": str(SRC),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "vann": str(VANN),
    "obo": str(OBO),
    "biolink": str(BIOLINK),
    "wdt": str(WDT),
}


def ontology_version_iri(version: str) -> str:
    return f"{BASE}releases/{version}/allkg.owl"


@lru_cache(maxsize=1)
def converter():
    """A `curies` converter for the project's prefixes (external ontologies are added by links)."""
    import curies

    return curies.Converter.from_prefix_map(PREFIXES)


def expand(curie: str, where: str = "") -> str:
    """Expand a CURIE such as `allkg:hasSymptom`; an unknown prefix is an InputError naming it."""
    iri = converter().expand(curie)
    if iri is None:
        prefix = curie.split(":", 1)[0] if ":" in curie else curie
        at = f"{where}: " if where else ""
        raise InputError(f"{at}unknown prefix '{prefix}' in '{curie}' (known: {', '.join(PREFIXES)})")
    return iri


def bind_prefixes(graph) -> None:
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
