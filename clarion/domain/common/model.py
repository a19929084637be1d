"""The base of Pinpoint's JSON objects, and pydantic's errors as FieldProblems.

Pinpoint request and response bodies are PascalCase on the wire and snake_case in
Python; every domain model of such a body derives from :class:`PinpointModel`. A
validation error becomes one :class:`FieldProblem` per broken rule, named by the path
the caller chooses (dotted by default: ``Schedule.QuietTime.Start``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_pascal

from clarion.domain.common.errors import FieldProblem

RECORD = "(record)"


class PinpointModel(BaseModel):
    """Base for Pinpoint JSON objects: PascalCase on the wire, snake_case in Python.

    Unknown fields are refused; a subclass that needs more (``frozen=True``) adds it to
    its own ``model_config``, which pydantic merges with this one.
    """

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=False,
        # Validators are built on first use, not at import: a Lambda handler imports
        # many of these models and validates few of them (docs/deploy.md, cold starts).
        defer_build=True,
    )

    def to_pinpoint(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def dotted_path(loc: tuple[int | str, ...]) -> str:
    """``AdditionalTreatments.0.SizePercent``; ``(record)`` for the object itself."""
    return ".".join(str(part) for part in loc) or RECORD


def validation_problems(
    exc: ValidationError, path: Callable[[tuple[int | str, ...]], str] = dotted_path
) -> list[FieldProblem]:
    """One FieldProblem per error of ``exc``, named by ``path(loc)``, without pydantic's
    ``Value error,`` prefix on the messages of our own validators."""
    return [
        FieldProblem(path(tuple(error["loc"])), str(error["msg"]).removeprefix("Value error, "))
        for error in exc.errors()
    ]
