"""The one rule for ids that become file names or storage keys: endpoint ids, user ids,
project, segment, campaign, journey, job and model ids, report folders.

Locally an id names a file or a folder (``reports/<campaign id>/``); on AWS it is part
of a DynamoDB key or an S3 key. So an id may not be ``.`` or ``..`` (a folder above the
one meant), hold a path separator or a control character, or start with a prefix
Clarion keeps for itself: ``#clarion/`` (the endpoints table's own bookkeeping items,
which the change feed skips, so such an endpoint would vanish from segments) and
``app#`` (another project's keys in the tables the projects share). Every check of an
id calls :func:`id_problem` or :func:`check_id`; nothing else decides.
"""

from __future__ import annotations

from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError

__all__ = [
    "MAX_ID_BYTES",
    "PROJECT_KEY_PREFIX",
    "RESERVED_ID_PREFIX",
    "RESERVED_ID_PREFIXES",
    "check_id",
    "id_problem",
]

# Items of the endpoints table under this prefix are Clarion's own (the attribute-name
# registry), not endpoints.
RESERVED_ID_PREFIX = "#clarion/"
# Another project's rows and keys in the shared tables and the lake start with this.
PROJECT_KEY_PREFIX = "app#"
RESERVED_ID_PREFIXES = (RESERVED_ID_PREFIX, PROJECT_KEY_PREFIX)
# The longest file name most file systems keep (and well under DynamoDB's key limit).
MAX_ID_BYTES = 255
_SEPARATORS = ("/", "\\")


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be an id, or None when it can."""
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    if value in (".", ".."):
        return f"{value!r} names a folder, not an object"
    for prefix in RESERVED_ID_PREFIXES:
        if value.startswith(prefix):
            return f"must not start with {prefix!r} (Clarion keeps it for itself)"
    if any(separator in value for separator in _SEPARATORS):
        return "must not hold a path separator (/ or \\)"
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return "must not hold control characters"
    if len(value.encode("utf-8")) > MAX_ID_BYTES:
        return f"must be at most {MAX_ID_BYTES} bytes"
    return None


def check_id(value: Any, field: str = "Id") -> str:
    """``value`` when it can be an id.

    Raises
    ------
    InvalidRecordError
        Naming ``field`` and the rule broken.
    """
    problem = id_problem(value)
    if problem is not None:
        raise InvalidRecordError([FieldProblem(field, problem)])
    return str(value)
