"""Errors in Pinpoint's shape: ``{"Message": ..., "RequestID": ...}`` with the status of
the error and its name in ``X-Amzn-ErrorType``, which botocore turns into
``client.exceptions.<Name>`` exactly as it did for Pinpoint.

Domain errors map onto Pinpoint's: a field problem is ``BadRequestException`` (400), an
unknown object ``NotFoundException`` (404). An operation Clarion does not offer answers
``MethodNotAllowedException`` (405) with the reason: the route exists (so the client
gets a modeled error, not a bare 404), the method on it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from clarion.domain.common.errors import FieldProblem


class ApiError(Exception):
    """A Pinpoint error: the code (``X-Amzn-ErrorType``), its HTTP status, a message."""

    code = "InternalServerErrorException"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(ApiError):
    code, status = "BadRequestException", 400

    @classmethod
    def of(cls, problems: Iterable[FieldProblem | str]) -> BadRequestError:
        """One message naming every problem (``Field: reason; ...``)."""
        return cls("; ".join(str(p) for p in problems) or "bad request")


class ForbiddenError(ApiError):
    code, status = "ForbiddenException", 403


class ResourceNotFoundError(ApiError):
    code, status = "NotFoundException", 404


class NotOfferedError(ApiError):
    code, status = "MethodNotAllowedException", 405


class ConflictError(ApiError):
    code, status = "ConflictException", 409


class PayloadTooLargeError(ApiError):
    code, status = "PayloadTooLargeException", 413


class TooManyRequestsError(ApiError):
    code, status = "TooManyRequestsException", 429


class InternalServerError(ApiError):
    code, status = "InternalServerErrorException", 500


def error_body(error: ApiError, request_id: str) -> dict[str, str]:
    return {"Message": error.message, "RequestID": request_id}
