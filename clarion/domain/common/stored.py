"""What every repository checks before it stores a document, on both backends.

A stored definition (a segment, a campaign) is one version of a Pinpoint resource: its
``Id`` a non-empty string, its ``Version`` a positive integer. A campaign run is keyed by
its ``RunId`` and belongs to a ``CampaignId``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _required_string(document: Mapping[str, Any], name: str, what: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} {name}: is required (a non-empty string)")
    return value


def version_identity(kind: str, document: Mapping[str, Any]) -> tuple[str, int]:
    """The ``(Id, Version)`` of one stored version of a ``kind`` ("segment", "campaign").

    Raises
    ------
    ValueError
        For a missing or empty Id, or a Version that is not a positive integer.
    """
    document_id = _required_string(document, "Id", kind)
    version = document.get("Version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{kind} {document_id!r} Version: must be a positive integer")
    return document_id, version


def run_identity(run: Mapping[str, Any]) -> tuple[str, str]:
    """The ``(RunId, CampaignId)`` of a campaign run record.

    Raises
    ------
    ValueError
        For a missing or empty RunId or CampaignId.
    """
    run_id = _required_string(run, "RunId", "run")
    campaign_id = _required_string(run, "CampaignId", f"run {run_id!r}")
    return run_id, campaign_id
