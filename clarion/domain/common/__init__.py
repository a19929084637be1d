"""What every feature's domain shares: field problems and errors, the Pinpoint model
base (PascalCase JSON), stored-document identities, and the confidence intervals that
compare a treated group with a holdout."""

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
