"""Pinpoint message templates: request bodies, stored versions and versioning rules.

The request models are the bodies of Pinpoint's CreateEmailTemplate, CreateSmsTemplate,
CreatePushTemplate and CreateVoiceTemplate (EmailTemplateRequest, SMSTemplateRequest,
PushNotificationTemplateRequest, VoiceTemplateRequest), with the field names of the
Pinpoint service model. A stored template keeps every version and an active version,
and serialises to Pinpoint's *TemplateResponse, TemplateResponse and
TemplateVersionResponse shapes.

Versioning follows the Pinpoint user guide ("Managing versions of message templates")
and the API reference for the update operations:

* creating a template makes version 1, which is the active version;
* an update with ``create-new-version=true`` adds a version numbered one past the
  highest ever used (numbers are never reused) and must not name a version;
* any other update overwrites the latest version; a ``version`` given with it must be
  the latest one;
* the active version is set to ``latest`` or to an existing version number;
* at most 5,000 versions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from clarion.domain.audience.endpoint import utc_now_iso
from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.common.model import PinpointModel, validation_problems
from clarion.domain.templates.syntax import template_syntax_problems

MAX_TEMPLATE_NAME_LENGTH = 128
MAX_TEMPLATE_VERSIONS = 5000
MAX_EMAIL_HEADERS = 15
MAX_HEADER_NAME_LENGTH = 126
MAX_HEADER_VALUE_LENGTH = 870
# A header field name (RFC 5322 3.6.8 ftext): printable ASCII but the colon, no space.
HEADER_NAME = re.compile(r"[!-9;-~]+\Z")

# "A template name must start with an alphanumeric character and can contain a maximum
# of 128 characters. The characters can be alphanumeric characters, underscores (_), or
# hyphens (-). Template names are case sensitive." (Pinpoint API reference)
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


class TemplateType(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PUSH = "PUSH"
    VOICE = "VOICE"
    INAPP = "INAPP"


class PushAction(StrEnum):
    OPEN_APP = "OPEN_APP"
    DEEP_LINK = "DEEP_LINK"
    URL = "URL"


def parse_default_substitutions(text: str | None) -> dict[str, str]:
    """Parse DefaultSubstitutions: a JSON *string* holding an object of strings, keyed
    by variable path (``{"User.UserAttributes.FirstName": "there"}``).

    Raises
    ------
    ValueError
        When the text is not JSON, not an object, or holds a value that is not a string.
    """
    if text is None or not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"DefaultSubstitutions is not valid JSON: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise ValueError("DefaultSubstitutions must be a JSON object of variable: value")
    for key, value in parsed.items():
        if not isinstance(value, str):
            raise ValueError(f"the default for {key!r} must be a string")
    return parsed


class _TemplateRequest(PinpointModel):
    default_substitutions: str | None = None
    template_description: str | None = None
    # Pinpoint spells this one in lower case; it ignores tags on updates (since 2023).
    tags: dict[str, str] | None = Field(default=None, alias="tags")

    @field_validator("default_substitutions")
    @classmethod
    def _substitutions(cls, value: str | None) -> str | None:
        parse_default_substitutions(value)
        return value


class MessageHeader(PinpointModel):
    """An email header of a template or a SendMessages body: its name is checked here,
    when it is given, rather than when a message is written (where a CR or LF in it
    would start another header on the MIME path)."""

    name: str = Field(min_length=1, max_length=MAX_HEADER_NAME_LENGTH)
    value: str = Field(max_length=MAX_HEADER_VALUE_LENGTH)

    @field_validator("name")
    @classmethod
    def _field_name(cls, value: str) -> str:
        if HEADER_NAME.match(value) is None:
            raise ValueError(
                f"{value!r} is not a header name: RFC 5322 allows printable ASCII "
                "characters other than the colon, and no space"
            )
        return value

    @field_validator("value")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("a header value may not hold a line break (CR or LF)")
        return value


class EmailTemplateRequest(_TemplateRequest):
    subject: str | None = None
    html_part: str | None = None
    text_part: str | None = None
    recommender_id: str | None = None
    headers: list[MessageHeader] | None = Field(default=None, max_length=MAX_EMAIL_HEADERS)


class SMSTemplateRequest(_TemplateRequest):
    body: str | None = None
    recommender_id: str | None = None


class DefaultPushNotificationTemplate(PinpointModel):
    action: PushAction | None = None
    body: str | None = None
    sound: str | None = None
    title: str | None = None
    url: str | None = None


class AndroidPushNotificationTemplate(DefaultPushNotificationTemplate):
    """The template for ADM, Baidu and GCM (FCM)."""

    image_icon_url: str | None = None
    image_url: str | None = None
    raw_content: str | None = None
    small_image_icon_url: str | None = None


class APNSPushNotificationTemplate(DefaultPushNotificationTemplate):
    media_url: str | None = None
    raw_content: str | None = None


class PushNotificationTemplateRequest(_TemplateRequest):
    adm: AndroidPushNotificationTemplate | None = Field(default=None, alias="ADM")
    apns: APNSPushNotificationTemplate | None = Field(default=None, alias="APNS")
    baidu: AndroidPushNotificationTemplate | None = None
    default: DefaultPushNotificationTemplate | None = None
    gcm: AndroidPushNotificationTemplate | None = Field(default=None, alias="GCM")
    recommender_id: str | None = None


class VoiceTemplateRequest(_TemplateRequest):
    body: str | None = None
    language_code: str | None = None
    voice_id: str | None = None


class InAppTemplateRequest(_TemplateRequest):
    """An in-app message template: shown by the app's SDK (GetInAppMessages), never
    delivered, so its parts are kept as given (Pinpoint does not personalise them).
    ``Content`` holds up to five messages (a carousel), each in the service model's
    InAppMessageContent shape."""

    content: list[dict[str, Any]] | None = Field(default=None, max_length=5)
    custom_config: dict[str, str] | None = None
    layout: str | None = None

    @field_validator("layout")
    @classmethod
    def _layout(cls, value: str | None) -> str | None:
        layouts = {
            "BOTTOM_BANNER",
            "TOP_BANNER",
            "OVERLAYS",
            "MOBILE_FEED",
            "MIDDLE_BANNER",
            "CAROUSEL",
        }
        if value is not None and value not in layouts:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(layouts))}")
        return value


TemplateRequest = (
    EmailTemplateRequest
    | SMSTemplateRequest
    | PushNotificationTemplateRequest
    | VoiceTemplateRequest
    | InAppTemplateRequest
)

REQUEST_MODELS: dict[TemplateType, type[_TemplateRequest]] = {
    TemplateType.EMAIL: EmailTemplateRequest,
    TemplateType.SMS: SMSTemplateRequest,
    TemplateType.PUSH: PushNotificationTemplateRequest,
    TemplateType.VOICE: VoiceTemplateRequest,
    TemplateType.INAPP: InAppTemplateRequest,
}

# What Create*Template and the responses call each type's request body.
REQUEST_BODY_NAMES = {
    TemplateType.EMAIL: "EmailTemplateRequest",
    TemplateType.SMS: "SMSTemplateRequest",
    TemplateType.PUSH: "PushNotificationTemplateRequest",
    TemplateType.VOICE: "VoiceTemplateRequest",
    TemplateType.INAPP: "InAppTemplateRequest",
}


def validate_template_name(name: str) -> str:
    """Check a template name against Pinpoint's rules.

    Raises
    ------
    InvalidRecordError
        With a FieldProblem on ``TemplateName``.
    """
    if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
        raise InvalidRecordError(
            [
                FieldProblem(
                    "TemplateName",
                    f"{name!r} must start with a letter or digit and hold only letters, "
                    f"digits, '_' and '-', at most {MAX_TEMPLATE_NAME_LENGTH} characters",
                )
            ]
        )
    return name


def validate_template_request(
    template_type: TemplateType | str, data: Mapping[str, Any] | TemplateRequest
) -> TemplateRequest:
    """Build a template request body from Pinpoint JSON, checking every rule.

    Checks field names and types, DefaultSubstitutions, email header limits and the
    Handlebars syntax of every part, so a template that is stored always renders.

    Raises
    ------
    InvalidRecordError
        One FieldProblem per broken rule, on Pinpoint field paths (``HtmlPart``,
        ``APNS.Body``, ``Headers.0.Value``).
    """
    try:
        kind = TemplateType(template_type)
    except ValueError:
        raise InvalidRecordError(
            [
                FieldProblem(
                    "TemplateType", f"{template_type!r} is not EMAIL, SMS, PUSH, VOICE or INAPP"
                )
            ]
        ) from None
    model = REQUEST_MODELS[kind]
    if isinstance(data, _TemplateRequest):
        if not isinstance(data, model):
            raise InvalidRecordError(
                [FieldProblem("TemplateType", f"a {kind} template needs a {model.__name__}")]
            )
        data = data.to_pinpoint()
    try:
        request = model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc)) from None
    syntax = template_syntax_problems(kind.value, request.to_pinpoint())
    if syntax:
        raise InvalidRecordError([FieldProblem(path, reason) for path, reason in syntax])
    return request  # type: ignore[return-value]


class _Frozen(PinpointModel):
    model_config = ConfigDict(frozen=True)


class TemplateVersion(_Frozen):
    """One version of a template: what is rendered and sent."""

    template_name: str
    template_type: TemplateType
    version: int = Field(ge=1)
    body: TemplateRequest
    creation_date: str
    last_modified_date: str

    @model_validator(mode="before")
    @classmethod
    def _body_of_its_type(cls, data: Any) -> Any:
        # SMS and voice bodies can look alike: read a stored body by the template type.
        if isinstance(data, Mapping):
            kind = data.get("TemplateType", data.get("template_type"))
            body = data.get("Body", data.get("body"))
            if isinstance(body, Mapping) and kind in TemplateType.__members__:
                data = {**data, "Body": REQUEST_MODELS[TemplateType(kind)].model_validate(body)}
                data.pop("body", None)
        return data

    @property
    def default_substitutions(self) -> dict[str, str]:
        return parse_default_substitutions(self.body.default_substitutions)

    def to_version_response(self) -> dict[str, Any]:
        """This version as a TemplateVersionResponse (ListTemplateVersions item)."""
        response: dict[str, Any] = {
            "CreationDate": self.creation_date,
            "LastModifiedDate": self.last_modified_date,
            "TemplateName": self.template_name,
            "TemplateType": self.template_type.value,
            "Version": str(self.version),
        }
        if self.body.default_substitutions is not None:
            response["DefaultSubstitutions"] = self.body.default_substitutions
        if self.body.template_description is not None:
            response["TemplateDescription"] = self.body.template_description
        return response


class MessageTemplate(_Frozen):
    """A template with all its versions and the active one. Immutable: every change
    returns a new MessageTemplate for the caller to store."""

    template_name: str
    template_type: TemplateType
    active_version: int
    versions: tuple[TemplateVersion, ...]
    # Version numbers are never reused, even after the latest version is deleted.
    highest_version: int
    creation_date: str
    tags: dict[str, str] | None = Field(default=None, alias="tags")

    @classmethod
    def create(
        cls,
        template_name: str,
        template_type: TemplateType | str,
        request: Mapping[str, Any] | TemplateRequest,
        *,
        now: str | None = None,
    ) -> MessageTemplate:
        """A new template whose version 1 is active (Create*Template).

        Raises
        ------
        InvalidRecordError
            For a bad name or body (see :func:`validate_template_request`).
        """
        validate_template_name(template_name)
        body = validate_template_request(template_type, request)
        kind = TemplateType(template_type)
        stamp = now or utc_now_iso()
        first = TemplateVersion(
            template_name=template_name,
            template_type=kind,
            version=1,
            body=body,
            creation_date=stamp,
            last_modified_date=stamp,
        )
        return cls(
            template_name=template_name,
            template_type=kind,
            active_version=1,
            versions=(first,),
            highest_version=1,
            creation_date=stamp,
            tags=body.tags,
        )

    @property
    def latest_version(self) -> int:
        return self.versions[-1].version

    def version(self, version: int | str | None = None) -> TemplateVersion:
        """A version by number; the active version when none is given (Get*Template).

        Raises
        ------
        NotFoundError
            When there is no such version.
        """
        wanted = self.active_version if version is None else _version_number(version)
        for item in self.versions:
            if item.version == wanted:
                return item
        raise NotFoundError("template version", f"{self.template_name}:{wanted}")

    @property
    def active(self) -> TemplateVersion:
        return self.version()

    def update(
        self,
        request: Mapping[str, Any] | TemplateRequest,
        *,
        create_new_version: bool = False,
        version: int | str | None = None,
        now: str | None = None,
    ) -> MessageTemplate:
        """Apply Update*Template.

        Parameters
        ----------
        request : Mapping or TemplateRequest
            The full new body (Pinpoint replaces the body; it does not merge).
        create_new_version : bool
            Add a version rather than overwrite the latest one.
        version : int or str, optional
            Only without ``create_new_version``: must name the latest version.

        Raises
        ------
        InvalidRecordError
            For a bad body, a version with ``create_new_version``, a version that is not
            the latest, or a 5,001st version.
        """
        body = validate_template_request(self.template_type, request)
        stamp = now or utc_now_iso()
        if create_new_version:
            if version is not None:
                raise InvalidRecordError(
                    [FieldProblem("Version", "do not give a version with create-new-version")]
                )
            if len(self.versions) >= MAX_TEMPLATE_VERSIONS:
                raise InvalidRecordError(
                    [FieldProblem("Version", f"a template holds at most {MAX_TEMPLATE_VERSIONS}")]
                )
            number = self.highest_version + 1
            added = TemplateVersion(
                template_name=self.template_name,
                template_type=self.template_type,
                version=number,
                body=body,
                creation_date=stamp,
                last_modified_date=stamp,
            )
            return self.model_copy(
                update={"versions": (*self.versions, added), "highest_version": number}
            )
        latest = self.versions[-1]
        if version is not None and _version_number(version) != latest.version:
            if not any(v.version == _version_number(version) for v in self.versions):
                raise NotFoundError("template version", f"{self.template_name}:{version}")
            raise InvalidRecordError(
                [
                    FieldProblem(
                        "Version",
                        f"only the latest version ({latest.version}) can be updated in place",
                    )
                ]
            )
        replaced = latest.model_copy(update={"body": body, "last_modified_date": stamp})
        return self.model_copy(update={"versions": (*self.versions[:-1], replaced)})

    def set_active_version(self, version: int | str) -> MessageTemplate:
        """Apply UpdateTemplateActiveVersion: ``"latest"`` or an existing version.

        Raises
        ------
        NotFoundError
            When the version does not exist.
        """
        if isinstance(version, str) and version.strip().lower() == "latest":
            return self.model_copy(update={"active_version": self.latest_version})
        return self.model_copy(update={"active_version": self.version(version).version})

    def delete_version(self, version: int | str) -> MessageTemplate:
        """Remove one version (Delete*Template with a version).

        Clarion refuses to delete the active version (make another version active
        first), so a template always has an active version; deleting the whole template
        is the store's job.

        Raises
        ------
        NotFoundError
            When the version does not exist.
        InvalidRecordError
            When it is the active version.
        """
        doomed = self.version(version)
        if doomed.version == self.active_version:
            raise InvalidRecordError(
                [FieldProblem("Version", "the active version cannot be deleted")]
            )
        kept = tuple(v for v in self.versions if v.version != doomed.version)
        return self.model_copy(update={"versions": kept})

    # ---- storage and Pinpoint response shapes

    def to_record(self) -> dict[str, Any]:
        """Everything, as JSON-ready data for a store; :meth:`from_record` reads it back."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> MessageTemplate:
        return cls.model_validate(record)

    def to_pinpoint(
        self, version: int | str | None = None, *, arn: str | None = None
    ) -> dict[str, Any]:
        """The Get*Template response body (EmailTemplateResponse and kin) for a version,
        the active one by default."""
        chosen = self.version(version)
        response = chosen.body.to_pinpoint()
        response.pop("tags", None)
        response.update(
            {
                "CreationDate": self.creation_date,
                "LastModifiedDate": chosen.last_modified_date,
                "TemplateName": self.template_name,
                "TemplateType": self.template_type.value,
                "Version": str(chosen.version),
            }
        )
        if self.tags:
            response["tags"] = dict(self.tags)
        if arn is not None:
            response["Arn"] = arn
        return response

    def to_template_response(self) -> dict[str, Any]:
        """The ListTemplates item (TemplateResponse): names, dates and active version."""
        active = self.active
        return {
            "CreationDate": self.creation_date,
            "LastModifiedDate": active.last_modified_date,
            "TemplateName": self.template_name,
            "TemplateType": self.template_type.value,
            "Version": str(active.version),
        }

    def to_versions_response(self) -> dict[str, Any]:
        """The ListTemplateVersions body (TemplateVersionsResponse), newest first."""
        return {"Item": [v.to_version_response() for v in reversed(self.versions)]}


def _version_number(version: int | str) -> int:
    try:
        number = int(version)
    except (TypeError, ValueError):
        raise InvalidRecordError(
            [FieldProblem("Version", f"{version!r} is not a version number")]
        ) from None
    if number < 1:
        raise InvalidRecordError([FieldProblem("Version", "version numbers start at 1")])
    return number
