"""Files of import and export jobs on the local disk: ``file://`` URLs and plain paths
(an ``s3://`` URL is refused with the reason: the local backend reads no bucket)."""

from __future__ import annotations

from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlparse


def local_path(url: str) -> Path:
    """The path a ``file://`` URL or a plain path names.

    Raises
    ------
    ValueError
        For a URL of another scheme.
    """
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("",) or (len(parsed.scheme) == 1 and url[1:3] == ":\\"):
        return Path(url)
    raise ValueError(
        f"{url!r}: the local backend reads and writes file:// URLs and paths, not "
        f"{parsed.scheme}:// (copy the files to this machine, or use the aws backend)"
    )


class LocalJobFiles:
    """JobFiles on the local disk."""

    def list(self, url: str) -> list[str]:
        path = local_path(url)
        if path.is_file():
            return [path.as_uri()]
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            if files:
                return [p.as_uri() for p in files]
        raise FileNotFoundError(f"no file at {url}")

    def open(self, url: str) -> IO[bytes]:
        return local_path(url).open("rb")

    def write(self, url: str, data: bytes) -> str:
        path = local_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path.resolve().as_uri()
