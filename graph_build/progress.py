"""Progress display for long steps (reasoning, merging imports, building docs).

Shown only to a person at a terminal: when stderr is a TTY and no CI variable is set. In CI,
pipes and redirected output nothing is written, so logs stay clean and outputs stay identical.
Set ALLKG_PROGRESS=0 to silence it on a terminal, ALLKG_PROGRESS=1 to force it on.

    from graph_build.progress import task, track
    with task("reasoning"):              # "reasoning ..." then "reasoning done (2.1 s)"
        ...
    for page in track(pages, "docs"):    # "docs 12/80" updated in place
        ...
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")

# Variables CI services set (GitHub Actions, GitLab, Jenkins, Travis, CircleCI, Buildkite, ...).
_CI_VARIABLES = ("CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL")


def enabled(stream: TextIO | None = None) -> bool:
    """Whether progress should be shown on `stream` (default: stderr)."""
    forced = os.environ.get("ALLKG_PROGRESS")
    if forced is not None:
        return forced.strip() not in ("", "0", "false", "no")
    if any(os.environ.get(name) for name in _CI_VARIABLES):
        return False
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # closed stream
        return False


@contextmanager
def task(label: str, stream: TextIO | None = None) -> Iterator[None]:
    """Announce a long step and report its duration when it ends (terminal only)."""
    stream = stream if stream is not None else sys.stderr
    show = enabled(stream)
    start = time.perf_counter()
    if show:
        stream.write(f"{label} ...\r")
        stream.flush()
    try:
        yield
    finally:
        if show:
            stream.write(f"\x1b[2K{label} done ({time.perf_counter() - start:.1f} s)\n")
            stream.flush()


def track(items: Iterable[T], label: str, total: int | None = None, stream: TextIO | None = None) -> Iterator[T]:
    """Yield the items, showing `label i/total` updated in place (terminal only)."""
    stream = stream if stream is not None else sys.stderr
    if not enabled(stream):
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    suffix = f"/{total}" if total else ""
    count = 0
    last_draw = 0.0
    try:
        for count, item in enumerate(items, start=1):
            now = time.perf_counter()
            if now - last_draw > 0.05 or count == total:  # redraw at most 20 times a second
                stream.write(f"\r\x1b[2K{label} {count}{suffix}")
                stream.flush()
                last_draw = now
            yield item
    finally:
        stream.write(f"\r\x1b[2K{label} {count}{suffix} done\n")
        stream.flush()
