"""A project's channels (GetChannels; Get, Update and Delete of the email, SMS, voice,
APNs, GCM and ADM channels), mapped to Clarion's delivery configuration.

Each channel is a document of the project: whether it is enabled and what delivery uses
(an email channel's FromAddress and ConfigurationSet become the sender and the SES
configuration set of the project's email). Credentials (APNs certificates and keys, an
FCM service JSON or API key, an ADM client secret) are accepted only as references to
Secrets Manager secrets (``arn:aws:secretsmanager:...``), stored as references, and
never echoed back: responses say ``HasCredential`` (and ``HasTokenKey``) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from clarion.domain.audience.endpoint import ChannelType, utc_now_iso
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.ports.common import ProjectStore

KIND = "channel"
SECRET_ARN = "arn:aws:secretsmanager:"  # noqa: S105 (an ARN prefix, not a secret)
# The channels offered, with the request fields that are credentials.
CHANNELS: dict[str, tuple[str, ...]] = {
    ChannelType.EMAIL.value: (),
    ChannelType.SMS.value: (),
    ChannelType.VOICE.value: (),
    ChannelType.APNS.value: ("Certificate", "PrivateKey", "TokenKey"),
    ChannelType.APNS_SANDBOX.value: ("Certificate", "PrivateKey", "TokenKey"),
    ChannelType.APNS_VOIP.value: ("Certificate", "PrivateKey", "TokenKey"),
    ChannelType.APNS_VOIP_SANDBOX.value: ("Certificate", "PrivateKey", "TokenKey"),
    ChannelType.GCM.value: ("ApiKey", "ServiceJson"),
    ChannelType.ADM.value: ("ClientSecret",),
}
# Request fields echoed in responses (everything else of a request stays stored only).
_ECHOED = {
    ChannelType.EMAIL.value: (
        "ConfigurationSet",
        "FromAddress",
        "Identity",
        "RoleArn",
        "OrchestrationSendingRoleArn",
    ),
    ChannelType.SMS.value: ("SenderId", "ShortCode"),
    ChannelType.VOICE.value: (),
    ChannelType.GCM.value: ("DefaultAuthenticationMethod",),
    ChannelType.ADM.value: (),
}
_APNS_ECHOED = ("DefaultAuthenticationMethod",)


class ChannelService:
    """Project channels (module docstring).

    Parameters
    ----------
    store
        Where each project's channels are kept.
    clock
        ISO-8601 "now".
    """

    def __init__(self, store: ProjectStore, *, clock: Callable[[], str] = utc_now_iso) -> None:
        self._store = store
        self._clock = clock

    def _response(self, app_id: str, channel: str, stored: Mapping[str, Any]) -> dict[str, Any]:
        request = stored.get("Request") or {}
        secrets = CHANNELS[channel]
        response: dict[str, Any] = {
            "ApplicationId": app_id,
            "Id": channel.lower(),
            "Platform": channel,
            "Enabled": bool(request.get("Enabled", True)),
            "IsArchived": False,
            "CreationDate": stored.get("CreationDate"),
            "LastModifiedDate": stored.get("LastModifiedDate"),
            "LastModifiedBy": "clarion",
            "Version": int(stored.get("Version", 1)),
            "HasCredential": any(request.get(name) for name in secrets) or not secrets,
        }
        for name in _ECHOED.get(channel, _APNS_ECHOED):
            if request.get(name) is not None:
                response[name] = request[name]
        if channel.startswith("APNS"):
            response["HasTokenKey"] = bool(request.get("TokenKey"))
        if channel == ChannelType.GCM.value:
            response["HasFcmServiceCredentials"] = bool(request.get("ServiceJson"))
        return {k: v for k, v in response.items() if v is not None}

    def update_channel(
        self, app_id: str, channel: str, request: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Update*Channel: creates or replaces the channel. Raises InvalidRecordError
        for a credential that is not a Secrets Manager reference."""
        if channel not in CHANNELS:
            raise InvalidRecordError([FieldProblem("Channel", f"{channel!r} is not offered")])
        problems = [
            FieldProblem(
                name,
                "give a Secrets Manager secret ARN (arn:aws:secretsmanager:...) holding the "
                "credential, never the credential itself",
            )
            for name in CHANNELS[channel]
            if request.get(name) is not None
            and not (isinstance(request[name], str) and request[name].startswith(SECRET_ARN))
        ]
        if problems:
            raise InvalidRecordError(problems)
        current = self._store.get_document(app_id, KIND, channel)
        now = self._clock()
        stored = {
            "Request": dict(request),
            "CreationDate": (current or {}).get("CreationDate", now),
            "LastModifiedDate": now,
            "Version": int((current or {}).get("Version", 0)) + 1,
        }
        self._store.put_document(app_id, KIND, channel, stored)
        return self._response(app_id, channel, stored)

    def get_channel(self, app_id: str, channel: str) -> dict[str, Any]:
        """Get*Channel. Raises NotFoundError when it was never set."""
        stored = self._store.get_document(app_id, KIND, channel)
        if stored is None:
            raise NotFoundError(f"{channel} channel of project", app_id)
        return self._response(app_id, channel, stored)

    def delete_channel(self, app_id: str, channel: str) -> dict[str, Any]:
        """Delete*Channel: answers what it was. Raises NotFoundError."""
        response = self.get_channel(app_id, channel)
        self._store.delete_document(app_id, KIND, channel)
        return response

    def channels(self, app_id: str) -> dict[str, dict[str, Any]]:
        """GetChannels: every channel set, by platform (ChannelResponse)."""
        found = {}
        for channel, stored in self._store.list_documents(app_id, KIND).items():
            if channel in CHANNELS:
                response = self._response(app_id, channel, stored)
                found[channel] = {
                    k: v
                    for k, v in response.items()
                    if k not in ("Platform", "HasTokenKey") and k in _CHANNEL_RESPONSE
                }
        return found

    def enabled(self, app_id: str, channel: ChannelType) -> bool:
        """Whether delivery on ``channel`` is on for the project: a channel never set is
        on (delivery then uses the deployment's configuration); one set with
        ``Enabled: false`` is off."""
        stored = self._store.get_document(app_id, KIND, channel.value)
        return stored is None or bool((stored.get("Request") or {}).get("Enabled", True))

    def sender(self, app_id: str) -> dict[str, str]:
        """The email channel's FromAddress and ConfigurationSet, where set."""
        stored = self._store.get_document(app_id, KIND, ChannelType.EMAIL.value) or {}
        request = stored.get("Request") or {}
        return {k: str(request[k]) for k in ("FromAddress", "ConfigurationSet") if request.get(k)}


_CHANNEL_RESPONSE = frozenset(
    {
        "ApplicationId",
        "CreationDate",
        "Enabled",
        "HasCredential",
        "Id",
        "IsArchived",
        "LastModifiedBy",
        "LastModifiedDate",
        "Version",
    }
)
