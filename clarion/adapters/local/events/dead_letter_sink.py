"""Dead letters on disk: the local DeadLetterSink.

Each reject is one JSON line in ``CLARION_HOME/dead-letters/<UTC date>.jsonl`` (appended),
in the same shape the AWS adapter writes to S3 (see :func:`dead_letter_entry`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clarion.domain.events.records import Reject
from clarion.domain.events.rows import dead_letter_lines

DEAD_LETTERS_FOLDER = "dead-letters"


class FileDeadLetterSink:
    """DeadLetterSink writing JSON lines under ``home/dead-letters/``."""

    def __init__(self, home: Path) -> None:
        self.folder = home / DEAD_LETTERS_FOLDER
        self._lock = threading.Lock()

    def put_rejects(self, rejects: Sequence[Reject], *, origin: str) -> str | None:
        if not rejects:
            return None
        now = datetime.now(UTC)
        path = self.folder / f"{now:%Y-%m-%d}.jsonl"
        text = dead_letter_lines(rejects, origin, now)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(text)
        return str(path)

    def read_all(self) -> list[dict[str, Any]]:
        """Every dead letter kept, oldest file first."""
        entries: list[dict[str, Any]] = []
        for path in sorted(self.folder.glob("*.jsonl")):
            with path.open(encoding="utf-8") as lines:
                entries.extend(json.loads(line) for line in lines if line.strip())
        return entries
