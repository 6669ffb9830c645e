"""Links from our entities to external ontologies: the mapping table, its checks and suggestions.

`data/mappings.tsv` is the human-edited source of the links (one SKOS mapping per row, with
the label the target ontology gives, how the link was justified and a confidence);
`data/unmapped.tsv` names the in-scope entities that have no counterpart, each with a reason.

* `read_mappings` / `read_unmapped` check the rows' syntax (no reference data needed: the build
  uses them);
* `check_against_reference` checks every link against the real releases (exists, not obsolete,
  label agrees, exactMatch agrees on a label or synonym, xref-derived links are real xrefs);
* `suggest` proposes candidates by normalised label/synonym match (and, for diseases, the
  xrefs of the matched MONDO/DOID terms);
* `mapping_triples` turns the table into SKOS triples for the graph.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from rdflib import URIRef
from rdflib.namespace import SKOS

from graph_build.errors import DataError
from graph_build.namespaces import ALL
from graph_build.reference import ReferenceSet, Term

MAPPINGS_FILE = "mappings.tsv"
UNMAPPED_FILE = "unmapped.tsv"
MAPPING_COLUMNS = (
    "subject_id", "predicate_id", "object_id", "object_label", "mapping_justification", "confidence", "comment",
)
UNMAPPED_COLUMNS = ("subject_id", "reason")

# External prefixes -> URI prefix, in the Bioregistry's "obo" context conventions
# (bioregistry 0.15.6: bioregistry.manager.get_converter_from_context("obo")); copied here so the
# build needs no registry. tests/test_links.py checks them against bioregistry's records when installed.
EXTERNAL_PREFIXES: dict[str, str] = {
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "NCIT": "http://purl.obolibrary.org/obo/NCIT_",
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "UBERON": "http://purl.obolibrary.org/obo/UBERON_",
    "CL": "http://purl.obolibrary.org/obo/CL_",
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_",
    "MAXO": "http://purl.obolibrary.org/obo/MAXO_",
    "icd10cm": "https://www.icd10data.com/search?s=",
    "ICD10WHO": "https://icd.who.int/browse10/2019/en#/",
    "icdo": "http://codes.iarc.fr/search.php?cx=009987501641899931167%3A2_7lsevqpdm&cof=FORID%3A9&ie=UTF-8"
            "&ie=ISO-8859-1&oe=ISO-8859-1&sa=&q=",
    "SCTID": "http://snomed.info/id/",
    "UMLS": "https://uts.nlm.nih.gov/uts/umls/concept/",
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "hgnc": "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/",
}

# Local-identifier syntax of each prefix (the Bioregistry's patterns, same version).
ID_PATTERNS: dict[str, str] = {
    "MONDO": r"^\d{7}$",
    "DOID": r"^\d+$",
    "NCIT": r"^(C|R|P|A|NHC)\d+$",
    "HP": r"^\d{7}$",
    "UBERON": r"^\d+$",
    "CL": r"^\d{7}$",
    "CHEBI": r"^\d+$",
    "MAXO": r"^\d{7}$",
    "icd10cm": r"^([A-Z][0-9][0-9AB]((-[A-Z][0-9][0-9AB])|(\.[0-9A-KXZ]([0-9A-EXYZ]([0-9A-HX][0-59A-HJKMNP-S]?)?)?)?))$",
    "ICD10WHO": r"^(([XVI]+)|([A-Z][0-9]+((-[A-Z][0-9]+)|(\.[0-9]))?))$",
    "icdo": r"^[8-9]\d{3}(/[0-3])?$",
    "SCTID": r"^(\w+)?\d+$",
    "UMLS": r"^C\d+$",
    "MESH": r"^(C|D|Q)\d+$",
    "hgnc": r"^\d{1,5}$",
}

# How the reference tables write the prefixes of xrefs -> our prefix (MONDO and DOID differ).
XREF_PREFIXES: dict[str, str] = {
    "ICD10CM": "icd10cm", "ICD10WHO": "ICD10WHO", "ICD10": "ICD10WHO", "ICDO": "icdo", "SCTID": "SCTID",
    "SNOMEDCT": "SCTID", "SNOMEDCT_US": "SCTID", "UMLS": "UMLS", "UMLS_CUI": "UMLS", "MESH": "MESH",
    "MSH": "MESH", "NCI": "NCIT", "NCIT": "NCIT",
}
# Vocabularies with no term table here: they are linked only through MONDO/DOID xrefs.
XREF_ONLY_PREFIXES = ("icd10cm", "ICD10WHO", "icdo", "SCTID", "UMLS", "MESH")

OTHER_PREFIXES: dict[str, str] = {
    "all": str(ALL),
    "skos": str(SKOS),
    "semapv": "https://w3id.org/semapv/vocab/",
    "sssom": "https://w3id.org/sssom/",
}

PREDICATES = {
    "skos:exactMatch": SKOS.exactMatch,
    "skos:closeMatch": SKOS.closeMatch,
    "skos:broadMatch": SKOS.broadMatch,
    "skos:narrowMatch": SKOS.narrowMatch,
    "skos:relatedMatch": SKOS.relatedMatch,
}
LEXICAL = "semapv:LexicalMatching"
MANUAL = "semapv:ManualMappingCuration"
CHAINING = "semapv:MappingChaining"
JUSTIFICATIONS = (LEXICAL, MANUAL, CHAINING)
XREF_COMMENT = re.compile(r"^xref of ((?:MONDO|DOID):\d+)(?:,? (?:and )?((?:MONDO|DOID):\d+))?")

# Which ontologies each of our classes is linked to (classes not listed are not linked).
TARGETS_BY_CLASS: dict[str, tuple[str, ...]] = {
    "Disease": ("MONDO", "DOID", "NCIT"),
    "GeneticCondition": ("MONDO", "DOID", "NCIT"),
    "Symptom": ("HP",),
    "Complication": ("HP",),
    "AnatomicalSite": ("UBERON",),
    "CellType": ("CL",),
    "Drug": ("CHEBI", "NCIT"),
    "Chemical": ("CHEBI", "NCIT"),
    "DrugClass": ("CHEBI", "NCIT"),
    "DiagnosticProcedure": ("MAXO", "NCIT"),
    "Therapy": ("MAXO", "NCIT"),
    "Chemotherapy": ("MAXO", "NCIT"),
    "RadiationTherapy": ("MAXO", "NCIT"),
    "StemCellTransplant": ("MAXO", "NCIT"),
    "TargetedTherapy": ("MAXO", "NCIT"),
    "Immunotherapy": ("MAXO", "NCIT"),
    "CellularTherapy": ("MAXO", "NCIT"),
    "CNSProphylaxis": ("MAXO", "NCIT"),
    "SupportiveCare": ("MAXO", "NCIT"),
}
# Classes whose every member must be linked or listed in unmapped.tsv with a reason.
COVERED_CLASSES = frozenset(TARGETS_BY_CLASS)


@dataclass(frozen=True)
class Mapping:
    subject_id: str
    predicate_id: str
    object_id: str
    object_label: str
    mapping_justification: str
    confidence: float
    comment: str
    line: int = 0

    @property
    def prefix(self) -> str:
        return self.object_id.split(":", 1)[0]

    @property
    def is_exact(self) -> bool:
        return self.predicate_id == "skos:exactMatch"

    def xref_sources(self) -> tuple[str, ...]:
        """The MONDO/DOID terms a chained link claims to be an xref of (from its comment)."""
        match = XREF_COMMENT.match(self.comment)
        return tuple(group for group in match.groups() if group) if match else ()


def prefix_map() -> dict[str, str]:
    return {**OTHER_PREFIXES, **EXTERNAL_PREFIXES}


def expand_object(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return EXTERNAL_PREFIXES[prefix] + local


def curie_problem(curie: str) -> str | None:
    """Why a CURIE is not a valid external identifier, or None."""
    prefix, sep, local = curie.partition(":")
    if not sep or not local:
        return f"'{curie}' is not a CURIE (PREFIX:ID)"
    if prefix not in EXTERNAL_PREFIXES:
        return f"unknown prefix '{prefix}' in '{curie}' (known: {', '.join(EXTERNAL_PREFIXES)})"
    if not re.match(ID_PATTERNS[prefix], local):
        return f"'{curie}' does not match the {prefix} identifier pattern {ID_PATTERNS[prefix]}"
    return None


def normalise(name: str) -> str:
    """Lower-case, ASCII-folded, punctuation-free, single-spaced; British spellings and noun forms folded."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[-_/,;:()\[\]'\".]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for british, american in (("leukaemia", "leukemia"), ("anaemia", "anemia"), ("haem", "hem"), ("tumour", "tumor")):
        text = text.replace(british, american)
    # Verbal nouns that name the same procedure ("kidney function testing" = "... tests").
    return " ".join(NOUN_FORMS.get(word, word) for word in text.split())


NOUN_FORMS = {"testing": "test", "transplantation": "transplant"}


def name_variants(name: str) -> set[str]:
    """The normalised name, and its singular when it looks like a simple English plural."""
    base = normalise(name)
    variants = {base}
    if base.endswith("s") and not base.endswith("ss") and len(base) > 4:
        variants.add(base[:-1])
    return variants


# --- reading the tables ----------------------------------------------------------------------------


def _read_tsv(path: Path, columns: tuple[str, ...], problems: list[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read: {exc}")
        return []
    if not lines or tuple(lines[0].split("\t")) != columns:
        found = "/".join(lines[0].split("\t")) if lines else "(empty file)"
        problems.append(f"{path}:1: header is {found}, expected {'/'.join(columns)}")
        return []
    rows = []
    for number, raw in enumerate(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
        if not raw or all(not cell.strip() for cell in raw):
            continue
        if len(raw) != len(columns):
            problems.append(f"{path}:{number}: has {len(raw)} columns, expected {len(columns)} ({', '.join(columns)})")
            continue
        rows.append((number, {name: cell.strip() for name, cell in zip(columns, raw)}))
    return rows


def read_mappings(data_dir: Path, entity_ids: Iterable[str]) -> list[Mapping]:
    """The mapping table, syntax-checked; DataError lists every broken row as file:line."""
    path = Path(data_dir) / MAPPINGS_FILE
    known = set(entity_ids)
    problems: list[str] = []
    mappings: list[Mapping] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in _read_tsv(path, MAPPING_COLUMNS, problems):
        where = f"{path}:{line}"
        if row["subject_id"] not in known:
            problems.append(f"{where}: unknown entity '{row['subject_id']}' in column subject_id (see entities.tsv)")
        if row["predicate_id"] not in PREDICATES:
            problems.append(f"{where}: predicate '{row['predicate_id']}' is not one of {', '.join(PREDICATES)}")
        problem = curie_problem(row["object_id"])
        if problem:
            problems.append(f"{where}: {problem}")
        if row["mapping_justification"] not in JUSTIFICATIONS:
            problems.append(f"{where}: mapping_justification '{row['mapping_justification']}' is not one of {', '.join(JUSTIFICATIONS)}")
        try:
            confidence = float(row["confidence"])
            if not 0 <= confidence <= 1:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: confidence '{row['confidence']}' is not a number between 0 and 1")
            confidence = 0.0
        if row["predicate_id"] != "skos:exactMatch" and not row["comment"]:
            problems.append(f"{where}: a {row['predicate_id']} needs a comment saying why it is not exact")
        key = (row["subject_id"], row["object_id"])
        if key in seen:
            problems.append(f"{where}: {row['subject_id']} -> {row['object_id']} already mapped on line {seen[key]}")
        seen.setdefault(key, line)
        mappings.append(Mapping(confidence=confidence, line=line, **{k: v for k, v in row.items() if k != "confidence"}))
    if problems:
        raise DataError(problems)
    return sorted(mappings, key=lambda m: (m.subject_id, m.object_id))


def read_unmapped(data_dir: Path, entity_ids: Iterable[str]) -> dict[str, str]:
    """Entity id -> reason it has no link."""
    path = Path(data_dir) / UNMAPPED_FILE
    known = set(entity_ids)
    problems: list[str] = []
    reasons: dict[str, str] = {}
    for line, row in _read_tsv(path, UNMAPPED_COLUMNS, problems):
        where = f"{path}:{line}"
        if row["subject_id"] not in known:
            problems.append(f"{where}: unknown entity '{row['subject_id']}' (see entities.tsv)")
        if not row["reason"]:
            problems.append(f"{where}: empty reason")
        if row["subject_id"] in reasons:
            problems.append(f"{where}: '{row['subject_id']}' listed twice")
        reasons[row["subject_id"]] = row["reason"]
    if problems:
        raise DataError(problems)
    return reasons


# --- graph ---------------------------------------------------------------------------------------


def mapping_triples(mappings: Iterable[Mapping]) -> list[tuple[URIRef, URIRef, URIRef]]:
    return sorted({(ALL[m.subject_id], PREDICATES[m.predicate_id], URIRef(expand_object(m.object_id))) for m in mappings})


# --- checking against the releases -----------------------------------------------------------------


def _names_agree(names: Iterable[str], term: Term) -> bool:
    ours = {variant for name in names for variant in name_variants(name)}
    theirs = {variant for name in term.names for variant in name_variants(name)}
    return bool(ours & theirs)


def check_mapping(mapping: Mapping, entity_names: tuple[str, ...], references: ReferenceSet) -> list[str]:
    """Problems of one link against the reference releases (empty list: the link is sound)."""
    where = f"{MAPPINGS_FILE}:{mapping.line}: {mapping.subject_id} -> {mapping.object_id}"
    prefix = mapping.prefix
    if prefix in XREF_ONLY_PREFIXES:
        sources = mapping.xref_sources()
        if mapping.mapping_justification != CHAINING or not sources:
            return [f"{where}: {prefix} has no term table here; link it only as semapv:MappingChaining "
                    f"with a comment 'xref of MONDO:... (or DOID:...)'"]
        if mapping.is_exact:
            return [f"{where}: exactMatch cannot be checked without {prefix} labels; use skos:closeMatch"]
        problems = []
        for source_id in sources:
            source = references.term(source_id)
            if source is None:
                problems.append(f"{where}: comment names {source_id}, which is not in the reference tables")
            elif mapping.object_id not in {normalise_xref(x) for x in source.xrefs}:
                problems.append(f"{where}: {mapping.object_id} is not an xref of {source_id} '{source.label}'")
        return problems
    source = references.source(prefix)
    if source is None:
        return [f"{where}: no reference data for {prefix}: the link cannot be checked here (remove it)"]
    term = source.terms.get(mapping.object_id)
    if term is None:
        primary = source.alt_ids.get(mapping.object_id)
        if primary:
            return [f"{where}: {mapping.object_id} is a secondary id; use {primary}"]
        scope = f"{prefix} {source.version}" if source.complete else f"the {prefix} subset (cannot be checked here)"
        return [f"{where}: {mapping.object_id} not found in {scope}"]
    problems = []
    if term.obsolete:
        replacement = f"; replaced by {term.replaced_by}" if term.replaced_by else " (no replacement given)"
        problems.append(f"{where}: {mapping.object_id} is obsolete{replacement}")
    if mapping.object_label != term.label:
        problems.append(f"{where}: object_label '{mapping.object_label}' differs from the reference label '{term.label}'")
    if mapping.is_exact and not _names_agree(entity_names, term):
        problems.append(f"{where}: exactMatch but no label or synonym of ours matches '{term.label}' or its "
                        "synonyms; use a non-exact SKOS relation with a comment")
    return problems


def normalise_xref(xref: str) -> str:
    """An xref as the reference writes it (e.g. `SNOMEDCT_US_2025_09_01:128822004`) in our prefixes."""
    prefix, _, local = xref.partition(":")
    if prefix.startswith("SNOMEDCT_US"):
        prefix = "SNOMEDCT_US"
    ours = XREF_PREFIXES.get(prefix)
    if ours is None and prefix.upper() in XREF_PREFIXES:
        ours = XREF_PREFIXES[prefix.upper()]
    return f"{ours}:{local}" if ours else xref


def check_against_reference(
    mappings: list[Mapping], entity_names: dict[str, tuple[str, ...]], references: ReferenceSet
) -> list[str]:
    problems: list[str] = []
    for mapping in mappings:
        problems.extend(check_mapping(mapping, entity_names.get(mapping.subject_id, ()), references))
    return problems


def coverage_problems(entity_types: dict[str, tuple[str, ...]], mappings: list[Mapping], unmapped: dict[str, str]) -> list[str]:
    """In-scope entities that are neither linked nor explained, and explained ones that are linked."""
    linked = {m.subject_id for m in mappings}
    problems = []
    for entity_id, types in sorted(entity_types.items()):
        in_scope = bool(set(types) & COVERED_CLASSES)
        if in_scope and entity_id not in linked and entity_id not in unmapped:
            problems.append(f"{entity_id}: no link and no reason in {UNMAPPED_FILE}")
        if entity_id in linked and entity_id in unmapped:
            problems.append(f"{entity_id}: linked in {MAPPINGS_FILE} but also listed in {UNMAPPED_FILE}")
    return problems


# --- suggesting ----------------------------------------------------------------------------------


def _index(terms: Iterable[Term]) -> dict[str, list[tuple[Term, bool]]]:
    """Normalised name -> [(term, the name is its label)] over current (non-obsolete) terms."""
    index: dict[str, list[tuple[Term, bool]]] = {}
    for term in terms:
        if term.obsolete:
            continue
        for name in term.names:
            for variant in name_variants(name):
                index.setdefault(variant, []).append((term, name == term.label))
    return index


def suggest(
    entities: dict[str, tuple[tuple[str, ...], tuple[str, ...]]],
    references: ReferenceSet,
    with_xrefs: bool = True,
) -> list[Mapping]:
    """Candidate links for the given entities: id -> (types, names with the label first)."""
    indexes: dict[str, dict[str, list[tuple[Term, bool]]]] = {}
    candidates: dict[tuple[str, str], Mapping] = {}

    def offer(candidate: Mapping) -> None:
        key = (candidate.subject_id, candidate.object_id)
        if key not in candidates or candidates[key].confidence < candidate.confidence:
            candidates[key] = candidate

    for entity_id, (types, names) in sorted(entities.items()):
        prefixes = sorted({p for t in types for p in TARGETS_BY_CLASS.get(t, ())})
        for prefix in prefixes:
            if prefix not in indexes:
                source = references.source(prefix)
                indexes[prefix] = _index(source.terms.values()) if source else {}
            for position, name in enumerate(names):
                for variant in name_variants(name):
                    for term, is_label in indexes[prefix].get(variant, ()):
                        ours_is_label = position == 0
                        confidence = 0.95 if (is_label and ours_is_label) else 0.9 if (is_label or ours_is_label) else 0.85
                        if variant != normalise(name):
                            confidence -= 0.05  # matched only after dropping a plural 's'
                        matched = "label" if is_label else "synonym"
                        offer(Mapping(entity_id, "skos:exactMatch", term.id, term.label, LEXICAL, round(confidence, 2),
                                      f"our {'label' if ours_is_label else 'synonym'} '{name}' = {prefix} {matched}"))
    found = sorted(candidates.values(), key=lambda m: (m.subject_id, m.object_id))
    if with_xrefs:
        for mapping in list(found):
            if mapping.prefix in ("MONDO", "DOID"):
                for xref_mapping in xref_candidates(mapping, references):
                    offer(xref_mapping)
    return sorted(candidates.values(), key=lambda m: (m.subject_id, m.object_id))


def xref_candidates(mapping: Mapping, references: ReferenceSet) -> list[Mapping]:
    """closeMatch candidates from the xrefs of a linked MONDO/DOID term to vocabularies without tables."""
    term = references.term(mapping.object_id)
    out = []
    for xref in term.xrefs if term else ():
        curie = normalise_xref(xref)
        if curie.split(":", 1)[0] in XREF_ONLY_PREFIXES and curie_problem(curie) is None:
            out.append(Mapping(mapping.subject_id, "skos:closeMatch", curie, "", CHAINING, 0.7,
                               f"xref of {mapping.object_id}; no {curie.split(':')[0]} labels here to confirm exactness"))
    return out


def with_line(mapping: Mapping, line: int) -> Mapping:
    return replace(mapping, line=line)


# --- build step ----------------------------------------------------------------------------------

SSSOM_FILE = "allkg.sssom.tsv"


def build_step(ctx) -> None:
    """Add the SKOS links of data/mappings.tsv to the graph and export them as dist/allkg.sssom.tsv.

    Runs before the graph file is written. Needs no reference data (the build works offline
    without it); `allkg links check` is what compares the links with the releases.
    """
    from graph_build.sssom_export import sssom_tsv
    from graph_build.tables import load_tables
    from graph_build.version import __version__

    data_dir = Path(ctx.options.data_dir)
    if not (data_dir / MAPPINGS_FILE).exists():
        ctx.notes.append(f"no {data_dir / MAPPINGS_FILE}: the graph has no links to other ontologies")
        return
    entities = load_tables(data_dir).entities
    mappings = read_mappings(data_dir, entities)
    read_unmapped(data_dir, entities)  # syntax-checked here too, so a broken row stops the build
    for triple in mapping_triples(mappings):
        ctx.graph.add(triple)
    ctx.outputs[SSSOM_FILE] = sssom_tsv(mappings, {e.id: e.label for e in entities.values()}, __version__)
