"""The local ChurnFiles: the pipeline's files under CLARION_HOME."""

from __future__ import annotations

from pathlib import Path

from clarion.domain.common.errors import NotFoundError


class LocalChurnFiles:
    """ChurnFiles under ``<home>/churn/``: keys are paths below it, and locations are
    absolute paths (which are accepted as keys too)."""

    def __init__(self, home: Path) -> None:
        self._root = (home / "churn").absolute()

    def _path(self, key: str) -> Path:
        given = Path(key)
        if given.is_absolute():
            # A location this store returned.
            if not given.is_relative_to(self._root):
                raise ValueError(f"{key!r} is not a churn pipeline file")
            key = given.relative_to(self._root).as_posix()
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise ValueError(f"bad key {key!r}")
        return self._root.joinpath(*parts)

    def location(self, key: str) -> str:
        return str(self._path(key))

    def put_text(self, key: str, text: str) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return str(path)

    def get_text(self, key: str) -> str:
        path = self._path(key)
        if not path.exists():
            raise NotFoundError("file", key)
        return path.read_text("utf-8")

    def list_keys(self, prefix: str) -> list[str]:
        base = self._root
        if not base.exists():
            return []
        keys = [str(p.relative_to(base)).replace("\\", "/") for p in base.rglob("*") if p.is_file()]
        return sorted(k for k in keys if k.startswith(prefix))
