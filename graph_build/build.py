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
from graph_build.errors import AllkgError, CheckFailed
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
    if options.reason:
        from graph_build.reason import build_step as reason_step
    else:
        reason_step = lambda ctx: ctx.notes.append(  # noqa: E731
            "reasoning skipped (--no-reason): no consistency check, no allkg-inferred.ttl")
    if options.validate:
        from graph_build.validate import build_step as validate_step  # a graph with violations is not published
    else:
        validate_step = lambda ctx: ctx.notes.append("SHACL validation skipped (--no-validate)")  # noqa: E731
    from graph_build.export import export_step

    if options.reason:
        # Reasoning (HermiT, a JVM) is independent of writing, validating and exporting the
        # graph: run it in a second process so the two cores work at once.
        steps.append(("write graph, validate + export; reason", lambda ctx: run_concurrently(
            ctx, reason_step, [_step_graph_files, validate_step, export_step])))
    else:
        steps.extend([("write graph", _step_graph_files), ("reason", reason_step), ("validate", validate_step),
                      ("export", export_step)])
    # New steps go before the export (it exports allkg.ttl as the steps above left it).
    return steps


def run_concurrently(ctx: BuildContext, background: BuildStep, foreground: list[BuildStep]) -> None:
    """Run `background` in a forked process while the `foreground` steps run here, then merge
    what the background step staged.

    The child gets a copy of the context (fork); it sends back its new outputs and notes, or
    the AllkgError it raised. Without fork (not Linux/macOS) the steps simply run in turn.
    """
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        for step in (*foreground, background):
            step(ctx)
        return
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)

    def child() -> None:
        known_outputs, known_notes = set(ctx.outputs), len(ctx.notes)
        try:
            background(ctx)
            new_outputs = {k: v for k, v in ctx.outputs.items() if k not in known_outputs}
            sender.send(("ok", new_outputs, ctx.notes[known_notes:]))
        except AllkgError as exc:
            sender.send(("error", type(exc).__name__, str(exc), exc.exit_code))
        except BaseException as exc:  # noqa: BLE001 - reported by the parent as an internal error
            sender.send(("crash", type(exc).__name__, str(exc), 70))
        finally:
            sender.close()

    process = multiprocessing.get_context("fork").Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        foreground_error: AllkgError | None = None
        try:
            for step in foreground:
                step(ctx)
        except AllkgError as exc:
            foreground_error = exc
        try:
            message = receiver.recv()
        except EOFError:
            message = ("crash", "EOFError", "the background build step died without a report", 70)
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
        receiver.close()
    if message[0] == "error":
        _, kind, text, code = message
        raise (CheckFailed if code == CheckFailed.exit_code else AllkgError)(text, exit_code=code)
    if message[0] == "crash":
        _, kind, text, code = message
        raise AllkgError(f"internal error in a build step: {kind}: {text}", exit_code=code)
    if foreground_error is not None:
        raise foreground_error
    _, outputs, notes = message
    ctx.outputs.update(outputs)
    ctx.notes.extend(notes)


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
