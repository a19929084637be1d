"""The environment variables the functions read their settings from.

Declared once, in ``clarion/resources/contracts/environment.json`` (setting name ->
variable name), which the runtime's settings read too: the stacks name a variable only
through :func:`variable`, so they can set no variable the functions do not read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from infra.paths import RESOURCES_DIR

ENVIRONMENT_FILE = RESOURCES_DIR / "contracts" / "environment.json"


@cache
def declared_variables() -> Mapping[str, str]:
    """The environment variable of each setting, by setting name, as declared."""
    declared = json.loads(ENVIRONMENT_FILE.read_text(encoding="utf-8"))
    variables: dict[str, str] = declared["variables"]
    return MappingProxyType(variables)


def variable(setting: str) -> str:
    """The environment variable that carries ``setting`` (``"sends_table"`` ->
    ``"CLARION_SENDS_TABLE"``).

    Raises
    ------
    KeyError
        When the contract declares no such setting.
    """
    try:
        return declared_variables()[setting]
    except KeyError:
        declared_in = ENVIRONMENT_FILE.name
        raise KeyError(f"{setting!r} is not a setting declared in {declared_in}") from None
