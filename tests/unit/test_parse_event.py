"""``parse_event`` validates a handler's event as Powertools' ``parse`` does (the
reference: the handlers parsed with it before), without importing the Parser: the same
model or, for a refused event, the same fields at fault and the same reasons."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, RootModel, StrictInt, field_validator

from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.common.model import dotted_path
from lambdas._runtime import parse_event


class Step(BaseModel):
    run_id: str = Field(alias="RunId", min_length=1)
    application_id: str | None = Field(default=None, alias="ApplicationId", min_length=1)
    now: int = Field(alias="Now", gt=0)
    batch_size: StrictInt = Field(default=100, alias="BatchSize")
    projects: list[str] = Field(default_factory=list, alias="Projects")

    @field_validator("batch_size", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 1:
            raise ValueError("must be a positive integer")
        return value


class Ids(RootModel[list[str]]):
    pass


def _reference(event: Any, model: type[BaseModel]) -> BaseModel | list[tuple[str, str]]:
    """What the handlers did before: Powertools' parse, its errors as (field, reason)."""
    try:
        return parse(event=event, model=model)
    except ValidationError as exc:
        return [
            (
                dotted_path(tuple(e["loc"])),
                "is required"
                if e["type"] == "missing"
                else str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]


def _mine(event: Any, model: type[BaseModel]) -> BaseModel | list[tuple[str, str]]:
    try:
        return parse_event(event, model)
    except InvalidRecordError as exc:
        return [(p.field, p.reason) for p in exc.problems]


EVENTS: list[Any] = [
    {"RunId": "r1", "Now": 5},
    {"RunId": "r1", "Now": 5, "ApplicationId": "app", "BatchSize": 7, "Projects": ["a"]},
    {"Now": 5},
    {"RunId": "", "Now": 0, "ApplicationId": ""},
    {"RunId": "r1", "Now": "5", "BatchSize": "7"},
    {"RunId": "r1", "Now": 5, "BatchSize": 0},
    {"RunId": "r1", "Now": 5, "BatchSize": True},
    {"RunId": "r1", "Now": 5, "Projects": ["a", 3]},
    json.dumps({"RunId": "r1", "Now": 5}),
    "not json",
    [],
    None,
    7,
]


@pytest.mark.parametrize("event", EVENTS)
def test_parse_event_agrees_with_powertools_parse(event: Any) -> None:
    assert _mine(event, Step) == _reference(event, Step)


@pytest.mark.parametrize("event", [["a", "b"], ["a", 1], {"a": 1}, '["a"]'])
def test_a_root_model_too(event: Any) -> None:
    assert _mine(event, Ids) == _reference(event, Ids)


_values = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.lists(st.text())
)


@given(
    st.dictionaries(
        st.sampled_from(["RunId", "Now", "ApplicationId", "BatchSize", "Projects", "Other"]),
        _values,
    )
)
def test_any_event_agrees_with_powertools_parse(event: dict[str, Any]) -> None:
    assert _mine(event, Step) == _reference(event, Step)


def test_a_refused_event_names_its_fields() -> None:
    with pytest.raises(InvalidRecordError) as refused:
        parse_event({"Now": 0}, Step)

    assert [(p.field, p.reason) for p in refused.value.problems] == [
        ("RunId", "is required"),
        ("Now", "Input should be greater than 0"),
    ]
