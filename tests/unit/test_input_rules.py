"""The domain's input rules: the one id rule, the checked JSON reader, header names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clarion.adapters.aws.common.project_keys import PROJECT_KEY
from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.common.ids import RESERVED_ID_PREFIXES, check_id, id_problem
from clarion.domain.common.json_input import (
    MAX_JSON_DEPTH,
    JsonInputError,
    json_depth,
    parse_json,
)
from clarion.domain.templates.model import validate_template_request
from clarion.services.audience.change_feed import RESERVED_ID_PREFIX

# -- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("..", "folder"),
        (".", "folder"),
        ("", "empty"),
        ("a/b", "separator"),
        ("a\\b", "separator"),
        ("#clarion/attribute-names", "#clarion/"),
        ("app#p1#e1", "app#"),
        ("a\nb", "control"),
        ("a\x00", "control"),
        ("é" * 200, "bytes"),
        (12, "string"),
    ],
)
def test_the_id_rule_names_what_is_wrong(value: Any, words: str) -> None:
    problem = id_problem(value)
    assert problem is not None and words in problem
    with pytest.raises(InvalidRecordError) as raised:
        check_id(value, "SegmentId")
    assert raised.value.problems[0].field == "SegmentId"


@pytest.mark.parametrize("value", ["e1", "a.b", "...", "user@example.com", "x#y", "éè", "a" * 255])
def test_the_id_rule_keeps_ordinary_ids(value: str) -> None:
    assert id_problem(value) is None
    assert check_id(value) == value


def test_the_reserved_prefixes_are_the_ones_the_stores_use() -> None:
    assert RESERVED_ID_PREFIX in RESERVED_ID_PREFIXES
    assert PROJECT_KEY in RESERVED_ID_PREFIXES


@pytest.mark.parametrize("endpoint_id", ["..", "#clarion/x", "app#p#e", "a/b"])
def test_an_endpoint_with_a_reserved_or_folder_id_is_refused(endpoint_id: str) -> None:
    with pytest.raises(InvalidRecordError) as raised:
        validate_endpoint({"Id": endpoint_id, "ChannelType": "EMAIL", "Address": "a@example.com"})
    assert [p.field for p in raised.value.problems] == ["Id"]


def test_an_endpoint_with_a_reserved_user_id_is_refused_and_an_empty_one_kept() -> None:
    base = {"Id": "e1", "ChannelType": "EMAIL", "Address": "a@example.com"}
    with pytest.raises(InvalidRecordError) as raised:
        validate_endpoint({**base, "User": {"UserId": ".."}})
    assert [p.field for p in raised.value.problems] == ["User.UserId"]
    assert validate_endpoint({**base, "User": {"UserId": ""}}).id == "e1"


def test_the_report_service_refuses_a_campaign_id_that_leaves_its_folder(tmp_path: Path) -> None:
    from clarion.services.analytics.reports import ReportService

    class NoAnalytics:
        def campaign_metrics(self, campaign_id: str) -> Any:
            raise AssertionError("the id is refused before any query")

    service = ReportService(NoAnalytics(), tmp_path / "reports")  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError) as raised:
        service.campaign_report("..")
    assert raised.value.problems[0].field == "CampaignId"
    assert list(tmp_path.iterdir()) == []


# -- JSON ----------------------------------------------------------------------------------

_shallow_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(_shallow_json)
def test_parse_json_reads_what_json_loads_reads(value: Any) -> None:
    text = json.dumps(value)
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)


@given(st.binary(max_size=500))
def test_parse_json_raises_only_its_own_error(data: bytes) -> None:
    try:
        parse_json(data)
    except JsonInputError as exc:
        assert str(exc)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b" \n", "empty"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b"[" * 10_000 + b"]" * 10_000, "deeper"),
        (b"[" * 10_000, "deeper"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "deeper"),
        (b"{", "not JSON"),
    ],
)
def test_parse_json_says_what_is_wrong(data: bytes, words: str) -> None:
    with pytest.raises(JsonInputError, match=words):
        parse_json(data)


def test_the_depth_limit_is_inclusive() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth(parse_json(at_limit)) == MAX_JSON_DEPTH
    with pytest.raises(JsonInputError):
        parse_json("[" + at_limit + "]")
    assert parse_json(b"\xef\xbb\xbf{}") == {}


# -- header names --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["X-A\r\nBcc", "X A", "X:A", "", "Ünicode", "X-A\n"])
def test_a_template_header_name_outside_rfc_5322_is_refused(name: str) -> None:
    body = {"Subject": "s", "TextPart": "t", "Headers": [{"Name": name, "Value": "v"}]}
    with pytest.raises(InvalidRecordError) as raised:
        validate_template_request("EMAIL", body)
    assert any(p.field.startswith("Headers") for p in raised.value.problems)


def test_a_template_header_value_with_a_line_break_is_refused() -> None:
    body = {"Subject": "s", "Headers": [{"Name": "X-A", "Value": "v\r\nBcc: x@example.com"}]}
    with pytest.raises(InvalidRecordError):
        validate_template_request("EMAIL", body)
    body["Headers"] = [{"Name": "List-Unsubscribe", "Value": "<https://example.com/u>"}]
    validate_template_request("EMAIL", body)
