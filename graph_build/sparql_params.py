"""SPARQL query text: the library header, parameters, and the checks made before a query runs.

Library query files (queries/*.rq) start with a comment block::

    # Which sources state each symptom of ALL?          <- the question (first paragraph)
    #
    # param: disease = all:ALL  -- the disease whose symptoms are listed
    # columns: symptom, source_count, sources

Parameters use a standard SPARQL 1.1 mechanism, so every file runs as-is in any other tool
with its default: a one-variable `VALUES ?disease { all:ALL }` block. `--param disease=all:B_ALL`
rewrites the inside of that block with one validated RDF term (an IRI, a CURIE expanded to an
IRI, a number, or a string literal with escaping) -- never with raw text, so a value cannot
inject SPARQL. A parameter whose default is `UNDEF` is required.

The checks look at the query's tokens with comments, strings and IRIs masked out (same length,
so offsets still match the text): an update (INSERT, DELETE, LOAD, CLEAR, ...) is recognised by
the first keyword after the prologue (SPARQL 1.1 grammar: Update1 always starts with one of
them), and a SERVICE clause by the SERVICE keyword as a token.

Pure Python, no RDF library imported: `allkg query` starts fast.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from graph_build.errors import InputError

UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")

# Characters SPARQL forbids inside <IRI> (IRIREF production), plus whitespace and controls.
_IRI_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_PNAME = re.compile(r"^([A-Za-z][\w\-.]*)?:(.*)$", re.S)
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)$")
_PARAM_LINE = re.compile(r"^param:\s*(?P<name>[A-Za-z_]\w*)\s*(?:=\s*(?P<default>.*?))?\s*(?:--\s*(?P<doc>.*))?$")
_COLUMNS_LINE = re.compile(r"^columns:\s*(?P<columns>.*)$")
_VALUES_BLOCK = re.compile(r"\bVALUES\s*[?$](?P<name>[A-Za-z_]\w*)\s*\{(?P<body>[^{}]*)\}", re.I)
_PREFIX_DECL = re.compile(r"\bPREFIX\s+(?P<prefix>[A-Za-z][\w\-.]*)?:\s*<(?P<iri>[^<>\s]*)>", re.I)
_SERVICE = re.compile(r"(?<![\w?$:\-])SERVICE(?![\w\-:])", re.I)


# --------------------------------------------------------------------------- lexical masking

def mask_query(text: str) -> str:
    """The text with comments, string literals and IRIs replaced by spaces (offsets unchanged).

    IRIs keep their angle brackets (so `PREFIX x: <...>` still parses), their content is blanked.
    """
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out[i:j] = " " * (j - i)
            i = j
        elif ch in "\"'":
            long_quote = text.startswith(ch * 3, i)
            quote = ch * 3 if long_quote else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\":
                    j += 1
                elif not long_quote and text[j] == "\n":
                    break  # unterminated short string: let the parser report it
                j += 1
            j = min(n, j + len(quote))
            out[i:j] = " " * (j - i)
            i = j
        elif ch == "<":
            match = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>").match(text, i)
            if match:  # an IRI (a '<' that is not an IRI is the less-than operator)
                j = match.end()
                out[i + 1 : j - 1] = " " * (j - i - 2)
                i = j
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


def query_form(text: str) -> str:
    """The first keyword after the prologue (BASE/PREFIX declarations), upper-cased, or ''."""
    masked = mask_query(text)
    pos = 0
    token = re.compile(r"\s*([A-Za-z]+)")
    while True:
        match = token.match(masked, pos)
        if not match:
            return ""
        word = match.group(1).upper()
        if word == "PREFIX":
            decl = re.compile(r"\s*([A-Za-z][\w\-.]*)?:\s*<[^>]*>").match(masked, match.end())
            if not decl:
                return word
            pos = decl.end()
        elif word == "BASE":
            decl = re.compile(r"\s*<[^>]*>").match(masked, match.end())
            if not decl:
                return word
            pos = decl.end()
        else:
            return word


def is_update(text: str) -> bool:
    return query_form(text) in UPDATE_KEYWORDS


def uses_service(text: str) -> bool:
    return bool(_SERVICE.search(mask_query(text)))


def check_query(text: str, *, allow_service: bool = False, where: str = "query") -> str:
    """Refuse what `allkg query` never runs; return the query form (SELECT, ASK, ...)."""
    if not text.strip():
        raise InputError(f"{where}: the query is empty")
    form = query_form(text)
    if form in UPDATE_KEYWORDS:
        raise InputError(
            f"{where}: {form} is a SPARQL update; allkg query only reads the graph "
            "(updates are refused: edit data/*.tsv and run `allkg build` instead)"
        )
    if not allow_service and uses_service(text):
        raise InputError(
            f"{where}: the query has a SERVICE clause, which would send a request over the network; "
            "refused (pass --allow-service to permit it)"
        )
    return form


def declared_prefixes(text: str) -> dict[str, str]:
    return {m.group("prefix") or "": m.group("iri") for m in _PREFIX_DECL.finditer(mask_query_keep_iris(text))}


def mask_query_keep_iris(text: str) -> str:
    """Like mask_query but IRIs are kept (to read PREFIX declarations)."""
    masked = mask_query(text)
    out = list(masked)
    for match in re.finditer(r"<[^<>\"{}|^`\\\x00-\x20]*>", text):
        if masked[match.start()] == "<":
            out[match.start() : match.end()] = text[match.start() : match.end()]
    return "".join(out)


# --------------------------------------------------------------------------- header

@dataclass(frozen=True)
class Parameter:
    name: str
    default: str | None  # None: required (VALUES ?name { UNDEF })
    doc: str = ""


@dataclass
class QueryText:
    """A query with its header: question, parameters and columns."""

    text: str
    where: str = "query"  # file name or 'query', for messages
    question: str = ""
    notes: str = ""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return Path(self.where).stem

    @classmethod
    def parse(cls, text: str, where: str = "query") -> "QueryText":
        query = cls(text=text, where=where)
        paragraphs: list[list[str]] = [[]]
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped.startswith("#"):
                if stripped:
                    break  # the header is the leading comment block
                continue
            body = stripped.lstrip("#").strip()
            param = _PARAM_LINE.match(body)
            columns = _COLUMNS_LINE.match(body)
            if param:
                default = param.group("default")
                default = None if default is None or default.upper() in ("", "UNDEF") else default
                query.parameters[param.group("name")] = Parameter(param.group("name"), default, param.group("doc") or "")
            elif columns:
                # "a, b (a note, with commas), c" -> a, b, c
                names = re.sub(r"\([^()]*\)", "", columns.group("columns"))
                query.columns = [c.strip() for c in names.split(",") if c.strip()]
            elif body:
                paragraphs[-1].append(body)
                if len(paragraphs) == 1 and body.endswith("?"):
                    paragraphs.append([])  # the question ends with its question mark
            elif paragraphs[-1]:
                paragraphs.append([])
        texts = [" ".join(p) for p in paragraphs if p]
        query.question = texts[0] if texts else ""
        query.notes = "\n".join(texts[1:])
        return query

    @classmethod
    def from_file(cls, path: Path) -> "QueryText":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{path}: no such query file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot be read ({exc})") from None
        return cls.parse(text, where=str(path))

    def values_blocks(self) -> dict[str, re.Match]:
        blocks: dict[str, re.Match] = {}
        for match in _VALUES_BLOCK.finditer(mask_query(self.text)):
            blocks.setdefault(match.group("name"), match)
        return blocks

    def with_parameters(self, values: dict[str, str]) -> str:
        """The query text with each parameter's VALUES block set to the given (or default) value."""
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            known = ", ".join(self.parameters) or "none"
            raise InputError(f"{self.where}: unknown parameter '{unknown[0]}' (this query's parameters: {known})")
        blocks = self.values_blocks()
        prefixes = {**_project_prefixes(), **declared_prefixes(self.text)} if values else {}
        edits: list[tuple[int, int, str]] = []
        for name, parameter in self.parameters.items():
            block = blocks.get(name)
            if block is None:
                raise InputError(f"{self.where}: parameter '{name}' has no 'VALUES ?{name} {{ ... }}' block in the query")
            if name not in values:
                if parameter.default is None:
                    raise InputError(f"{self.where}: missing parameter '{name}': pass --param {name}=VALUE"
                                     + (f" ({parameter.doc})" if parameter.doc else ""))
                continue
            default_term = self.text[block.start("body") : block.end("body")].strip()
            term = render_term(values[name], kind=_kind_of(default_term), prefixes=prefixes, where=f"{self.where}: parameter '{name}'")
            edits.append((block.start("body"), block.end("body"), f" {term} "))
        text = self.text
        for start, end, replacement in sorted(edits, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text


def _project_prefixes() -> dict[str, str]:
    # Imported lazily: graph_build.namespaces pulls in rdflib, which `allkg query` does not need otherwise.
    from graph_build.namespaces import PREFIXES

    return dict(PREFIXES)


# --------------------------------------------------------------------------- terms

def _kind_of(default_term: str) -> str:
    term = default_term.strip()
    if term.upper() == "UNDEF" or not term:
        return "any"
    if term.startswith("<") or _PNAME.match(term) and not term.startswith(("'", '"')):
        return "iri"
    if _INTEGER.match(term):
        return "integer"
    if _DECIMAL.match(term):
        return "decimal"
    lang = re.search(r'["\']@([A-Za-z]+(?:-[A-Za-z0-9]+)*)$', term)
    return f"string@{lang.group(1)}" if lang else "string"


def _iri(value: str, where: str) -> str:
    bad = _IRI_FORBIDDEN.search(value)
    if bad:
        raise InputError(f"{where}: '{value}' is not a valid IRI (character {bad.group()!r} not allowed)")
    if not _SCHEME.match(value):
        raise InputError(f"{where}: '{value}' is not an absolute IRI")
    return f"<{value}>"


def _string_literal(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'


def render_term(value: str, *, kind: str, prefixes: dict[str, str], where: str) -> str:
    """A parameter value as one safe SPARQL term of the parameter's kind."""
    value = value.strip()
    if kind in ("iri", "any") and value.startswith("<") and value.endswith(">"):
        return _iri(value[1:-1], where)
    if kind in ("iri", "any") and "://" in value:
        return _iri(value, where)
    if kind in ("iri", "any"):
        match = _PNAME.match(value)
        if match and (kind == "iri" or not _DECIMAL.match(value)):
            prefix = match.group(1) or ""
            if prefix not in prefixes:
                known = ", ".join(sorted(p for p in prefixes if p))
                raise InputError(f"{where}: unknown prefix '{prefix}' in '{value}' (known: {known})")
            return _iri(prefixes[prefix] + match.group(2), where)
        if kind == "iri":
            raise InputError(f"{where}: '{value}' is not an IRI or CURIE (expected e.g. all:fever or <https://...>)")
    if kind in ("integer", "any") and _INTEGER.match(value):
        return value
    if kind in ("decimal", "any") and _DECIMAL.match(value):
        return value
    if kind in ("integer", "decimal"):
        raise InputError(f"{where}: '{value}' is not {'an integer' if kind == 'integer' else 'a number'}")
    if kind.startswith("string@"):
        return _string_literal(value) + "@" + kind.split("@", 1)[1]
    return _string_literal(value)


def parse_param_args(items: list[str] | None) -> dict[str, str]:
    """`--param NAME=VALUE` arguments -> {NAME: VALUE}."""
    values: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not re.match(r"^[A-Za-z_]\w*$", name):
            raise InputError(f"--param '{item}': expected NAME=VALUE (e.g. --param entity=all:fever)")
        if not value.strip():
            raise InputError(f"--param '{item}': missing value for parameter '{name}'")
        if name in values:
            raise InputError(f"--param: parameter '{name}' given twice")
        values[name] = value
    return values
