"""Write mappings as an SSSOM TSV: a `#`-commented YAML metadata block, then one row per mapping.

Written by hand (no pandas/sssom import at build time) and deterministic: rows sorted, no dates.
The output is checked with the `sssom` package in tests/test_links.py.
"""
from __future__ import annotations

import json
from typing import Iterable

from graph_build.links import Mapping, prefix_map
from graph_build.namespaces import BASE

SSSOM_COLUMNS = (
    "subject_id", "subject_label", "predicate_id", "object_id", "object_label",
    "mapping_justification", "confidence", "comment",
)
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def _yaml_scalar(value: str) -> str:
    # JSON strings are valid YAML scalars and need no further escaping rules.
    return json.dumps(value, ensure_ascii=False)


def _cell(value: str) -> str:
    return " ".join(value.replace("\t", " ").split())


def sssom_tsv(
    mappings: Iterable[Mapping],
    subject_labels: dict[str, str],
    version: str,
    mapping_set_id: str | None = None,
    title: str = "ALL-KG links to external ontologies",
) -> bytes:
    rows = sorted(mappings, key=lambda m: (m.subject_id, m.predicate_id, m.object_id))
    used = {"all", "skos", "semapv"} | {m.prefix for m in rows}
    curie_map = {prefix: iri for prefix, iri in prefix_map().items() if prefix in used}
    metadata = [
        ("mapping_set_id", mapping_set_id or f"{BASE}releases/{version}/allkg.sssom.tsv"),
        ("mapping_set_version", version),
        ("mapping_set_title", title),
        ("license", LICENSE),
        ("subject_source", f"{BASE}allkg.owl"),
    ]
    lines = ["#curie_map:"]
    lines += [f"#  {prefix}: {_yaml_scalar(iri)}" for prefix, iri in sorted(curie_map.items())]
    lines += [f"#{key}: {_yaml_scalar(value)}" for key, value in metadata]
    lines.append("\t".join(SSSOM_COLUMNS))
    for m in rows:
        values = (
            f"all:{m.subject_id}", subject_labels.get(m.subject_id, ""), m.predicate_id, m.object_id, m.object_label,
            m.mapping_justification, f"{m.confidence:g}", m.comment,
        )
        lines.append("\t".join(_cell(v) for v in values))
    return ("\n".join(lines) + "\n").encode("utf-8")
