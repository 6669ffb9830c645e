"""Read the curated tables in data/ (the human-edited source of truth) and check their rows.

Every problem is reported as `file:line: message`; all problems of a run are collected so a
curator sees them together. Nothing here knows about RDF: see `graph.py` for that.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from graph_build.errors import DataError

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SECTION_PATTERN = re.compile(r"^[a-z][a-z0-9-]*$")
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Source:
    id: str
    corpus_file: str
    publisher: str
    title: str
    date_reviewed: str
    url: str
    note: str
    line: int


@dataclass(frozen=True)
class Section:
    id: str
    source: str
    heading: str
    line: int


@dataclass(frozen=True)
class Entity:
    id: str
    types: tuple[str, ...]
    label: str
    synonyms: tuple[str, ...]
    search_terms: tuple[str, ...]
    definition: str
    line: int

    @property
    def names(self) -> tuple[str, ...]:
        """Every string by which the entity may be named in a source."""
        return (self.label, *self.synonyms, *self.search_terms)


@dataclass(frozen=True)
class Fact:
    id: str
    subject: str
    relation: str  # a CURIE, e.g. allkg:hasSymptom
    object: str  # an entity id, or a literal value when the relation is a data/annotation property
    sections: tuple[str, ...]
    name_lost_in: tuple[str, ...]
    note: str
    line: int


@dataclass(frozen=True)
class Statistic:
    id: str
    label: str
    measure: str
    value: str
    comparator: str
    unit: str
    year: str
    population: str
    stated_as: str
    sections: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class CuratedData:
    """All curated tables, cross-checked."""

    directory: Path
    sources: dict[str, Source]
    sections: dict[str, Section]
    entities: dict[str, Entity]
    facts: tuple[Fact, ...]
    statistics: tuple[Statistic, ...]

    def source_of_section(self, section_id: str) -> str:
        return self.sections[section_id].source


TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sources.tsv": ("id", "corpus_file", "publisher", "title", "date_reviewed", "url", "note"),
    "sections.tsv": ("id", "source", "heading"),
    "entities.tsv": ("id", "types", "label", "synonyms", "search_terms", "definition"),
    "facts.tsv": ("id", "subject", "relation", "object", "sources", "name_lost_in", "note"),
    "statistics.tsv": (
        "id", "label", "measure", "value", "comparator", "unit", "year", "population", "stated_as", "sources",
    ),
}


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _split(value: str, separator: str = LIST_SEPARATOR) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(separator) if part.strip())


def _read_rows(path: Path, problems: _Problems) -> list[tuple[int, dict[str, str]]]:
    """Rows of a TSV as (line number, column -> value); bad rows are reported and skipped."""
    expected = TABLE_COLUMNS[path.name]
    display = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(display, "file is missing")
        return []
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(display, f"cannot be read: {exc}")
        return []
    lines = text.splitlines()
    if not lines:
        problems.add(f"{display}:1", "file is empty (expected a header row)")
        return []
    header = tuple(lines[0].split("\t"))
    if header != expected:
        problems.add(f"{display}:1", f"header is {'/'.join(header)}, expected {'/'.join(expected)}")
        return []
    rows = []
    for number, raw in enumerate(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
        if not raw or all(not cell.strip() for cell in raw):
            continue
        if len(raw) != len(expected):
            problems.add(f"{display}:{number}", f"has {len(raw)} columns, expected {len(expected)} ({', '.join(expected)})")
            continue
        rows.append((number, {name: cell.strip() for name, cell in zip(expected, raw)}))
    return rows


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _check_id(value: str, where: str, seen: dict[str, int], problems: _Problems, pattern=ID_PATTERN) -> bool:
    if not value:
        problems.add(where, "empty id")
        return False
    if not pattern.match(value):
        problems.add(where, f"id '{value}' must match {pattern.pattern}")
        return False
    if value in seen:
        problems.add(where, f"duplicate id '{value}' (first on line {seen[value]})")
        return False
    return True


def load_tables(directory: Path) -> CuratedData:
    """Read and cross-check every table; raise DataError listing each broken row."""
    problems = _Problems()
    paths = {name: directory / name for name in TABLE_COLUMNS}

    sources: dict[str, Source] = {}
    seen: dict[str, int] = {}
    for line, row in _read_rows(paths["sources.tsv"], problems):
        where = f"{_display(paths['sources.tsv'])}:{line}"
        if _check_id(row["id"], where, seen, problems):
            seen[row["id"]] = line
            for required in ("corpus_file", "publisher", "title"):
                if not row[required]:
                    problems.add(where, f"empty {required}")
            if row["date_reviewed"] and not re.match(r"^\d{4}-\d{2}-\d{2}$", row["date_reviewed"]):
                problems.add(where, f"date_reviewed '{row['date_reviewed']}' is not YYYY-MM-DD")
            sources[row["id"]] = Source(line=line, **row)

    sections: dict[str, Section] = {}
    seen = {}
    for line, row in _read_rows(paths["sections.tsv"], problems):
        where = f"{_display(paths['sections.tsv'])}:{line}"
        if _check_id(row["id"], where, seen, problems, SECTION_PATTERN):
            seen[row["id"]] = line
            if row["source"] not in sources:
                problems.add(where, f"unknown source '{row['source']}' (see sources.tsv)")
            if not row["heading"]:
                problems.add(where, "empty heading")
            sections[row["id"]] = Section(line=line, **row)

    entities: dict[str, Entity] = {}
    seen = {}
    for line, row in _read_rows(paths["entities.tsv"], problems):
        where = f"{_display(paths['entities.tsv'])}:{line}"
        if _check_id(row["id"], where, seen, problems):
            seen[row["id"]] = line
            if not row["types"]:
                problems.add(where, "no class in column types")
            if not row["label"]:
                problems.add(where, "empty label")
            if not row["definition"]:
                problems.add(where, "empty definition")
            entities[row["id"]] = Entity(
                id=row["id"], types=_split(row["types"]), label=row["label"], synonyms=_split(row["synonyms"]),
                search_terms=_split(row["search_terms"]), definition=row["definition"], line=line,
            )

    def check_citations(value: str, where: str) -> tuple[str, ...]:
        cited = _split(value, " ")
        if not cited:
            problems.add(where, "no source: every fact needs at least one section id in column sources")
        for section in cited:
            if section not in sections:
                problems.add(where, f"unknown source section '{section}' (see sections.tsv)")
        if len(set(cited)) != len(cited):
            problems.add(where, "a section is cited twice")
        return cited

    statistics: list[Statistic] = []
    for line, row in _read_rows(paths["statistics.tsv"], problems):
        where = f"{_display(paths['statistics.tsv'])}:{line}"
        if _check_id(row["id"], where, seen, problems):
            seen[row["id"]] = line
            for column in ("measure", "unit", "population"):
                if row[column] not in entities:
                    problems.add(where, f"unknown entity '{row[column]}' in column {column}")
            for column in ("label", "value", "comparator", "stated_as"):
                if not row[column]:
                    problems.add(where, f"empty {column}")
            cited = check_citations(row["sources"], where)
            fields = {k: v for k, v in row.items() if k != "sources"}
            statistics.append(Statistic(sections=cited, line=line, **fields))

    facts: list[Fact] = []
    fact_ids: dict[str, int] = {}
    for line, row in _read_rows(paths["facts.tsv"], problems):
        where = f"{_display(paths['facts.tsv'])}:{line}"
        if not _check_id(row["id"], where, fact_ids, problems):
            continue
        fact_ids[row["id"]] = line
        if row["subject"] not in entities:
            problems.add(where, f"unknown entity '{row['subject']}' in column subject")
        if not row["relation"] or ":" not in row["relation"]:
            problems.add(where, f"relation '{row['relation']}' must be a CURIE such as allkg:hasSymptom")
        if not row["object"]:
            problems.add(where, "empty object")
        cited = check_citations(row["sources"], where)
        lost = _split(row["name_lost_in"], " ")
        for source in lost:
            if source not in sources:
                problems.add(where, f"unknown source '{source}' in column name_lost_in")
            elif source not in {sections[s].source for s in cited if s in sections}:
                problems.add(where, f"name_lost_in names '{source}', which this fact does not cite")
        facts.append(Fact(
            id=row["id"], subject=row["subject"], relation=row["relation"], object=row["object"],
            sections=cited, name_lost_in=lost, note=row["note"], line=line,
        ))

    if problems.items:
        raise DataError(problems.items)
    return CuratedData(
        directory=directory, sources=sources, sections=sections, entities=entities,
        facts=tuple(facts), statistics=tuple(statistics),
    )
