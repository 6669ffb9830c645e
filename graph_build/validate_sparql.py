"""SHACL-SPARQL constraints evaluated once for all focus nodes, on pyoxigraph.

pyshacl evaluates a SHACL-SPARQL constraint with one rdflib query per focus node ($this
pre-bound), which is most of the validation time of ALL-KG. `whole_graph_sparql_constraints`
makes pyshacl run each such query ONCE on a pyoxigraph copy of the data graph with $this free,
then hands each focus node its own solutions; pyshacl still builds every result (message
templates, sh:value, sh:resultPath, ...), so reports do not change.

It takes this route only for constraints with many focus nodes (MIN_FOCUS_NODES), and only when
it gives pyshacl's answer; otherwise it leaves the constraint to pyshacl: node shapes only (no $PATH/$value), $this as the only pre-bound variable, $this among
the query's result variables, and a data graph whose terms survive the copy unchanged
(pyoxigraph stores "1.50"^^xsd:decimal as "1.5": two literals that it would merge, a term it
refuses, or any other error sends the whole run back to pyshacl's own evaluation).
"""
from __future__ import annotations

import contextlib
import re
from typing import Iterator

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import ConjunctiveGraph

# pyoxigraph could reach the network through SERVICE; FROM <...> names graphs we do not have.
NETWORK_SPARQL = re.compile(r"\bSERVICE\b|\bFROM\s+(NAMED\s+)?<", re.IGNORECASE)


# Below this many focus nodes pyshacl's per-node queries are cheap, and a query with $this free
# can cost far more on pyoxigraph (allkgsh:SameKindConstraint: 58 nodes, 0.1 s per node in
# rdflib against 1.3 s free in pyoxigraph, whose FILTER NOT EXISTS then walks every class).
MIN_FOCUS_NODES = 100

# Constraints left to pyshacl's per-node evaluation at every size: Oxigraph evaluates their
# NOT EXISTS over two rdf:type/rdfs:subClassOf* closures for the whole graph before joining
# (measured: 0.9 s on our graph, > 140 s at 10^5 triples, against ~10 ms per node in rdflib).
PER_NODE_CONSTRAINTS = frozenset({"https://w3id.org/allkg/shapes/SameKindConstraint"})


class _Unsupported(Exception):
    """The data graph cannot be copied to pyoxigraph without changing a term."""


class _OxigraphCopy:
    """A pyoxigraph store holding the data graph, with the way back to the original terms."""

    def __init__(self, graph: Graph) -> None:
        import pyoxigraph as ox

        self._ox = ox
        self._bnodes_to_ox: dict[BNode, object] = {}
        self._back: dict[object, object] = {}  # stored pyoxigraph term -> original rdflib term
        literals: dict[Literal, object] = {}
        quads = []
        default = ox.DefaultGraph()
        for s, p, o in graph:
            for term in (s, o):
                if isinstance(term, Literal) and term not in literals:
                    literals[term] = self._literal(term)
            quads.append(ox.Quad(self._node(s), self._node(p), literals[o] if isinstance(o, Literal) else self._node(o),
                                 default))
        self._map_stored_literals(literals)
        self.store = ox.Store()
        self.store.bulk_extend(quads)

    def _node(self, term):
        ox = self._ox
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            node = self._bnodes_to_ox.get(term)
            if node is None:
                node = self._bnodes_to_ox[term] = ox.BlankNode()
                self._back[node] = term
            return node
        raise _Unsupported(f"unsupported term {term!r}")

    def _literal(self, term: Literal):
        ox = self._ox
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))

    def _map_stored_literals(self, literals: dict[Literal, object]) -> None:
        """Learn the form pyoxigraph stores each literal in; refuse graphs where two would merge."""
        ox = self._ox
        scratch = ox.Store()
        originals = list(literals)
        predicate = ox.NamedNode("urn:allkg:literal")
        scratch.bulk_extend([ox.Quad(ox.NamedNode(f"urn:allkg:{i}"), predicate, literals[term], ox.DefaultGraph())
                             for i, term in enumerate(originals)])
        seen = 0
        for quad in scratch:
            original = originals[int(quad.subject.value.rsplit(":", 1)[1])]
            if quad.object in self._back and self._back[quad.object] != original:
                raise _Unsupported("two literals are the same term for pyoxigraph")
            self._back[quad.object] = original
            seen += 1
        if seen != len(originals):
            raise _Unsupported("pyoxigraph merged literals")

    def to_rdflib(self, term):
        original = self._back.get(term)
        if original is not None:
            return original
        ox = self._ox
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return Literal(term.value, lang=term.language)
            return Literal(term.value, datatype=URIRef(term.datatype.value))
        raise _Unsupported(f"query produced a term with no rdflib original: {term!r}")

    def solutions_by_focus(self, query: str) -> dict | None:
        """Each $this -> its solutions (as pyshacl's var dicts), or None if $this is not a result variable."""
        results = self.store.query(query)
        names = [v.value for v in results.variables]
        if "this" not in names:
            return None
        grouped: dict = {}
        for solution in results:
            row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = self.to_rdflib(value)
            this = row.get("this")
            if this is not None:
                grouped.setdefault(this, []).append(row)
        return grouped


def _violations(rows: list[dict]) -> list:
    """pyshacl's `_validate_sparql_query` on the solutions of one focus node (same order, dedup)."""
    violations: list = []
    found_failure = False
    for row in rows:
        var_dict = dict(row)
        failure = var_dict.pop("failure", None)
        if failure is not None:
            if found_failure:
                continue
            violations.append((True, var_dict))
            found_failure = True
        else:
            p = var_dict.pop("path", None)
            v = var_dict.pop("value", None)
            t = var_dict.pop("this", None)
            if (p is not None) or (v is not None) or (t is not None):
                if (t, p, v, var_dict) in violations:
                    continue
                violations.append((t, p, v, var_dict))
    return violations


@contextlib.contextmanager
def whole_graph_sparql_constraints() -> Iterator[None]:
    """While active, pyshacl answers eligible SHACL-SPARQL constraints with one pyoxigraph query each."""
    from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint

    original_evaluate = SPARQLBasedConstraint._evaluate_sparql_constraint
    copies: dict[int, _OxigraphCopy | None] = {}
    answers: dict = {}

    def copy_of(graph) -> _OxigraphCopy | None:
        # pyshacl wraps a plain rdflib Graph (RdfLibDataGraph) and sends queries to `.impl`.
        if getattr(graph, "is_multi_graph", None) is False:
            graph = graph.impl
        if id(graph) not in copies:
            usable = type(graph) is Graph and not isinstance(graph, ConjunctiveGraph)
            try:
                copies[id(graph)] = _OxigraphCopy(graph) if usable else None
            except Exception:  # noqa: BLE001 - any doubt: pyshacl evaluates as usual
                copies[id(graph)] = None
        return copies[id(graph)]

    def evaluate(self, sparql_constraint, target_graph, f_v_dict):
        eligible = (not self.shape.is_property_shape and len(f_v_dict) >= MIN_FOCUS_NODES
                    and str(getattr(sparql_constraint, "node", "")) not in PER_NODE_CONSTRAINTS)
        copy = copy_of(target_graph) if eligible else None
        grouped = None
        if copy is not None:
            init_binds, text = sparql_constraint.pre_bind_variables(next(iter(f_v_dict)))
            text = sparql_constraint.apply_prefixes(text)
            if set(init_binds) == {"this"} and not NETWORK_SPARQL.search(text):
                key = (id(target_graph), text)
                if key not in answers:
                    try:
                        answers[key] = copy.solutions_by_focus(text)
                    except Exception:  # noqa: BLE001 - pyshacl evaluates it (and reports errors) as usual
                        answers[key] = None
                grouped = answers[key]
        if grouped is None:
            return original_evaluate(self, sparql_constraint, target_graph, f_v_dict)

        def answer(_self, _query, init_binds, _graph):
            return _violations(grouped.get(init_binds.get("this"), []))

        self._validate_sparql_query = answer.__get__(self)
        try:
            return original_evaluate(self, sparql_constraint, target_graph, f_v_dict)
        finally:
            del self._validate_sparql_query

    SPARQLBasedConstraint._evaluate_sparql_constraint = evaluate
    try:
        yield
    finally:
        SPARQLBasedConstraint._evaluate_sparql_constraint = original_evaluate
