"""What every feature's domain shares: field problems and errors, the Pinpoint model
base (PascalCase JSON), and stored-document identities."""

from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.common.model import RECORD, PinpointModel, validation_problems
from clarion.domain.common.stored import run_identity, version_identity

__all__ = [
    "RECORD",
    "FieldProblem",
    "InvalidRecordError",
    "NotFoundError",
    "PinpointModel",
    "run_identity",
    "validation_problems",
    "version_identity",
]
