"""What every feature's domain shares: field problems and errors, the Pinpoint model
base (PascalCase JSON), stored-document identities, and the confidence intervals that
compare a treated group with a holdout.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
    from clarion.domain.common.intervals import (
        MeanDifference,
        ProportionDifference,
        difference_of_means,
        difference_of_proportions,
        wilson_interval,
    )
    from clarion.domain.common.model import RECORD, PinpointModel, validation_problems
    from clarion.domain.common.stored import run_identity, version_identity

_HOMES: dict[str, str] = {
    "FieldProblem": "clarion.domain.common.errors",
    "InvalidRecordError": "clarion.domain.common.errors",
    "MeanDifference": "clarion.domain.common.intervals",
    "NotFoundError": "clarion.domain.common.errors",
    "PinpointModel": "clarion.domain.common.model",
    "ProportionDifference": "clarion.domain.common.intervals",
    "RECORD": "clarion.domain.common.model",
    "difference_of_means": "clarion.domain.common.intervals",
    "difference_of_proportions": "clarion.domain.common.intervals",
    "run_identity": "clarion.domain.common.stored",
    "validation_problems": "clarion.domain.common.model",
    "version_identity": "clarion.domain.common.stored",
    "wilson_interval": "clarion.domain.common.intervals",
}

__all__ = [
    "RECORD",
    "FieldProblem",
    "InvalidRecordError",
    "MeanDifference",
    "NotFoundError",
    "PinpointModel",
    "ProportionDifference",
    "difference_of_means",
    "difference_of_proportions",
    "run_identity",
    "validation_problems",
    "version_identity",
    "wilson_interval",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
