"""Endpoints and users: UpdateEndpoint, UpdateEndpointsBatch, GetEndpoint,
DeleteEndpoint, GetUserEndpoints, DeleteUserEndpoints, RemoveAttributes."""

from __future__ import annotations

from typing import Any

from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.registry import operation


def _accepted(call: Call, message: str = "Accepted") -> dict[str, Any]:
    return {"Message": message, "RequestID": call.request_id}


@operation("GetEndpoint")
def get_endpoint(call: Call) -> dict[str, Any]:
    """One endpoint (the CLI's ``endpoints get``)."""
    endpoint = call.project().endpoint_service.get_endpoint(call.get("EndpointId"))
    return {"ApplicationId": call.app_id, **endpoint}


@operation("UpdateEndpoint")
def update_endpoint(call: Call) -> dict[str, Any]:
    """Creates or updates an endpoint (the import's row rules)."""
    service = call.project().endpoint_service
    service.update_endpoint(call.get("EndpointId"), call.body("EndpointRequest"))
    return _accepted(call)


@operation("UpdateEndpointsBatch")
def update_endpoints_batch(call: Call) -> dict[str, Any]:
    """Creates or updates up to 100 endpoints; bad items are named, good ones written."""
    items = call.body("EndpointBatchRequest").get("Item") or []
    result = call.project().endpoint_service.update_endpoints(items)
    if not result.rejected:
        return _accepted(call)
    problems = "; ".join(f"Item.{r.line - 1}.{r.field}: {r.reason}" for r in result.rejected)
    written = result.imported + result.updated
    return _accepted(call, f"Accepted {written} endpoint(s); rejected: {problems}")


@operation("DeleteEndpoint")
def delete_endpoint(call: Call) -> dict[str, Any]:
    """Deletes an endpoint; answers what it was."""
    endpoint = call.project().endpoint_service.delete_endpoint(call.get("EndpointId"))
    return {"ApplicationId": call.app_id, **endpoint}


@operation("GetUserEndpoints")
def get_user_endpoints(call: Call) -> dict[str, Any]:
    """Every endpoint of a user."""
    endpoints = call.project().endpoint_service.user_endpoints(call.get("UserId"))
    return {"Item": [{"ApplicationId": call.app_id, **e} for e in endpoints]}


@operation("DeleteUserEndpoints")
def delete_user_endpoints(call: Call) -> dict[str, Any]:
    """Deletes every endpoint of a user; answers what they were."""
    endpoints = call.project().endpoint_service.delete_user_endpoints(call.get("UserId"))
    return {"Item": [{"ApplicationId": call.app_id, **e} for e in endpoints]}


@operation("RemoveAttributes")
def remove_attributes(call: Call) -> dict[str, Any]:
    """Removes custom, metric or user attributes from every endpoint of the project."""
    names = call.body("UpdateAttributesRequest").get("Blacklist") or []
    resource = call.project().endpoint_service.remove_attributes(call.get("AttributeType"), names)
    return {"ApplicationId": call.app_id, **resource}
