"""Reading the files commands are given: every command that takes a file reads it here,
so a file that is missing, a folder, empty, binary, not UTF-8, not JSON, nested too
deep, too large or of the wrong JSON type ends with a message naming the file and exit
code 2, never a traceback. Line-oriented files (events, posts) are read as bytes and
handed to their parsers, which reject each bad line on its own and keep the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.entrypoints.cli.output import CliState

__all__ = [
    "MAX_DEFINITION_BYTES",
    "json_type",
    "read_file_bytes",
    "read_json_file",
    "read_lines_file",
    "read_text_file",
    "require_some_accepted",
]

# A definition (segment, template, campaign, journey, message, goals, rules) is one
# request body: the API's limit on a body (MAX_BODY_BYTES) holds for the file too.
MAX_DEFINITION_BYTES = 5 * 1024 * 1024

_JSON_TYPES = {
    dict: "a JSON object",
    list: "a JSON array",
    str: "a JSON string",
    bool: "a JSON boolean",
    int: "a JSON number",
    float: "a JSON number",
    type(None): "JSON null",
}


def json_type(value: Any) -> str:
    """The JSON type of a parsed value, as a message names it."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def read_file_bytes(cli: CliState, file: Path, *, limit: int | None = None) -> bytes:
    """The bytes of ``file``; exit code 2 when it cannot be read, is empty, or is over
    ``limit`` bytes."""
    try:
        size = file.stat().st_size
        if file.is_dir():
            raise cli.fail(f"cannot read {file}: it is a folder, not a file", code=2)
        if limit is not None and size > limit:
            raise cli.fail(f"{file}: is {size} bytes; the limit is {limit}", code=2)
        data = file.read_bytes()
    except OSError as exc:
        raise cli.fail(f"cannot read {file}: {exc.strerror or exc}", code=2) from None
    if not data.strip():
        raise cli.fail(f"{file}: is empty", code=2)
    return data


def read_text_file(cli: CliState, file: Path, *, limit: int = MAX_DEFINITION_BYTES) -> str:
    """The UTF-8 text of ``file`` (exit code 2 when it is not UTF-8 text)."""
    data = read_file_bytes(cli, file, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise cli.fail(
            f"{file}: is not UTF-8 text (byte {exc.start} cannot be decoded)", code=2
        ) from None


def read_json_file(
    cli: CliState, file: Path, *, expect: type | None = dict, what: str = "a JSON object"
) -> Any:
    """The JSON value in ``file``, of type ``expect`` (None: any); exit code 2 when it
    cannot be read or parsed, or is another JSON type."""
    data = read_file_bytes(cli, file, limit=MAX_DEFINITION_BYTES)
    try:
        value = parse_json(data)
    except JsonInputError as exc:
        raise cli.fail(f"{file}: {exc}", code=2) from None
    if expect is not None and not isinstance(value, expect):
        raise cli.fail(f"{file}: must hold {what}, not {json_type(value)}", code=2)
    return value


def require_some_accepted(cli: CliState, file: Path, accepted: int, rejected: int) -> None:
    """After a line-oriented file's summary: exit code 1 when every record of it was
    rejected (the summary names each), 2 when it held none; nothing when one was kept."""
    if accepted:
        return
    if rejected:
        raise cli.fail(f"{file}: no record accepted, {rejected} rejected", code=1)
    raise cli.fail(f"{file}: holds no records", code=2)


def read_lines_file(cli: CliState, file: Path) -> bytes:
    """The bytes of a line-oriented file (JSON lines, or one JSON document) for a parser
    that rejects bad lines one by one; exit code 2 when it cannot be read or is empty."""
    return read_file_bytes(cli, file)
