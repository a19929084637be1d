"""The local ChurnModelStore: model archives and records under CLARION_HOME/models."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clarion.domain.churn.model import ModelRecord, artifact_file
from clarion.domain.common.errors import NotFoundError
from clarion.domain.common.ids import id_problem

PROMOTED = "promoted.json"


def _safe(name: str) -> str:
    # The id rule (no folder name, separator or reserved prefix), and no hidden file.
    if id_problem(name) is not None or name.startswith("."):
        raise ValueError(f"bad name {name!r}")
    return name


class FileChurnModelStore:
    """ChurnModelStore under ``<home>/models/churn/``."""

    def __init__(self, home: Path) -> None:
        self._root = home / "models" / "churn"

    def save_model(self, record: ModelRecord, archive: bytes) -> str:
        folder = self._root / _safe(record.model_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / artifact_file(record.kind)
        path.write_bytes(archive)
        stored = ModelRecord.from_json({**record.to_json(), "artifact": str(path)})
        (folder / "model.json").write_text(json.dumps(stored.to_json(), indent=2), "utf-8")
        return str(path)

    def load_model(self, model_id: str) -> tuple[ModelRecord, bytes]:
        folder = self._root / _safe(model_id)
        if not (folder / "model.json").exists():
            raise NotFoundError("churn model", model_id)
        record = ModelRecord.from_json(json.loads((folder / "model.json").read_text("utf-8")))
        return record, (folder / artifact_file(record.kind)).read_bytes()

    def promoted(self) -> ModelRecord | None:
        path = self._root / PROMOTED
        if not path.exists():
            return None
        return ModelRecord.from_json(json.loads(path.read_text("utf-8")))

    def promote(self, record: ModelRecord) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        path = self._root / PROMOTED
        if path.exists():
            history = self._root / "history"
            history.mkdir(exist_ok=True)
            previous = json.loads(path.read_text("utf-8"))
            (history / f"{_safe(previous['model_id'])}.json").write_text(
                json.dumps(previous, indent=2), "utf-8"
            )
        path.write_text(json.dumps(record.to_json(), indent=2), "utf-8")

    def put_document(self, name: str, document: Mapping[str, Any]) -> str:
        path = self._root / "documents" / f"{_safe(name)}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, default=str), "utf-8")
        return str(path)

    def get_document(self, name: str) -> dict[str, Any] | None:
        path = self._root / "documents" / f"{_safe(name)}.json"
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data
