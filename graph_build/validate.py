"""SHACL validation of an ALL-KG graph (or any graph merged with it) against ontology/shapes.ttl.

The data graph is an in-memory rdflib graph validated by pyshacl with inference='none': the
shapes follow rdfs:subClassOf and read the ontology's axioms from the data graph, so the
ontology (ontology/allkg.ttl) is always added to the graph being validated.

pyshacl runs each SHACL-SPARQL constraint once per focus node, and rdflib parses the query
text again on every call (parsing costs far more than evaluating). `_cached_sparql_queries`
memoises the parsed query while a validation runs, which makes validation many times faster
without changing any result; `_cached_sparql_checks` does the same for pyshacl's per-node
regular-expression checks of each query's text.
"""
from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from graph_build import paths
from graph_build.errors import InputError
# A user's shapes file is untrusted input: SPARQL that could reach the network is refused.
from graph_build.validate_sparql import NETWORK_SPARQL as _NETWORK_SPARQL



@dataclass(frozen=True)
class ValidationResult:
    """One sh:ValidationResult, with what a person needs to find and fix it."""

    severity: str  # "Violation", "Warning" or "Info"
    shape: str  # the IRI (or name) of the shape that reports it
    shape_name: str
    component: str  # e.g. "MinCountConstraintComponent"
    constraint: str | None  # the SPARQL constraint's IRI, for SHACL-SPARQL results
    focus: str
    focus_label: str | None
    path: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "severity": self.severity, "shape": self.shape, "shape_name": self.shape_name,
            "component": self.component, "constraint": self.constraint, "focus": self.focus,
            "focus_label": self.focus_label, "path": self.path, "value": self.value, "message": self.message,
        }


@dataclass
class ValidationReport:
    conforms: bool  # no violations (warnings allowed)
    results: list[ValidationResult]
    report_graph: Graph = field(repr=False)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity != "Violation"]


@contextlib.contextmanager
def _cached_sparql_queries() -> Iterator[None]:
    """Memoise rdflib's parse + translate of SPARQL query strings for the duration of a run."""
    from rdflib.plugins.sparql import processor

    original = processor.SPARQLProcessor.query
    cache: dict[tuple, object] = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((initNs or {}).items())))
            prepared = cache.get(key)
            if prepared is None:
                if _NETWORK_SPARQL.search(strOrQuery):
                    raise InputError("a SPARQL query of the shapes uses SERVICE or FROM <...>, which are not allowed (no network access)")
                prepared = cache[key] = processor.translateQuery(processor.parseQuery(strOrQuery), base, initNs)
            strOrQuery = prepared
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    processor.SPARQLProcessor.query = query
    try:
        with _cached_sparql_checks(), _constraint_parameters_as_set():
            yield
    finally:
        processor.SPARQLProcessor.query = original


@contextlib.contextmanager
def _cached_sparql_checks() -> Iterator[None]:
    """Memoise pyshacl's syntax checks of a SHACL-SPARQL query while a validation runs.

    pyshacl re-checks the same query text with five regular expressions for every focus node
    (about a fifth of ALL-KG's validation time); the verdict depends only on the text and on
    which variables may be pre-bound, so a passed check is remembered. Failures are not cached:
    they raise, as before."""
    from pyshacl.helper.sparql_query_helper import SPARQLQueryHelper

    original = SPARQLQueryHelper.check_invalid_sparql
    passed: set[tuple] = set()

    def check_invalid_sparql(self, sparql_text, valuenode=None, extravars=None):
        key = (sparql_text, valuenode is None, tuple(sorted(extravars)) if extravars else ())
        if key not in passed:
            original(self, sparql_text, valuenode=valuenode, extravars=extravars)
            passed.add(key)
        return True

    SPARQLQueryHelper.check_invalid_sparql = check_invalid_sparql
    try:
        yield
    finally:
        SPARQLQueryHelper.check_invalid_sparql = original


class _ParameterList(list):
    """pyshacl's list of constraint parameters, with set-speed `in`.

    pyshacl tests every predicate of every shape against this list once per focus node, and
    list membership compares rdflib terms with their Python __eq__ (about a sixth of ALL-KG's
    validation time). Same members, same order; only `in` is faster."""

    def __init__(self, items=()) -> None:
        super().__init__(items)
        self._members = set(self)

    def __contains__(self, item) -> bool:
        return item in self._members

    def copy(self) -> "_ParameterList":
        return _ParameterList(self)

    def append(self, item) -> None:
        super().append(item)
        self._members.add(item)


@contextlib.contextmanager
def _constraint_parameters_as_set() -> Iterator[None]:
    """While active, pyshacl's shapes find their constraint parameters through a set."""
    from pyshacl import shape as pyshacl_shape
    from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP

    missing = object()
    previous = getattr(pyshacl_shape.module, "CONSTRAINT_PARAMS", missing)
    pyshacl_shape.module.CONSTRAINT_PARAMS = (_ParameterList(ALL_CONSTRAINT_PARAMETERS), CONSTRAINT_PARAMETERS_MAP)
    try:
        yield
    finally:
        if previous is missing:
            del pyshacl_shape.module.CONSTRAINT_PARAMS
        else:
            pyshacl_shape.module.CONSTRAINT_PARAMS = previous


def load_shapes(path: Path | None = None) -> Graph:
    """The shapes graph (ontology/shapes.ttl by default), parsed with file/line errors."""
    from graph_build.rdf_io import parse_rdf_file

    return parse_rdf_file(Path(path) if path else paths.SHAPES_FILE)


def with_ontology(graph: Graph, ontology_file: Path | None = None) -> Graph:
    """Add the ontology's triples to `graph` (in place): the shapes rely on its axioms."""
    from graph_build.rdf_io import parse_rdf_file

    ontology = parse_rdf_file(Path(ontology_file) if ontology_file else paths.ONTOLOGY_FILE)
    for triple in ontology:
        graph.add(triple)
    return graph


def validate_graph(data: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate `data` (which should already contain the ontology) against the shapes."""
    import pyshacl
    from pyshacl.errors import ConstraintLoadError, ReportableRuntimeError, ShapeLoadError, ValidationFailure

    shapes = shapes if shapes is not None else load_shapes()
    # pyshacl logs load errors to stderr as well as raising them: we report them in one line.
    pyshacl_log = logging.getLogger("pyshacl-validate")
    was_disabled, pyshacl_log.disabled = pyshacl_log.disabled, True
    from graph_build.validate_sparql import whole_graph_sparql_constraints

    with _cached_sparql_queries(), whole_graph_sparql_constraints():
        try:
            conforms, report_graph, _text = pyshacl.validate(
                data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True,
                do_owl_imports=False,
            )
        except (ConstraintLoadError, ShapeLoadError, ReportableRuntimeError, ValidationFailure) as exc:
            # pyshacl reports broken shapes (and SPARQL it refuses) as these exceptions.
            message = str(getattr(exc, "message", None) or exc).strip().splitlines()
            raise InputError(f"the shapes graph cannot be used: {message[0] if message else type(exc).__name__}") from None
        finally:
            pyshacl_log.disabled = was_disabled
    if not isinstance(report_graph, Graph):  # pyshacl's ValidationFailure: the shapes are broken
        raise InputError(f"the shapes graph cannot be used: {str(_text).strip().splitlines()[-1]}")
    results = sorted(_results(report_graph, data, shapes), key=_sort_key)
    return ValidationReport(conforms=bool(conforms), results=results, report_graph=report_graph)


_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


def _sort_key(result: ValidationResult) -> tuple:
    return (_SEVERITY_ORDER.get(result.severity, 3), result.shape, result.focus, result.path or "",
            result.value or "", result.component, result.message)


def _text(node) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return "_:" + str(node)
    return str(node)


def _path_text(report: Graph, path, shapes: Graph) -> str | None:
    """A readable SHACL path: an IRI, ^inverse, or (a|b) for alternatives."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    for graph in (report, shapes):
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            return "^" + (_path_text(graph, inverse, shapes) or "?")
        alternatives = graph.value(path, SH.alternativePath)
        if alternatives is not None:
            from rdflib.collection import Collection

            return "(" + " | ".join(_path_text(graph, p, shapes) or "?" for p in Collection(graph, alternatives)) + ")"
        one_or_more = graph.value(path, SH.oneOrMorePath)
        if one_or_more is not None:
            return (_path_text(graph, one_or_more, shapes) or "?") + "+"
    return _text(path)


def shape_key(shape, shapes: Graph) -> str:
    """A stable name for a shape: its IRI, or the sh:name of a blank-node shape."""
    if isinstance(shape, URIRef):
        return str(shape)
    name = shapes.value(shape, SH.name)
    return f"[{name}]" if name is not None else _text(shape) or "?"


def _label(data: Graph, node) -> str | None:
    labels = sorted(data.objects(node, RDFS.label), key=lambda l: (getattr(l, "language", None) != "en", str(l)))
    return str(labels[0]) if labels else None


def _results(report: Graph, data: Graph, shapes: Graph) -> Iterator[ValidationResult]:
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        shape = report.value(result, SH.sourceShape)
        component = report.value(result, SH.sourceConstraintComponent)
        constraint = report.value(result, SH.sourceConstraint)
        focus = report.value(result, SH.focusNode)
        value = report.value(result, SH.value)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        # pyshacl may give both the SPARQL constraint's message and the shape's: keep the specific one.
        message = messages[0] if len(messages) == 1 else _pick_message(messages, shapes, shape)
        yield ValidationResult(
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            shape=shape_key(shape, shapes),
            shape_name=str(shapes.value(shape, SH.name) or shape_key(shape, shapes)),
            component=str(component).rsplit("#", 1)[-1] if component is not None else "?",
            constraint=str(constraint) if isinstance(constraint, URIRef) else None,
            focus=_text(focus) or "?",
            focus_label=_label(data, focus) if focus is not None else None,
            path=_path_text(report, report.value(result, SH.resultPath), shapes),
            value=_text(value) if not isinstance(value, Literal) else value.n3(),
            message=message or "(no message)",
        )


def _pick_message(messages: list[str], shapes: Graph, shape) -> str:
    shape_messages = {str(m) for m in shapes.objects(shape, SH.message)}
    specific = [m for m in messages if m not in shape_messages]
    return (specific or messages or [""])[0]


def build_step(ctx) -> None:
    """`allkg build` step: refuse to publish a graph with violations; warnings become notes."""
    from graph_build.errors import CheckFailed
    from graph_build.report import format_text

    graph = ctx.graph
    report = validate_graph(graph)
    if not report.conforms:
        only_violations = ValidationReport(conforms=False, results=report.violations, report_graph=report.report_graph)
        raise CheckFailed(
            f"SHACL validation failed ({len(report.violations)} violation(s), {len(report.warnings)} warning(s)); "
            "dist/ was left as it was. Run `allkg validate` on the graph for the full report.\n"
            + format_text(only_violations).split("\n", 1)[1].strip()
        )
    if report.warnings:
        ctx.notes.append(f"SHACL validation: conforms, with {len(report.warnings)} warning(s) for a curator:")
        for result in report.warnings:
            name = f"'{result.focus_label}' " if result.focus_label else ""
            ctx.notes.append(f"  warning: {name}<{result.focus}>: {result.message}")
    else:
        ctx.notes.append("SHACL validation: conforms (no warnings)")
