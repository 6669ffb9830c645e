"""Format a SHACL validation report as text (grouped by shape), Turtle (the standard report graph) or JSON.

JSON structure (stable, documented in the README):
    {"conforms": bool, "violations": int, "warnings": int,
     "results": [{"severity", "shape", "shape_name", "component", "constraint", "focus",
                  "focus_label", "path", "value", "message"}, ...]}
"""
from __future__ import annotations

import json
from itertools import groupby

from graph_build.validate import ValidationReport, ValidationResult

_SHORT = {
    "https://w3id.org/allkg/shapes/": "allkgsh:",
    "https://w3id.org/allkg/vocab/": "allkg:",
    "https://w3id.org/allkg/id/": "all:",
    "https://w3id.org/allkg/fact/": "fact:",
    "https://w3id.org/allkg/source/": "src:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://purl.org/dc/terms/": "dcterms:",
}


def short(iri: str | None) -> str:
    """A CURIE for the project's namespaces, the IRI itself otherwise."""
    if iri is None:
        return ""
    for namespace, prefix in _SHORT.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace):]
    return iri


def _shorten_path(path: str | None) -> str:
    if not path:
        return ""
    text = path
    for namespace, prefix in _SHORT.items():
        text = text.replace(namespace, prefix)
    return text


def format_text(report: ValidationReport) -> str:
    lines: list[str] = []
    violations, warnings = len(report.violations), len(report.warnings)
    verdict = "conforms" if report.conforms else "does NOT conform"
    lines.append(f"The graph {verdict}: {violations} violation(s), {warnings} warning(s).")
    key = lambda r: (r.severity, r.shape)  # noqa: E731 - results are already sorted this way
    for (severity, _shape), group in groupby(report.results, key=key):
        items: list[ValidationResult] = list(group)
        first = items[0]
        lines.append("")
        title = short(first.shape) if first.shape.startswith("[") else f"{short(first.shape)} ({first.shape_name})"
        lines.append(f"{severity.upper()} {title}: {len(items)} result(s)")
        for result in items:
            name = f"'{result.focus_label}' " if result.focus_label else ""
            lines.append(f"  - {name}<{result.focus}>")
            if result.path and not result.path.startswith("_:"):
                lines.append(f"    path: {_shorten_path(result.path)}")
            if result.value and result.value != result.focus:
                lines.append(f"    value: {short(result.value)}")
            lines.append(f"    {result.message}")
    return "\n".join(lines) + "\n"


def format_json(report: ValidationReport) -> str:
    data = {
        "conforms": report.conforms,
        "violations": len(report.violations),
        "warnings": len(report.warnings),
        "results": [r.as_dict() for r in report.results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def format_turtle(report: ValidationReport) -> str:
    from graph_build.rdf_io import turtle_bytes

    report.report_graph.bind("sh", "http://www.w3.org/ns/shacl#")
    for namespace, prefix in _SHORT.items():
        report.report_graph.bind(prefix.rstrip(":"), namespace)
    return turtle_bytes(report.report_graph).decode("utf-8")


def format_report(report: ValidationReport, fmt: str) -> str:
    if fmt == "json":
        return format_json(report)
    if fmt == "turtle":
        return format_turtle(report)
    return format_text(report)
