"""Who a console user is, and what their group may do.

On AWS the console calls the console API, whose Cognito user-pool authorizer checks the
user's ID token and hands the function its claims (``requestContext.authorizer.claims``,
which Mangum keeps in the ASGI scope as ``aws.event``). Two groups: ``admin`` may do
everything; ``marketer`` may do everything but change channels, project settings and
the event stream, or delete a project. A signed-in user in neither group may do nothing.
Calls without claims (SigV4 callers of the IAM-authorised API, ``clarion serve``) are not
console users: IAM, or the local token, decides for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clarion.entrypoints.api.errors import ForbiddenError

ADMIN, MARKETER = "admin", "marketer"
GROUPS = (ADMIN, MARKETER)

_CHANNEL = re.compile(r"^(Update|Delete)[A-Za-z]+Channel$")
# Operations only ``admin`` may call: channels, settings, the event stream, projects gone.
ADMIN_ONLY_OPERATIONS = frozenset(
    {"UpdateApplicationSettings", "PutEventStream", "DeleteEventStream", "DeleteApp"}
)


def admin_only(operation: str) -> bool:
    """Whether only ``admin`` may call ``operation`` (a model or extension name)."""
    return operation in ADMIN_ONLY_OPERATIONS or bool(_CHANNEL.match(operation))


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A signed-in console user, from the authorizer's claims."""

    name: str
    groups: tuple[str, ...]

    @property
    def admin(self) -> bool:
        return ADMIN in self.groups

    def to_identity(self) -> dict[str, Any]:
        return {"user": self.name, "groups": list(self.groups), "admin": self.admin}


def _groups(value: Any) -> tuple[str, ...]:
    """``cognito:groups`` as API Gateway passes it: a list, ``"a,b"`` or ``"[a b]"``."""
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[\s,]+", str(value or "").strip("[]"))
    return tuple(sorted({item for item in items if item}))


def console_user(scope: Mapping[str, Any]) -> ConsoleUser | None:
    """The console user of a request (None for a caller the authorizer did not vouch for)."""
    event = scope.get("aws.event")
    if not isinstance(event, Mapping):
        return None
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if not isinstance(claims, Mapping) or not claims:
        return None
    name = str(claims.get("cognito:username") or claims.get("email") or claims.get("sub") or "")
    return ConsoleUser(name, _groups(claims.get("cognito:groups")))


def authorize(user: ConsoleUser | None, operation: str) -> None:
    """Refuse ``operation`` to a console user whose groups do not allow it.

    Raises
    ------
    ForbiddenError
        A user in no console group, or a marketer asking for an admin-only operation.
    """
    if user is None:
        return
    if not any(group in GROUPS for group in user.groups):
        raise ForbiddenError(f"{user.name} is in no console group (admin or marketer)")
    if admin_only(operation) and not user.admin:
        raise ForbiddenError(
            f"{operation} changes channels or settings: only the admin group may call it"
        )
