"""Endpoints and users in Pinpoint's API: GetEndpoint, UpdateEndpoint,
UpdateEndpointsBatch, DeleteEndpoint, GetUserEndpoints, DeleteUserEndpoints and
RemoveAttributes.

Writes go through the import service's row rules (merge onto the stored endpoint,
validation, the attribute-name and per-user limits), so an endpoint written by the API
and the same endpoint imported from a file end up the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.ports import AudienceQuery, EndpointLocator, ProfileStore
from clarion.services.audience.imports import ImportResult

# RemoveAttributes' attribute-type, and the endpoint map each names.
ATTRIBUTE_TYPES = {
    "endpoint-custom-attributes": "Attributes",
    "endpoint-metric-attributes": "Metrics",
    "endpoint-user-attributes": "User.UserAttributes",
}
_COLUMNS = {
    "Attributes": "attributes",
    "Metrics": "metrics",
    "User.UserAttributes": "user_attributes",
}
_REWRITE_BATCH = 500


class EndpointUpdates(Protocol):
    """What endpoint writes need of the import service."""

    def update_endpoints(self, items: Sequence[Mapping[str, Any]]) -> ImportResult: ...


class EndpointService:
    """Endpoints and users in Pinpoint JSON (module docstring).

    Parameters
    ----------
    profiles
        The profile store.
    updates
        The import service (row rules for writes); None for a read-only service.
    audience
        Finds the endpoints holding an attribute (RemoveAttributes).
    """

    def __init__(
        self,
        profiles: ProfileStore,
        updates: EndpointUpdates | None = None,
        audience: AudienceQuery | None = None,
        locator: EndpointLocator | None = None,
    ) -> None:
        self._profiles = profiles
        self._updates = updates
        self._audience = audience
        self._locator = locator

    # -- reads ---------------------------------------------------------------------------

    def get_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        """One endpoint in Pinpoint JSON. Raises ``NotFoundError``."""
        endpoint = self._profiles.get_endpoint(endpoint_id)
        if endpoint is None:
            raise NotFoundError("endpoint", endpoint_id)
        return endpoint.to_pinpoint()

    def find_by_address(self, address: str) -> list[dict[str, Any]]:
        """The endpoints with this address (an email address, or a phone number on the
        SMS and voice channels, or a push token on any other), in Pinpoint JSON.

        Raises
        ------
        InvalidRecordError
            For an empty address, or where no locator was given.
        """
        wanted = address.strip()
        if not wanted or self._locator is None:
            raise InvalidRecordError([FieldProblem("address", "is required")])
        if "@" in wanted:
            channels = [ChannelType.EMAIL]
        elif wanted.startswith("+"):
            channels = [ChannelType.SMS, ChannelType.VOICE]
        else:
            channels = [c for c in ChannelType if c not in (ChannelType.EMAIL, ChannelType.SMS)]
        found = self._locator.endpoint_ids_by_address([(c, wanted) for c in channels])
        ids = sorted({i for values in found.values() for i in values})
        endpoints = self._profiles.get_endpoints(ids) if ids else {}
        return [endpoints[i].to_pinpoint() for i in ids if i in endpoints]

    def user_endpoints(self, user_id: str) -> list[dict[str, Any]]:
        """Every endpoint of one user, in Pinpoint JSON. Raises ``NotFoundError`` when
        the user has none."""
        endpoints = self._profiles.endpoints_for_user(user_id)
        if not endpoints:
            raise NotFoundError("user", user_id)
        return [endpoint.to_pinpoint() for endpoint in endpoints]

    # -- writes --------------------------------------------------------------------------

    def _updater(self) -> EndpointUpdates:
        if self._updates is None:
            raise RuntimeError("this endpoint service was built without writes")
        return self._updates

    def update_endpoint(self, endpoint_id: str, request: Mapping[str, Any]) -> None:
        """UpdateEndpoint: create the endpoint or merge ``request`` onto it.

        Raises
        ------
        InvalidRecordError
            Naming every field at fault (nothing is written).
        """
        if not isinstance(request, Mapping):
            raise InvalidRecordError([FieldProblem("EndpointRequest", "must be a JSON object")])
        result = self._updater().update_endpoints([{**request, "Id": endpoint_id}])
        if result.rejected:
            raise InvalidRecordError([FieldProblem(r.field, r.reason) for r in result.rejected])

    def update_endpoints(self, items: Sequence[Mapping[str, Any]]) -> ImportResult:
        """UpdateEndpointsBatch: every good item is written; each bad one is rejected
        with its position (``Rejection.line`` is 1-based), the field and the reason.

        Raises
        ------
        InvalidRecordError
            When no item could be written (each problem named ``Item.<index>.<field>``).
        """
        problems = [
            FieldProblem(f"Item.{index}.Id", "is required")
            for index, item in enumerate(items)
            if not isinstance(item, Mapping) or not item.get("Id")
        ]
        if problems:
            raise InvalidRecordError(problems)
        result = self._updater().update_endpoints(items)
        if result.rejected and not (result.imported or result.updated):
            raise InvalidRecordError(
                [FieldProblem(f"Item.{r.line - 1}.{r.field}", r.reason) for r in result.rejected]
            )
        return result

    def delete_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        """DeleteEndpoint: removes it; returns what it was. Raises ``NotFoundError``."""
        document = self.get_endpoint(endpoint_id)
        self._profiles.delete_endpoints([endpoint_id])
        return document

    def delete_user_endpoints(self, user_id: str) -> list[dict[str, Any]]:
        """DeleteUserEndpoints: removes every endpoint of the user; returns them.
        Raises ``NotFoundError`` when the user has none."""
        documents = self.user_endpoints(user_id)
        self._profiles.delete_endpoints([str(d["Id"]) for d in documents])
        return documents

    def remove_attributes(self, attribute_type: str, names: Sequence[str]) -> dict[str, Any]:
        """RemoveAttributes: the named attributes (custom, metric or user attributes)
        taken off every endpoint of the project. Returns the AttributesResource (the
        names of that type still in use).

        Raises
        ------
        InvalidRecordError
            An unknown attribute type.
        """
        field = ATTRIBUTE_TYPES.get(attribute_type)
        if field is None:
            raise InvalidRecordError(
                [
                    FieldProblem(
                        "AttributeType",
                        f"{attribute_type!r} is not one of {', '.join(sorted(ATTRIBUTE_TYPES))}",
                    )
                ]
            )
        wanted = sorted(set(names))
        if wanted and self._audience is not None:
            column = _COLUMNS[field]
            condition = " OR ".join(
                f"element_at({column}, '{name.replace(chr(39), chr(39) * 2)}') IS NOT NULL"
                for name in wanted
            )
            sql = self._audience.scope(f"SELECT id FROM endpoints WHERE {condition}")
            ids = list(self._audience.endpoint_ids(sql))
            for start in range(0, len(ids), _REWRITE_BATCH):
                found = self._profiles.get_endpoints(ids[start : start + _REWRITE_BATCH])
                self._profiles.put_endpoints(
                    [_without(endpoint, field, wanted) for endpoint in found.values()]
                )
        prefix = f"{field}."
        remaining = sorted(
            name[len(prefix) :]
            for name in self._profiles.attribute_names()
            if name.startswith(prefix) and name[len(prefix) :] not in wanted
        )
        return {"AttributeType": attribute_type, "Attributes": remaining}


def _without(endpoint: Endpoint, field: str, names: Sequence[str]) -> Endpoint:
    document = endpoint.to_pinpoint()
    if field == "User.UserAttributes":
        holder = document.get("User") or {}
        values = holder.get("UserAttributes") or {}
        holder["UserAttributes"] = {k: v for k, v in values.items() if k not in names}
    else:
        document[field] = {k: v for k, v in (document.get(field) or {}).items() if k not in names}
    return Endpoint.model_validate(document)
