"""Reading endpoints and users (Pinpoint's GetEndpoint and GetUserEndpoints)."""

from __future__ import annotations

from typing import Any

from clarion.domain.common.errors import NotFoundError
from clarion.ports import ProfileStore


class EndpointService:
    """Endpoints and users in Pinpoint JSON, read from the profile store."""

    def __init__(self, profiles: ProfileStore) -> None:
        self._profiles = profiles

    def get_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        """One endpoint in Pinpoint JSON. Raises ``NotFoundError``."""
        endpoint = self._profiles.get_endpoint(endpoint_id)
        if endpoint is None:
            raise NotFoundError("endpoint", endpoint_id)
        return endpoint.to_pinpoint()

    def user_endpoints(self, user_id: str) -> list[dict[str, Any]]:
        """Every endpoint of one user, in Pinpoint JSON. Raises ``NotFoundError`` when
        the user has none."""
        endpoints = self._profiles.endpoints_for_user(user_id)
        if not endpoints:
            raise NotFoundError("user", user_id)
        return [endpoint.to_pinpoint() for endpoint in endpoints]
