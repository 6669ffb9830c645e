"""The query library: queries/*.rq, one researcher's question per file, found by name."""
from __future__ import annotations

from pathlib import Path

from graph_build import paths
from graph_build.errors import InputError
from graph_build.sparql_params import QueryText


def library_files(directory: Path | None = None) -> list[Path]:
    directory = directory or paths.QUERIES_DIR
    return sorted(directory.glob("*.rq")) if directory.is_dir() else []


def library(directory: Path | None = None) -> dict[str, QueryText]:
    return {path.stem: QueryText.from_file(path) for path in library_files(directory)}


def resolve_query(target: str) -> QueryText:
    """A library name (`symptoms_three_sources`) or a path to a query file."""
    path = Path(target)
    if path.suffix in (".rq", ".sparql") or path.exists() or "/" in target:
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not a query file")
        return QueryText.from_file(path)
    candidate = paths.QUERIES_DIR / f"{target}.rq"
    if candidate.is_file():
        return QueryText.from_file(candidate)
    names = sorted(library())
    close = [n for n in names if target.lower() in n.lower()]
    hint = f" (did you mean: {', '.join(close)}?)" if close else " (see allkg query --list)"
    raise InputError(f"'{target}': no such library query or file{hint}")


def list_text(directory: Path | None = None) -> str:
    queries = library(directory)
    if not queries:
        return "no library queries found\n"
    width = max(len(name) for name in queries)
    lines = []
    for name, query in queries.items():
        lines.append(f"{name:<{width}}  {query.question}")
        for parameter in query.parameters.values():
            default = parameter.default if parameter.default is not None else "(required)"
            doc = f"  -- {parameter.doc}" if parameter.doc else ""
            lines.append(f"{'':<{width}}    --param {parameter.name}={default}{doc}")
    return "\n".join(lines) + "\n"
