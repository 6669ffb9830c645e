"""Errors the command line turns into one-line messages and exit codes (never tracebacks)."""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED_CHECK = 1  # the graph is inconsistent, violates shapes, etc.
EXIT_BAD_INPUT = 2  # unusable input: unparsable file, broken data row, bad query


class AllkgError(Exception):
    """An error with a message meant for the user and an exit status."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class InputError(AllkgError):
    """A file, row, term or query the user gave cannot be used."""


class DataError(InputError):
    """One or more rows of the curated tables are broken; the message lists each as file:line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class CheckFailed(AllkgError):
    """The graph was read but fails a check (shapes, consistency)."""

    exit_code = EXIT_FAILED_CHECK
