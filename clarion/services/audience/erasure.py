"""Erasing a person everywhere: ``clarion endpoints erase ID``, ``clarion users erase
USER_ID`` and the API's DeleteEndpoint / DeleteUserEndpoints.

The person is resolved from the profile store first (their endpoints' ids, user id and
addresses), every other store gives them up through the backend's
:class:`~clarion.ports.PersonalDataEraser`, and then their endpoints are deleted from
the profile store, which every send reads: no campaign, journey or trigger that starts
after the erase can reach them. The profile goes last so that an erase that fails half
way can be run again and still knows the addresses to look for.
An id the profile store no longer knows is still erased from the other stores: that is
how a person deleted before erase existed is taken out of what was left behind.
"""

from __future__ import annotations

from datetime import UTC, datetime

from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.audience.erasure import (
    ErasedItem,
    ErasureReceipt,
    ErasureSubject,
    erasure_token,
    merge_items,
)
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.ports import PersonalDataEraser, ProfileStore

__all__ = ["ErasureService"]


class ErasureService:
    """Erase endpoints and users (module docstring).

    Parameters
    ----------
    profiles
        The profile store (the person is resolved and deleted there first).
    eraser
        Every other store of the backend.
    """

    def __init__(self, profiles: ProfileStore, eraser: PersonalDataEraser) -> None:
        self._profiles = profiles
        self._eraser = eraser

    def erase_endpoint(self, endpoint_id: str) -> ErasureReceipt:
        """Erase one endpoint: its id and address everywhere (the user id stays when
        the user has other endpoints; ``erase_user`` takes the whole person)."""
        _required("EndpointId", endpoint_id)
        endpoint = self._profiles.get_endpoint(endpoint_id)
        found = [endpoint] if endpoint is not None else []
        user_ids: list[str] = []
        for item in found:
            user = item.user.user_id if item.user else None
            if user and {e.id for e in self._profiles.endpoints_for_user(user)} <= {endpoint_id}:
                user_ids.append(user)
        return self._erase(f"endpoint {endpoint_id}", [endpoint_id], user_ids, found)

    def erase_user(self, user_id: str) -> ErasureReceipt:
        """Erase a user: every endpoint of theirs, their user id and addresses."""
        _required("UserId", user_id)
        found = self._profiles.endpoints_for_user(user_id)
        return self._erase(f"user {user_id}", [e.id for e in found], [user_id], found)

    def _erase(
        self,
        requested: str,
        endpoint_ids: list[str],
        user_ids: list[str],
        found: list[Endpoint],
    ) -> ErasureReceipt:
        subject = ErasureSubject.of(endpoint_ids, user_ids, [e.address for e in found if e.address])
        token = erasure_token()
        # The other stores first and the profile last: an erase that fails half way
        # can be run again, and still finds the addresses it must look for.
        items = list(self._eraser.erase(subject, token))
        if found:
            self._profiles.delete_endpoints([e.id for e in found])
            items.append(ErasedItem("profiles", "endpoints", "deleted", len(found)))
        self._eraser.compact()
        return ErasureReceipt(
            requested=requested,
            endpoints=len(found),
            token=token,
            items=merge_items(items),
            erased_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        )


def _required(name: str, value: str) -> None:
    if not value or not value.strip():
        raise InvalidRecordError([FieldProblem(name, "is required")])
