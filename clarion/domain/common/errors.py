"""Errors the domain raises: each names the field and the reason, so callers can report
them per row without losing the rest of the input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One broken rule: the Pinpoint field (dotted path) and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class InvalidRecordError(ValueError):
    """A record broke one or more rules."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class NotFoundError(LookupError):
    """A named object (endpoint, segment, template, campaign) does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class ProtectedError(PermissionError):
    """An action that is refused whoever asks (deleting the default project)."""


class InUseError(ValueError):
    """An object others depend on cannot be removed (a segment a campaign targets)."""


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (unknown column, empty, undecodable header).

    ``column`` names the offending CSV column when there is one.
    """

    def __init__(self, message: str, column: str | None = None) -> None:
        self.column = column
        super().__init__(message)
