"""`allkg build`: tables -> graph -> reason -> validate -> export, published atomically to dist/.

Every output is first written to a staging folder; only when all steps succeed are the files
moved into dist/ (each with an atomic rename). A failed build leaves dist/ as it was.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rdflib import Graph

from graph_build import paths
from graph_build.graph import assemble_graph, load_ontology
from graph_build.rdf_io import turtle_bytes
from graph_build.summary import GraphSummary, summarize
from graph_build.tables import load_tables

GRAPH_FILE = "allkg.ttl"
SUMMARY_FILE = "allkg-summary.json"


@dataclass
class BuildOptions:
    data_dir: Path = paths.DATA_DIR
    ontology_file: Path = paths.ONTOLOGY_FILE
    dist: Path = field(default_factory=paths.dist_dir)
    reason: bool = True
    validate: bool = True
    log: Callable[[str], None] = print


@dataclass
class BuildContext:
    """What the steps share: the graph and the files to publish (name -> bytes)."""

    options: BuildOptions
    graph: Graph
    outputs: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    dist: Path
    files: list[str]
    summary: GraphSummary
    notes: list[str]


# Steps after the graph is assembled, in order. Each may add outputs or raise an AllkgError
# (CheckFailed for a graph that must not be published).
BuildStep = Callable[[BuildContext], None]


def _step_graph_files(ctx: BuildContext) -> None:
    ctx.outputs[GRAPH_FILE] = turtle_bytes(ctx.graph)
    ctx.outputs[SUMMARY_FILE] = (json.dumps(summarize(ctx.graph).as_dict(), indent=2) + "\n").encode()


def build_steps(options: BuildOptions) -> list[tuple[str, BuildStep]]:
    steps: list[tuple[str, BuildStep]] = []
    from graph_build.links import build_step as links_step

    steps.append(("links", links_step))  # before "write graph": the SKOS links belong in allkg.ttl
    steps.append(("write graph", _step_graph_files))
    if options.reason:
        from graph_build.reason import build_step as reason_step

        steps.append(("reason", reason_step))
    else:
        steps.append(("reason", lambda ctx: ctx.notes.append("reasoning skipped (--no-reason): no consistency check, no allkg-inferred.ttl")))
    if options.validate:
        from graph_build.validate import build_step as validate_step

        steps.append(("validate", validate_step))  # SHACL: a graph with violations is not published
    else:
        steps.append(("validate", lambda ctx: ctx.notes.append("SHACL validation skipped (--no-validate)")))
    # Add new steps ABOVE this line: "export" must stay last (it exports what the others produced).
    from graph_build.export import export_step

    steps.append(("export", export_step))
    return steps


def publish(outputs: dict[str, bytes], dist: Path) -> None:
    """Stage every file next to dist/, then move each into place with an atomic rename."""
    dist.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".allkg-staging-", dir=dist.parent))
    try:
        for name, data in outputs.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for name in outputs:
            final = dist / name
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def build_graph(options: BuildOptions) -> Graph:
    """Tables + ontology -> the graph (no output written)."""
    data = load_tables(options.data_dir)
    ontology = load_ontology(options.ontology_file)
    return assemble_graph(data, ontology)


def run_build(options: BuildOptions) -> BuildResult:
    ctx = BuildContext(options=options, graph=build_graph(options))
    for name, step in build_steps(options):
        step(ctx)
    publish(ctx.outputs, options.dist)
    return BuildResult(dist=options.dist, files=sorted(ctx.outputs), summary=summarize(ctx.graph), notes=ctx.notes)
