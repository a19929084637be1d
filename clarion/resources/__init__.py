"""Data files read by both the runtime and the infrastructure code: SQL (``sql/``),
contracts (``contracts/``: event columns, metric names, environment variable names)
and rule files (``rules/``).

The runtime reads them through :func:`read_text` (package data, so they travel with the
Lambda asset); ``infra/`` reads the same files by path and never imports this package.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["read_json", "read_text"]


def read_text(relative_path: str) -> str:
    """The text of ``clarion/resources/<relative_path>`` (UTF-8)."""
    return resources.files(__name__).joinpath(relative_path).read_text("utf-8")


@cache
def read_json(relative_path: str) -> Any:
    """The parsed JSON of ``clarion/resources/<relative_path>`` (read once)."""
    return json.loads(read_text(relative_path))
