"""Broken files and bodies, on every command that takes a file and every API operation
with a body: a clear error naming the file or the field, never a traceback.

The commands are found by walking the typer app for parameters typed ``Path`` (a new
command that takes a file is covered without editing this test; the list below must
match what the walk finds, so a new output path is a decision, not an accident). The
operations are every operation of botocore's ``pinpoint`` model with a JSON payload that
Clarion offers (the app's registry), and every extension with a body.

Each gets the corpus of bad inputs (not UTF-8, binary, empty, 10,000-deep nesting, a
20 MB line, wrong JSON types) and bytes from hypothesis. A command must end with exit
code 1 or 2 and the file named in its message; an operation with HTTP 400 or 413 in
Pinpoint's error shape (``Message``, ``RequestID``, ``X-Amzn-ErrorType``); the intakes
the Lambda functions behind API Gateway call (posts, events) with a refusal and its
reason. Line-oriented files are also given good lines beside bad ones, and must keep
the good ones.
"""

from __future__ import annotations

import json
import pathlib
import re
import typing
import urllib.parse
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from typer.testing import CliRunner

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app
from clarion.entrypoints.api.extensions import EXTENSIONS
from clarion.entrypoints.api.model import operation_specs
from clarion.entrypoints.api.registry import handlers
from clarion.entrypoints.cli.main import app

runner = CliRunner()

HUGE_LINE = b'{"x": "' + b"a" * (20 * 1024 * 1024) + b'"}\n'
CORPUS: dict[str, bytes] = {
    "not-utf8": b'{"Name": "caf\xe9", "Id": "\xff\xfe"}\n',
    "binary": bytes(range(256)) * 8,
    "empty": b"",
    "blank": b"  \n\n\t\n",
    "deep-arrays": b"[" * 10_000 + b"]" * 10_000,
    "deep-objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "deep-unclosed": b"[" * 10_000,
    "huge-line": HUGE_LINE,
    "list": b"[]",
    "list-of-scalars": b"[1, 2, 3]",
    "string": b'"a string"',
    "number": b"42",
    "null": b"null",
    "truncated": b'{"Name": "x", "Dimensions": {',
    "nested-wrong-types": b'{"Name": ["x"], "Dimensions": [], "Schedule": "now", "Id": {}}',
}

# Path parameters that are outputs, not inputs; every other Path parameter is fuzzed.
OUTPUTS = {("endpoints", "sample", "out")}
# What the walk is expected to find (so a command that stops taking a file, or a new
# one, is seen here).
EXPECTED_INPUTS = {
    ("endpoints", "import", "file"),
    ("segments", "create", "file"),
    ("segments", "update", "file"),
    ("events", "put", "file"),
    ("events", "ingest", "file"),
    ("analytics", "goals", "set", "file"),
    ("templates", "create", "file"),
    ("campaigns", "create", "file"),
    ("campaigns", "create", "goals_file"),
    ("journeys", "create", "file"),
    ("journeys", "update", "file"),
    ("messages", "send", "file"),
    ("sentiment", "ingest", "file"),
    ("sentiment", "ingest", "rules"),
    ("sentiment", "report", "rules"),
    ("cost", "estimate", "prices"),
}
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)")


def _is_path(annotation: Any) -> bool:
    return annotation is pathlib.Path or pathlib.Path in typing.get_args(annotation)


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


def _file_parameters() -> list[tuple[tuple[str, ...], Any, Any]]:
    """(command path, command, parameter) of every Path parameter of the CLI."""
    root = typer.main.get_command(app)
    found = []
    for path, command in _walk(root, ()):
        for param in command.params:
            if _is_path(param.type_descriptor.annotation):
                found.append((path, command, param))
    return found


def _argv(command: Any, target: Any, bad: Path, good: Path) -> list[str]:
    """The arguments that give ``bad`` to ``target`` and plausible values to the other
    required parameters (a good JSON file to other file parameters)."""
    positional: list[str] = []
    options: list[str] = []
    for param in command.params:
        annotation = param.type_descriptor.annotation
        if param is target:
            value = str(bad)
        elif _is_path(annotation):
            if not param.required:
                continue
            value = str(good)
        elif not param.required:
            continue
        elif isinstance(annotation, type) and issubclass(annotation, Enum):
            value = next(iter(annotation)).value
        elif annotation is int:
            value = "1"
        else:
            value = "fuzz-id"
        if param.param_type_name == "argument":
            positional.append(value)
        else:
            options += [param.opts[0], value]
    return positional + options


def test_the_walk_finds_every_command_that_takes_a_file() -> None:
    found = {(*path, param.name) for path, _, param in _file_parameters()}
    assert found - OUTPUTS == EXPECTED_INPUTS


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("corpus")
    files = {}
    for name, data in CORPUS.items():
        path = folder / f"{name}.json"
        path.write_bytes(data)
        files[name] = path
    files["missing"] = folder / "missing.json"
    files["folder"] = folder / "a-folder"
    files["folder"].mkdir()
    good = folder / "good.json"
    good.write_text("{}", encoding="utf-8")
    files["_good"] = good
    return files


def _check_cli(home: Path, argv: list[str], bad: Path) -> None:
    result = runner.invoke(app, ["--home", str(home), "--json", *argv])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv,
        repr(result.exception),
    )
    assert not _TRACEBACK.search(output), (argv, output[-2000:])
    assert result.exit_code in (1, 2), (argv, result.exit_code, output[-2000:])
    assert bad.name in output, (argv, output[-2000:])


_PARAMETERS = [
    pytest.param(path, param.name, id="-".join((*path, param.name)))
    for path, _, param in _file_parameters()
    if (*path, param.name) not in OUTPUTS
]


@pytest.mark.parametrize(("command_path", "param_name"), _PARAMETERS)
def test_every_file_command_answers_bad_files_with_an_error_naming_the_file(
    command_path: tuple[str, ...],
    param_name: str,
    corpus_files: dict[str, Path],
    tmp_path: Path,
) -> None:
    command, target = next(
        (c, p) for path, c, p in _file_parameters() if path == command_path and p.name == param_name
    )
    for name, bad in corpus_files.items():
        if name.startswith("_"):
            continue
        argv = [*command_path, *_argv(command, target, bad, corpus_files["_good"])]
        _check_cli(tmp_path / "home", argv, bad)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_hypothesis_bytes_never_crash_a_file_command(data: bytes, tmp_path: Path) -> None:
    bad = tmp_path / "generated.json"
    bad.write_bytes(data)
    good = tmp_path / "good.json"
    good.write_text("{}", encoding="utf-8")
    for path, command, param in _file_parameters():
        if (*path, param.name) in OUTPUTS:
            continue
        argv = [*path, *_argv(command, param, bad, good)]
        result = runner.invoke(app, ["--home", str(tmp_path / "home"), "--json", *argv])
        output = result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            argv,
            repr(result.exception),
        )
        assert not _TRACEBACK.search(output), (argv, output[-2000:])
        # Random bytes may happen to be a valid (empty) definition: any answer but a
        # crash is fine, and an error names the file.
        if result.exit_code != 0:
            assert result.exit_code in (1, 2), (argv, result.exit_code)
            assert bad.name in output, (argv, output[-2000:])


# -- line-oriented files keep their good rows ---------------------------------------------


def _lines(*rows: bytes) -> bytes:
    return b"\n".join(rows) + b"\n"


def test_events_put_keeps_the_good_line_beside_each_bad_one(tmp_path: Path) -> None:
    good = json.dumps(
        {
            "event_type": "app.purchase",
            "event_timestamp": 1_741_770_000_000,
            "arrival_timestamp": 1_741_770_000_000,
            "application": {"app_id": "clarion"},
            "client": {"client_id": "e1"},
            "endpoint": {"Id": "e1"},
        }
    ).encode()
    file = tmp_path / "events.jsonl"
    file.write_bytes(
        _lines(good, b'{"event_type": "caf\xe9"}', b"[" * 10_000, b"[1]" + b" " * 1_100_000, b"42")
    )
    result = runner.invoke(
        app, ["--home", str(tmp_path / "h"), "--json", "events", "put", str(file)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["accepted"] == 1
    lines = {item["line"]: item["reason"] for item in data["rejected"]}
    assert set(lines) == {2, 3, 4, 5}
    assert "UTF-8" in lines[2]
    assert "deeper than" in lines[3]
    assert "bytes" in lines[4]


def test_sentiment_ingest_keeps_the_good_post_and_warns_of_an_unknown_key(tmp_path: Path) -> None:
    post = {
        "post_id": "p1",
        "platform": "twitter",
        "author_handle": "someone",
        "text": "I love it",
        "created_at": "2025-03-12T09:00:00Z",
        "author_followers": 12000,
    }
    file = tmp_path / "posts.jsonl"
    file.write_bytes(
        _lines(json.dumps(post).encode(), b'{"text": "\xff"}', b"[" * 10_000, b'["a list"]')
    )
    result = runner.invoke(
        app, ["--home", str(tmp_path / "h"), "--json", "sentiment", "ingest", str(file)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_status: dict[str, list[dict[str, Any]]] = {}
    for outcome in data["posts"]:
        by_status.setdefault(outcome["status"], []).append(outcome)
    assert len(by_status["SCORED"]) == 1
    assert len(by_status["REJECTED"]) == 3
    warning = by_status["SCORED"][0]["warnings"][0]
    assert "author_followers" in warning and "author_follower_count" in warning
    reasons = " ".join(p for o in by_status["REJECTED"] for p in o["problems"])
    assert "UTF-8" in reasons and "deeper than" in reasons


def test_endpoints_import_keeps_good_rows_beside_bad_ones(tmp_path: Path) -> None:
    good = b'{"Id": "e1", "ChannelType": "EMAIL", "Address": "a@example.com"}'
    file = tmp_path / "endpoints.json"
    file.write_bytes(
        _lines(
            good,
            b'{"Id": "e2", "ChannelType": "EMAIL", "Address": "caf\xe9@example.com"}',
            b"[" * 10_000,
            b'{"Id": "..", "ChannelType": "EMAIL", "Address": "b@example.com"}',
            b'{"Id": "#clarion/x", "ChannelType": "EMAIL", "Address": "c@example.com"}',
            b'{"Id": "e3", "ChannelType": "EMAIL", "Address": "d@example.com",'
            b' "User": {"UserId": "a/b"}}',
        )
    )
    result = runner.invoke(
        app,
        [
            "--home",
            str(tmp_path / "h"),
            "--json",
            "endpoints",
            "import",
            str(file),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] == 1
    rejected = {item["line"]: item for item in data["rejected"]}
    assert set(rejected) == {2, 3, 4, 5, 6}
    assert rejected[4]["field"] == "Id" and "folder" in rejected[4]["reason"]
    assert rejected[5]["field"] == "Id" and "#clarion/" in rejected[5]["reason"]
    assert rejected[6]["field"] == "User.UserId"


def test_a_csv_import_refuses_reserved_ids_on_the_columnar_path_too(tmp_path: Path) -> None:
    file = tmp_path / "endpoints.csv"
    rows = ["Id,ChannelType,Address"]
    rows += [f"e{i},EMAIL,u{i}@example.com" for i in range(50)]
    rows += [
        "..,EMAIL,x@example.com",
        "#clarion/y,EMAIL,y@example.com",
        "app#p#z,EMAIL,z@example.com",
    ]
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["--home", str(tmp_path / "h"), "--json", "endpoints", "import", str(file)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] == 50
    assert sorted(item["line"] for item in data["rejected"]) == [52, 53, 54]
    assert {item["field"] for item in data["rejected"]} == {"Id"}


# -- the API -------------------------------------------------------------------------------

APP = "clarion"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = Bootstrap(Settings(home=tmp_path_factory.mktemp("api-home")))
    with TestClient(create_app(root, console=False)) as test_client:
        yield test_client


def _labels(uri: str) -> str:
    """The URI with a plausible value in each label."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).rstrip("+")
        if name == "application-id":
            return APP
        if name == "template-type":
            return "EMAIL"
        if name == "resource-arn":
            return f"arn:clarion:mobiletargeting:apps/{APP}"
        return "fuzz-id"

    return re.sub(r"\{([^}]+)\}", value, uri.split("?")[0])


def _body_operations() -> list[tuple[str, str, str]]:
    """(name, method, path) of every offered operation that takes a JSON body."""
    offered = handlers()
    found = [
        (spec.name, spec.method, _labels(spec.uri))
        for spec in operation_specs().values()
        if spec.payload is not None and spec.name in offered
    ]
    found += [
        (spec.name, spec.method, _labels(spec.route.replace("_", "-")))
        for spec in EXTENSIONS
        if spec.method in ("POST", "PUT") and not spec.raw_body
    ]
    return sorted(found)


API_CORPUS = {name: data for name, data in CORPUS.items() if name not in ("empty", "blank")}
API_CORPUS["huge-body"] = b"[" + b"1," * (4 * 1024 * 1024) + b"1]"


def _check_api(response: Any, name: str) -> None:
    assert response.status_code in (400, 413), (name, response.status_code, response.text[:500])
    body = response.json()
    assert set(body) == {"Message", "RequestID"}, body
    assert response.headers["x-amzn-errortype"] in (
        "BadRequestException",
        "PayloadTooLargeException",
    )
    assert body["Message"]


def test_the_api_body_operations_are_found() -> None:
    names = {name for name, _, _ in _body_operations()}
    # A few every project uses; the walk finds them all from the model and the registry.
    assert {"CreateSegment", "CreateEmailTemplate", "PutEvents", "SendMessages"} <= names
    assert len(names) > 30


@pytest.mark.parametrize(
    ("operation", "method", "path"), _body_operations(), ids=[o[0] for o in _body_operations()]
)
def test_every_body_operation_answers_bad_bodies_in_pinpoints_error_shape(
    client: TestClient, operation: str, method: str, path: str
) -> None:
    for name, data in API_CORPUS.items():
        response = client.request(
            method, path, content=data, headers={"content-type": "application/json"}
        )
        _check_api(response, f"{operation} {name}")
    too_large = client.request(
        method, path, content=b" " * (8 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert too_large.status_code == 413


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(min_size=1, max_size=200))
def test_hypothesis_bytes_never_crash_a_body_operation(client: TestClient, data: bytes) -> None:
    for operation, method, path in _body_operations():
        response = client.request(
            method, path, content=data, headers={"content-type": "application/json"}
        )
        assert response.status_code < 500, (operation, data, response.text[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"Message", "RequestID"}


# -- ids and headers -------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["..", ".", "#clarion/registry", "app#other#e1", "a\\b"])
def test_the_api_refuses_reserved_and_folder_ids(client: TestClient, bad_id: str) -> None:
    # Percent-encoded, dots included, so the client sends the label as it is; an id
    # with a slash matches no route (404 NotFoundException), so only the body has it.
    if "/" not in bad_id:
        label = urllib.parse.quote(bad_id, safe="").replace(".", "%2E")
        response = client.put(
            f"/v1/apps/{APP}/endpoints/{label}",
            json={"ChannelType": "EMAIL", "Address": "a@example.com"},
        )
        _check_api(response, bad_id)
    batch = client.put(
        f"/v1/apps/{APP}/endpoints",
        json={"Item": [{"Id": bad_id, "ChannelType": "EMAIL", "Address": "a@example.com"}]},
    )
    _check_api(batch, bad_id)


def test_a_header_name_with_a_line_break_is_refused_when_the_template_is_made(
    client: TestClient,
) -> None:
    request = {
        "Subject": "Hi",
        "TextPart": "Hello",
        "Headers": [{"Name": "X-Campaign\r\nBcc", "Value": "all@example.com"}],
    }
    created = client.post("/v1/templates/fuzz-header/email", json=request)
    _check_api(created, "create")
    assert "Headers" in created.json()["Message"]
    request["Headers"] = [{"Name": "X-Campaign", "Value": "a"}]
    assert client.post("/v1/templates/fuzz-header/email", json=request).status_code == 201
    request["Headers"] = [{"Name": "X Campaign", "Value": "a"}]
    _check_api(client.put("/v1/templates/fuzz-header/email", json=request), "update")
    message = {
        "Addresses": {"a@example.com": {"ChannelType": "EMAIL"}},
        "MessageConfiguration": {
            "EmailMessage": {
                "SimpleEmail": {
                    "Subject": {"Data": "s"},
                    "TextPart": {"Data": "t"},
                    "Headers": [{"Name": "Bad:Name", "Value": "v"}],
                }
            }
        },
    }
    _check_api(client.post(f"/v1/apps/{APP}/messages", json=message), "send")


# -- the Lambda intakes (API Gateway straight to a function) -------------------------------


def test_the_post_and_event_intakes_refuse_the_corpus_with_a_reason(tmp_path: Path) -> None:
    root = Bootstrap(Settings(home=tmp_path / "home"))
    for name, data in CORPUS.items():
        # As lambdas/_runtime.api_body hands them over: bytes (a base64 body) or text.
        text: str | bytes = data if b"\xff" in data or b"\x00" in data else data.decode()
        posts = root.post_intake_service.submit(text)
        assert posts.accepted == 0, name
        if posts.refused is None:
            assert posts.rejected > 0 and all(r.get("Problems") for r in posts.results), name
        else:
            assert posts.refused.reason, name
        events = root.event_intake_service.put_events(text)
        assert events.problems, name
        assert all(p.field and p.reason for p in events.problems), name


@pytest.mark.parametrize("suffix", [".csv", ".json.gz"])
def test_endpoints_import_answers_the_corpus_under_every_format_name(
    suffix: str, tmp_path: Path
) -> None:
    # The format is found from the name and the content: the same bytes are read as CSV
    # and as a gzipped export too.
    for name, data in CORPUS.items():
        bad = tmp_path / f"{name}{suffix}"
        bad.write_bytes(data)
        _check_cli(tmp_path / "home", ["endpoints", "import", str(bad)], bad)
