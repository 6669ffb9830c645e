"""In-process measurements, each run in a child process so the parent can bound it with a timeout.

`python -m bench.worker OP` reads a JSON payload on stdin and prints one JSON line on stdout.
OPs: queries (QueryEngine.run vs raw pyoxigraph Store.query vs rdflib, with result checks),
serialize (parse and Turtle export: ours vs pyoxigraph), validate (one SHACL engine; writes its
result set for comparison), reason (one owlready2 reasoner). A missing project piece gives
{"status": "not available", "detail": ...}, never a traceback.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

NOT_AVAILABLE = "not available"


def _timed(fn: Callable[[], Any], reps: int, budget: float) -> tuple[list[float], Any]:
    """Run fn up to `reps` times (at least once), stopping early when `budget` seconds are spent."""
    samples: list[float] = []
    result = None
    spent = 0.0
    for _ in range(max(1, reps)):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        samples.append(elapsed)
        spent += elapsed
        if spent > budget:
            break
    return samples, result


def _summary(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "runs": len(samples), "samples": samples}


# --- result normalisation: compare engines on values, not on their Python types ---------------------

def _norm_value(text: str) -> str:
    """Numbers compare by value (1, 1.0 and "1"^^xsd:integer agree); other values as text."""
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return text
    if not number.is_finite():
        return text
    return format(number.normalize(), "f")


def _term_text(term: Any) -> str:
    if term is None:
        return ""
    kind = type(term).__name__
    if kind in ("BlankNode", "BNode"):
        return "_:"
    value = getattr(term, "value", None)
    if isinstance(value, str) and kind != "Literal":
        return value
    if kind == "Literal":
        return _norm_value(str(term.value) if hasattr(term, "value") and isinstance(term.value, str) else str(term))
    return _norm_value(str(term))


def normalise(result: Any) -> Any:
    """A comparable form of a SPARQL result: bool (ASK), sorted rows (SELECT), sorted triples (CONSTRUCT)."""
    if isinstance(result, bool):
        return result
    kind = type(result).__name__
    if kind == "QueryBoolean":
        return bool(result)
    if kind == "QuerySolutions":  # pyoxigraph SELECT
        names = [v.value for v in result.variables]
        return sorted(tuple(_term_text(row[name]) for name in names) for row in result)
    if kind == "QueryTriples":  # pyoxigraph CONSTRUCT/DESCRIBE
        return sorted((_term_text(t.subject), _term_text(t.predicate), _term_text(t.object)) for t in result)
    if kind == "Result":  # rdflib
        if result.type == "ASK":
            return bool(result.askAnswer)
        if result.type == "SELECT":
            names = [str(v) for v in result.vars]
            return sorted(tuple(_term_text(row[name]) for name in names) for row in result)
        return sorted(tuple(_term_text(t) for t in triple) for triple in result)
    if kind == "QueryResult":  # graph_build.store.QueryResult (issue 4)
        if result.kind == "ask":
            return bool(result.boolean)
        if result.kind in ("construct", "describe"):
            return sorted((_term_text(t.subject), _term_text(t.predicate), _term_text(t.object))
                          for t in result.triples)
        return sorted(tuple(_term_text(v) for v in row) for row in result.rows)
    if isinstance(result, dict) and "boolean" in result:  # SPARQL JSON results
        return bool(result["boolean"])
    if isinstance(result, dict) and "results" in result:
        names = result.get("head", {}).get("vars", [])
        return sorted(tuple(_norm_value(row.get(n, {}).get("value", "")) if row.get(n, {}).get("type") != "bnode"
                            else "_:" for n in names) for row in result["results"]["bindings"])
    rows = getattr(result, "rows", None)
    if rows is not None:
        return sorted(tuple(_term_text(v) for v in (row.values() if isinstance(row, dict) else row)) for row in rows)
    if isinstance(result, (list, tuple)):
        return sorted(tuple(_term_text(v) for v in (row.values() if isinstance(row, dict) else row)) for row in result)
    return repr(result)


def same_results(left: Any, right: Any) -> bool:
    """Equal results, ignoring the order of GROUP_CONCAT items (SPARQL leaves it unspecified):
    each cell is compared as its sorted multiset of words."""
    if not (isinstance(left, list) and isinstance(right, list)):
        return left == right

    def relaxed(rows: list) -> list:
        return sorted(tuple(" ".join(sorted(cell.replace(",", " ").split())) for cell in row) for row in rows)

    return left == right or relaxed(left) == relaxed(right)


# --- the project's QueryEngine (issue 4), whatever its exact constructor ----------------------------

def open_query_engine(graph: Path) -> tuple[Any, Callable[[str], Any]] | tuple[None, str]:
    """(engine, run) for graph_build.store.QueryEngine on `graph`, or (None, why not)."""
    try:
        from graph_build import store
    except ImportError as exc:
        return None, f"graph_build.store not importable ({exc})"
    engine_class = getattr(store, "QueryEngine", None)
    if engine_class is None:
        return None, "graph_build.store has no QueryEngine"
    attempts: list[Callable[[], Any]] = [lambda: engine_class([graph])]
    for name in ("from_file", "from_files", "load", "open", "from_path"):
        factory = getattr(engine_class, name, None)
        if callable(factory):
            attempts.append(lambda f=factory, n=name: f([graph]) if n == "from_files" else f(graph))
    attempts.append(lambda: engine_class(graph))
    last_error = ""
    for attempt in attempts:
        try:
            engine = attempt()
        except Exception as exc:  # noqa: BLE001 - try the next constructor shape
            last_error = f"{type(exc).__name__}: {exc}"
            continue
        run = getattr(engine, "run", None) or getattr(engine, "query", None)
        if callable(run):
            return engine, run
    return None, f"could not open QueryEngine on {graph.name}: {last_error}"


def _consume(result: Any) -> Any:
    """Materialise lazy results so the timing includes producing every row."""
    kind = type(result).__name__
    if kind in ("QuerySolutions", "QueryTriples"):
        return list(result)
    if kind == "Result":
        return list(result) if result.type != "ASK" else result.askAnswer
    rows = getattr(result, "rows", None)
    if rows is not None:
        return list(rows)
    return result


def op_queries(payload: dict) -> dict:
    import pyoxigraph as ox

    graph = Path(payload["graph"])
    reps, budget = int(payload.get("reps", 5)), float(payload.get("budget", 20))
    with_rdflib = bool(payload.get("rdflib", False))
    answer: dict = {"status": "ok", "queries": {}}

    start = time.perf_counter()
    raw = ox.Store()
    raw.bulk_load(path=str(graph), format=ox.RdfFormat.TURTLE)
    answer["raw_load"] = time.perf_counter() - start
    answer["triples"] = len(raw)

    engine = None
    if payload.get("engine", True):
        start = time.perf_counter()
        engine, run = open_query_engine(graph)
        answer["engine_load"] = time.perf_counter() - start if engine is not None else None
        answer["engine_status"] = "ok" if engine is not None else f"{NOT_AVAILABLE}: {run}"

    rdflib_run = None
    if with_rdflib:
        start = time.perf_counter()
        try:
            from graph_build.store import RdflibEngine

            rdflib_run = RdflibEngine([graph]).run
        except ImportError:  # before issue 4's engines exist: rdflib directly (no SERVICE in our queries)
            from rdflib import Graph

            rdflib_run = Graph().parse(str(graph), format="turtle").query
        answer["rdflib_load"] = time.perf_counter() - start

    for name, path in sorted(payload["queries"].items()):
        text = Path(path).read_text(encoding="utf-8")
        entry: dict = {}
        samples, _ = _timed(lambda: _consume(raw.query(text)), reps, budget)
        raw_norm = normalise(raw.query(text))
        entry["raw"] = _summary(samples)
        entry["rows"] = len(raw_norm) if isinstance(raw_norm, list) else 1
        if engine is not None:
            try:
                samples, _ = _timed(lambda: _consume(run(text)), reps, budget)
                entry["engine"] = _summary(samples)
                entry["engine_equal"] = same_results(normalise(run(text)), raw_norm)
            except Exception as exc:  # noqa: BLE001 - one bad query must not hide the others
                entry["engine_error"] = f"{type(exc).__name__}: {exc}"[:300]
        if rdflib_run is not None:
            try:
                samples, rdflib_result = _timed(lambda: _consume(rdflib_run(text)), 1, budget)
                entry["rdflib"] = _summary(samples)
                entry["rdflib_equal"] = same_results(normalise(rdflib_run(text)), raw_norm)
            except Exception as exc:  # noqa: BLE001
                entry["rdflib_error"] = f"{type(exc).__name__}: {exc}"[:300]
        answer["queries"][name] = entry
    return answer


# --- parsing and Turtle export ----------------------------------------------------------------------

def op_serialize(payload: dict) -> dict:
    import pyoxigraph as ox

    from graph_build import rdf_io

    graph_file = Path(payload["graph"])
    reps, budget = int(payload.get("reps", 3)), float(payload.get("budget", 60))
    answer: dict = {"status": "ok"}

    samples, quads = _timed(lambda: list(ox.parse(path=str(graph_file), format=ox.RdfFormat.TURTLE)), reps, budget)
    answer["parse_raw"] = _summary(samples)
    samples, graph = _timed(lambda: rdf_io.parse_rdf_file(graph_file), reps, budget)
    answer["parse_ours"] = _summary(samples)
    answer["triples"] = len(graph)

    from graph_build.namespaces import PREFIXES

    samples, raw_bytes = _timed(lambda: ox.serialize(quads, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES),
                                reps, budget)
    answer["serialize_raw"] = _summary(samples)
    samples, ours = _timed(lambda: rdf_io.turtle_bytes(graph), reps, budget)
    answer["serialize_ours"] = _summary(samples)
    # The writer must give the same graph (checked by parsing both back with pyoxigraph).
    answer["serialize_ours_equal"] = _same_triples(ours, raw_bytes)
    try:
        from graph_build import export
    except ImportError:
        export = None
    if export is not None and hasattr(export, "export_files"):
        formats = ("nt", "jsonld", "owl")
        turtle = graph_file.read_bytes()
        samples, _ = _timed(lambda: export.export_files(turtle, formats=formats, notes=[]), reps, budget)
        answer["export_files"] = _summary(samples)

        def raw_exports() -> None:
            triples = [q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]
            for fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
                ox.serialize(triples, format=fmt, prefixes=PREFIXES) if fmt != ox.RdfFormat.N_TRIPLES else \
                    ox.serialize(triples, format=fmt)

        samples, _ = _timed(raw_exports, reps, budget)
        answer["export_raw"] = _summary(samples)
        answer["export_note"] = "formats nt, jsonld, owl (RDF/XML), from the Turtle bytes"

        # Turtle out of a Turtle file, as `allkg export --format full` writes it (canonical
        # blank nodes, sorted, the import modules merged in) against pyoxigraph parse + write.
        from graph_build import paths

        samples, full = _timed(lambda: export.export_files(turtle, formats=("full",), imports_dir=paths.IMPORTS_DIR,
                                                           notes=[]), reps, budget)
        if full:
            answer["export_turtle"] = _summary(samples)
            samples, _ = _timed(lambda: ox.serialize([q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)],
                                                     format=ox.RdfFormat.TURTLE, prefixes=PREFIXES), reps, budget)
            answer["export_turtle_raw"] = _summary(samples)
    answer["bytes_ours"] = len(ours)
    answer["bytes_raw"] = len(raw_bytes)
    return answer


def _same_triples(left: bytes, right: bytes) -> bool:
    import pyoxigraph as ox

    def triples(data: bytes) -> set[str]:
        # Blank-node labels differ between writers: compare canonical (RDFC-1.0) forms.
        dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.TURTLE))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return {str(q.triple) for q in dataset}

    return triples(left) == triples(right)


# --- SHACL ------------------------------------------------------------------------------------------

def result_set(results_graph) -> list[list[str]]:
    """The validation results as sorted (focus, path, value, shape, component, severity) rows;
    blank nodes (anonymous shapes, paths) become "_:" so engines compare on what they found."""
    from rdflib import BNode, Namespace
    from rdflib.namespace import RDF

    SH = Namespace("http://www.w3.org/ns/shacl#")

    def text(term) -> str:
        if term is None:
            return ""
        return "_:" if isinstance(term, BNode) else term.n3()

    rows = []
    for result in results_graph.subjects(RDF.type, SH.ValidationResult):
        rows.append([text(results_graph.value(result, p)) for p in (
            SH.focusNode, SH.resultPath, SH.value, SH.sourceShape, SH.sourceConstraintComponent, SH.resultSeverity)])
    return sorted(rows)


def _declared_prefixes(shapes, declarer) -> str:
    from rdflib import Namespace

    SH = Namespace("http://www.w3.org/ns/shacl#")
    lines = []
    for declaration in shapes.objects(declarer, SH.declare):
        prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration, SH.namespace)
        if prefix is not None and namespace is not None:
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(lines)) + "\n"


def _focus_nodes(store, shapes, shape) -> set:
    """The focus nodes of a node shape's targets (SHACL 2.1.3), found with pyoxigraph."""
    import pyoxigraph as ox
    from rdflib import Namespace

    SH = Namespace("http://www.w3.org/ns/shacl#")
    nodes: set = set()
    for cls in shapes.objects(shape, SH.targetClass):
        query = ("SELECT DISTINCT ?n WHERE { ?n <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/"
                 f"<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{cls}> }}")
        nodes.update(row["n"] for row in store.query(query))
    for node in shapes.objects(shape, SH.targetNode):
        nodes.add(ox.NamedNode(str(node)))
    for predicate in shapes.objects(shape, SH.targetSubjectsOf):
        nodes.update(q.subject for q in store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None))
    for predicate in shapes.objects(shape, SH.targetObjectsOf):
        nodes.update(q.object for q in store.quads_for_pattern(None, ox.NamedNode(str(predicate)), None))
    return nodes


def split_validate(data, shapes, data_file: Path, core_validate) -> tuple[bool, list[list[str]], dict]:
    """Validation in two parts that together give pySHACL's result set, faster:
    the core constraints (every shape without its sh:sparql) through `core_validate`, and each
    SHACL-SPARQL constraint as ONE query on pyoxigraph for all focus nodes at once ($this left
    free, then kept only for the shape's focus nodes) instead of one rdflib query per focus node.
    Valid for SELECT constraints on node shapes whose $this is bound by the query's own pattern
    (all of ontology/shapes.ttl); the benchmark checks the result set against pySHACL's."""
    import pyoxigraph as ox
    from rdflib import BNode, Graph, Namespace

    from graph_build.rdf_io import _to_rdflib

    SH = Namespace("http://www.w3.org/ns/shacl#")
    timings: dict = {}
    start = time.perf_counter()
    core = Graph()
    for triple in shapes:
        if triple[1] != SH.sparql:
            core.add(triple)
    conforms, results_graph, _ = core_validate(data, shacl_graph=core, inference="none", allow_warnings=True,
                                               advanced=True)
    rows = result_set(results_graph)
    timings["core"] = time.perf_counter() - start

    start = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(data_file), format=ox.RdfFormat.TURTLE)
    timings["load"] = time.perf_counter() - start
    start = time.perf_counter()

    def text(term) -> str:
        return "_:" if term is None or isinstance(term, BNode) else term.n3()

    bnodes: dict = {}
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql)):
        if shapes.value(shape, SH.deactivated) is not None and shapes.value(shape, SH.deactivated).toPython():
            continue
        if shapes.value(constraint, SH.deactivated) is not None and shapes.value(constraint, SH.deactivated).toPython():
            continue
        select = shapes.value(constraint, SH.select)
        if select is None:
            continue
        query = "".join(_declared_prefixes(shapes, p) for p in shapes.objects(constraint, SH.prefixes)) + str(select)
        focus = _focus_nodes(store, shapes, shape)
        severity = shapes.value(shape, SH.severity) or SH.Violation
        for solution in _solutions_for(store, query, focus):
            this = solution["this"]
            value = solution["value"] if _has_var(solution, "value") else None
            path = solution["path"] if _has_var(solution, "path") else None
            focus_term = _to_rdflib(this, bnodes)
            rows.append([text(focus_term), text(_to_rdflib(path, bnodes)) if path is not None else "",
                         text(_to_rdflib(value, bnodes)) if value is not None else text(focus_term),
                         text(shape), SH.SPARQLConstraintComponent.n3(), severity.n3()])
            conforms = False if severity == SH.Violation else conforms
    timings["sparql"] = time.perf_counter() - start
    return conforms, sorted(rows), timings


def _solutions_for(store, query: str, focus: set):
    """Solutions of a SHACL-SPARQL SELECT for every focus node at once: the focus nodes are given
    as one `VALUES ?this {...}` block at the start of the outer WHERE (one query instead of one per
    node; with $this free instead, pyoxigraph may explore every subject); blank-node focus nodes,
    which VALUES cannot name, are matched by evaluating with $this free."""
    import pyoxigraph as ox

    named = sorted(str(n) for n in focus if not isinstance(n, ox.BlankNode))
    blanks = {n for n in focus if isinstance(n, ox.BlankNode)}
    where = re.search(r"\bWHERE\s*\{", query, re.I)
    if named and where:
        batched = query[:where.end()] + f"\n VALUES ?this {{ {' '.join(named)} }}\n" + query[where.end():]
        yield from store.query(batched)
    elif named:
        blanks = set(focus)
    if blanks:
        for solution in store.query(query):
            if solution["this"] in blanks:
                yield solution


def _has_var(solution, name: str) -> bool:
    try:
        return solution[name] is not None
    except (KeyError, IndexError, TypeError, ValueError):
        return False


def op_validate(payload: dict) -> dict:
    from graph_build.rdf_io import parse_rdf_file

    engine_name = payload["engine"]
    shapes_file = Path(payload["shapes"])
    if not shapes_file.exists():
        return {"status": NOT_AVAILABLE, "detail": f"no shapes file {shapes_file.name}"}
    try:
        if engine_name == "pyshacl-turbo":
            from pyshacl_turbo import validate
        else:
            from pyshacl import validate
    except ImportError as exc:
        return {"status": NOT_AVAILABLE, "detail": f"{engine_name} not installed ({exc})"}
    start = time.perf_counter()
    data = parse_rdf_file(Path(payload["graph"]))
    shapes = parse_rdf_file(shapes_file)
    answer: dict = {"status": "ok", "load": time.perf_counter() - start, "triples": len(data)}
    inference = payload.get("inference", "none")
    reps, budget = int(payload.get("reps", 1)), float(payload.get("budget", 60))
    if engine_name == "project":
        try:
            from graph_build.validate import validate_graph
        except ImportError as exc:
            return {"status": NOT_AVAILABLE, "detail": f"graph_build.validate not available ({exc})"}

        def project_route():
            report = validate_graph(data, shapes)
            return report.conforms, result_set(report.report_graph)

        samples, (conforms, rows) = _timed(project_route, reps, budget)
    elif engine_name.startswith("split-"):
        samples, (conforms, rows, parts) = _timed(
            lambda: split_validate(data, shapes, Path(payload["graph"]), validate), reps, budget)
        answer["parts"] = parts
    else:
        samples, (conforms, results_graph, _text) = _timed(
            lambda: validate(data, shacl_graph=shapes, inference=inference, allow_warnings=True, advanced=True),
            reps, budget)
        rows = result_set(results_graph)
    answer["validate"] = _summary(samples)
    answer["conforms"] = bool(conforms)
    answer["results"] = len(rows)
    if payload.get("out"):
        Path(payload["out"]).write_text(json.dumps(rows), encoding="utf-8")
    return answer


# --- OWL reasoning ----------------------------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
OWL2_XSD_DATATYPES = frozenset(XSD + name for name in (
    "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "double", "float",
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary",
    "base64Binary", "anyURI", "dateTime", "dateTimeStamp"))


def _outside_owl2_datatypes(term) -> bool:
    """An xsd: datatype IRI, or a literal typed with one, that the OWL 2 datatype map lacks."""
    datatype = getattr(term, "datatype", None)
    iri = datatype.value if datatype is not None else getattr(term, "value", "")
    return isinstance(iri, str) and iri.startswith(XSD) and iri not in OWL2_XSD_DATATYPES


def op_reason(payload: dict) -> dict:
    """Load the graph without its provenance records (rdf:Statement is outside OWL 2 DL, and the
    build gives the reasoner the graph without them) into owlready2 and run one reasoner."""
    import shutil
    import tempfile

    import pyoxigraph as ox

    if not shutil.which("java"):
        return {"status": NOT_AVAILABLE, "detail": "no Java runtime"}
    try:
        import owlready2
    except ImportError as exc:
        return {"status": NOT_AVAILABLE, "detail": f"owlready2 not installed ({exc})"}

    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    statement = "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"
    imports = "http://www.w3.org/2002/07/owl#imports"
    start = time.perf_counter()
    quads = list(ox.parse(path=payload["graph"], format=ox.RdfFormat.TURTLE))
    records = {q.subject for q in quads if q.predicate.value == rdf_type and getattr(q.object, "value", "") == statement}
    # owl:imports are dropped so owlready2 never fetches anything.
    # Datatypes outside the OWL 2 datatype map (xsd:gYear, xsd:date, xsd:duration) make HermiT refuse
    # the ontology: literals and ranges using them are dropped (the project's reason step does the same).
    kept = [q for q in quads if q.subject not in records and q.predicate.value != imports
            and not _outside_owl2_datatypes(q.object)]
    workdir = Path(tempfile.mkdtemp(prefix="allkg-bench-reason-"))
    try:
        nt = workdir / "graph.nt"
        try:
            # The project's own reasoner input (graph_build/reason.py, issue 6) when it exists.
            from graph_build.rdf_io import parse_rdf_file
            from graph_build.reason import dl_input

            nt.write_bytes(dl_input(parse_rdf_file(Path(payload["graph"]))).graph.serialize(format="nt",
                                                                                           encoding="utf-8"))
            prepared_by = "graph_build.reason.dl_input"
        except ImportError:
            nt.write_bytes(ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES))
            prepared_by = "bench (records, imports, non-OWL datatypes dropped)"
        world = owlready2.World()
        ontology = world.get_ontology(nt.as_uri()).load()
        answer: dict = {"status": "ok", "load": time.perf_counter() - start, "input": prepared_by}
        reasoner = payload.get("reasoner", "hermit")
        sync = owlready2.sync_reasoner_pellet if reasoner == "pellet" else owlready2.sync_reasoner_hermit
        start = time.perf_counter()
        with ontology:
            sync(world, infer_property_values=False, debug=0)
        answer["reason"] = {"median": time.perf_counter() - start, "runs": 1}
        answer["inconsistent"] = len(list(world.inconsistent_classes()))
        return answer
    except owlready2.OwlReadyInconsistentOntologyError:
        return {"status": "ok", "detail": "found the graph inconsistent",
                "reason": {"median": time.perf_counter() - start, "runs": 1}}
    except owlready2.OwlReadyJavaError as exc:
        lines = [line for line in str(exc).splitlines() if "Exception" in line or "Error" in line]
        return {"status": "failed", "detail": (lines[1] if len(lines) > 1 else str(exc))[:300]}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def op_build(payload: dict) -> dict:
    """`allkg build` in-process, step by step, into a scratch folder (what each step costs)."""
    from graph_build.build import BuildContext, BuildOptions, build_graph, build_steps, publish

    options = BuildOptions(dist=Path(payload["dist"]), log=lambda message: None)
    steps: list[list] = []
    start = time.perf_counter()
    ctx = BuildContext(options=options, graph=build_graph(options))
    steps.append(["tables → graph", time.perf_counter() - start])
    for name, step in build_steps(options):
        start = time.perf_counter()
        step(ctx)
        steps.append([name, time.perf_counter() - start])
    start = time.perf_counter()
    publish(ctx.outputs, options.dist)
    steps.append(["publish", time.perf_counter() - start])
    return {"status": "ok", "steps": steps}


OPS = {"build": op_build, "queries": op_queries, "serialize": op_serialize, "validate": op_validate, "reason": op_reason}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in OPS:
        print(f"usage: python -m bench.worker {{{','.join(OPS)}}} < payload.json", file=sys.stderr)
        return 2
    payload = json.loads(sys.stdin.read() or "{}")
    answer = OPS[argv[0]](payload)
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
