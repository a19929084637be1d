"""One record of a data stream as a Lambda batch delivers it.

Its own module: the posts stream's consumer reads these records too, and importing the
events stream's consumer would import the whole ingestion pipeline it never runs
(Lambda cold starts, docs/deploy.md).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clarion.domain.common.errors import FieldProblem
from clarion.domain.common.json_input import parse_json


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One record of a data stream, as a Lambda batch delivers it.

    ``data`` is the record's base64 text; ``raw`` the whole record, kept with a reject.
    """

    sequence_number: str
    data: str
    arrival_ms: int
    raw: Mapping[str, Any]

    def decode(self) -> tuple[Any, FieldProblem | None]:
        """The decoded JSON payload, or None and why it is not base64 JSON."""
        try:
            return parse_json(base64.b64decode(self.data)), None
        except (ValueError, TypeError) as exc:
            return None, FieldProblem("kinesis.data", f"is not base64 JSON: {exc}")
