"""What would be forwarded to each project's event stream, locally: one JSON-lines file
per destination under ``CLARION_HOME/event-streams/`` (the stream's ARN, made a file
name), one Pinpoint event-stream record a line, appended."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from clarion.domain.events.records import EventRecord
from clarion.ports.events import StreamDestination

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def stream_file(home: Path, stream_arn: str) -> Path:
    """The file a destination's records go to."""
    return home / "event-streams" / (_UNSAFE.sub("_", stream_arn).strip("_") + ".jsonl")


class FileEventForwarder:
    """EventForwarder into files (module docstring)."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._lock = threading.Lock()

    def forward(self, destination: StreamDestination, records: Sequence[EventRecord]) -> None:
        if not records:
            return
        path = stream_file(self._home, destination.stream_arn)
        lines = "".join(
            json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n"
            for record in records
        )
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(lines)
