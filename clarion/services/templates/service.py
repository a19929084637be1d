"""Message templates: create and version them in Pinpoint's request shapes, read them,
lint them against the project's attribute names, and render one for an endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError, NotFoundError
from clarion.domain.templates.compiled import render_template
from clarion.domain.templates.lint import LintFinding
from clarion.domain.templates.model import (
    REQUEST_BODY_NAMES,
    MessageTemplate,
    TemplateRequest,
    TemplateType,
)
from clarion.domain.templates.rendered import (
    RenderedEmail,
    RenderedMessage,
    RenderedPush,
    RenderedSms,
    RenderedVoice,
)
from clarion.ports.audience import ProfileStore
from clarion.ports.templates import TemplateRepository
from clarion.services.templates.lint import TemplateLinter

ARN_PREFIX = "arn:clarion:templates"


def rendered_parts(message: RenderedMessage) -> dict[str, Any]:
    """The rendered parts as JSON (Pinpoint field names), warnings included."""
    parts: dict[str, Any]
    if isinstance(message, RenderedEmail):
        parts = {
            "Subject": message.subject,
            "HtmlPart": message.html,
            "TextPart": message.text,
            "Headers": [{"Name": n, "Value": v} for n, v in message.headers],
        }
    elif isinstance(message, RenderedSms):
        parts = {"Body": message.body}
    elif isinstance(message, RenderedVoice):
        parts = {
            "Body": message.body,
            "LanguageCode": message.language_code,
            "VoiceId": message.voice_id,
        }
    elif isinstance(message, RenderedPush):
        parts = {"Default": _push(asdict(message.default))}
        parts.update({name: _push(asdict(p)) for name, p in message.platforms.items()})
    else:  # pragma: no cover - the renderer returns one of the four
        raise TypeError(f"not a rendered message: {type(message).__name__}")
    return {
        "TemplateType": message.channel,
        **{k: v for k, v in parts.items() if v not in (None, [])},
        "Warnings": list(message.warnings),
    }


def _push(fields: Mapping[str, Any]) -> dict[str, Any]:
    names = {
        "action": "Action",
        "title": "Title",
        "body": "Body",
        "url": "Url",
        "sound": "Sound",
        "image_url": "ImageUrl",
        "image_icon_url": "ImageIconUrl",
        "small_image_icon_url": "SmallImageIconUrl",
        "media_url": "MediaUrl",
        "raw_content": "RawContent",
    }
    return {names[k]: v for k, v in fields.items() if v is not None and k in names}


class TemplateService:
    """Templates in Pinpoint's shapes, versioned (docs/templates.md).

    Parameters
    ----------
    repository
        Where templates are kept.
    profiles
        Endpoints to render for.
    linter
        Lints a template at create and update (its findings are returned beside the
        result, under ``Warnings``) and on demand; the profiles' registry by default.
    """

    def __init__(
        self,
        repository: TemplateRepository,
        profiles: ProfileStore,
        linter: TemplateLinter | None = None,
    ) -> None:
        self._repository = repository
        self._profiles = profiles
        self._linter = linter or TemplateLinter(profiles)

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create from a CLI-style body: ``{"TemplateName": ..., "EmailTemplateRequest" |
        "SMSTemplateRequest" | "PushNotificationTemplateRequest" | "VoiceTemplateRequest":
        {...}}``. Returns the new template's name, type, version and ARN.

        Raises
        ------
        InvalidRecordError
            A bad name or body, not exactly one request body, or a template of that
            name and type that exists already.
        """
        if not isinstance(body, Mapping):
            raise InvalidRecordError([FieldProblem("(record)", "must be a JSON object")])
        name = body.get("TemplateName")
        kinds = [kind for kind, key in REQUEST_BODY_NAMES.items() if key in body]
        unknown = sorted(set(body) - {"TemplateName", *REQUEST_BODY_NAMES.values()})
        problems = [FieldProblem(key, "is not a field of a template body") for key in unknown]
        if len(kinds) != 1:
            problems.append(
                FieldProblem(
                    "(record)",
                    "give exactly one of " + ", ".join(REQUEST_BODY_NAMES.values()),
                )
            )
        if not isinstance(name, str):
            problems.append(FieldProblem("TemplateName", "is required"))
        if problems:
            raise InvalidRecordError(problems)
        kind = kinds[0]
        return self.create_template(str(name), kind, body[REQUEST_BODY_NAMES[kind]])

    def create_template(
        self,
        name: str,
        template_type: TemplateType | str,
        request: Mapping[str, Any] | TemplateRequest,
    ) -> dict[str, Any]:
        """Create*Template. Raises InvalidRecordError (also when it exists already)."""
        kind = _kind(template_type)
        try:
            self._repository.get_template(kind, name)
        except NotFoundError:
            pass
        else:
            raise InvalidRecordError(
                [FieldProblem("TemplateName", f"a {kind} template named {name!r} exists")]
            )
        template = MessageTemplate.create(name, kind, request)
        findings = self._linter.lint_version(template.versions[-1])
        self._repository.save_template(template)
        return self._created(template, "Created", findings)

    def update(
        self,
        name: str,
        template_type: TemplateType | str,
        request: Mapping[str, Any] | TemplateRequest,
        *,
        create_new_version: bool = False,
        version: int | str | None = None,
    ) -> dict[str, Any]:
        """Update*Template (see MessageTemplate.update). Raises NotFoundError or
        InvalidRecordError."""
        kind = _kind(template_type)
        template = self._repository.get_template(kind, name).update(
            request, create_new_version=create_new_version, version=version
        )
        findings = self._linter.lint_version(template.versions[-1])
        self._repository.save_template(template)
        return self._created(template, "Accepted", findings)

    def set_active_version(
        self, name: str, template_type: TemplateType | str, version: int | str
    ) -> dict[str, Any]:
        kind = _kind(template_type)
        template = self._repository.get_template(kind, name).set_active_version(version)
        self._repository.save_template(template)
        return template.to_template_response()

    def get(
        self,
        name: str,
        template_type: TemplateType | str | None = None,
        version: int | str | None = None,
    ) -> dict[str, Any]:
        """Get*Template: the given version, or the active one. Raises NotFoundError."""
        template = self.find(name, template_type)
        return template.to_pinpoint(version, arn=_arn(template))

    def versions(
        self, name: str, template_type: TemplateType | str | None = None
    ) -> dict[str, Any]:
        return self.find(name, template_type).to_versions_response()

    def list(self) -> list[dict[str, Any]]:
        """ListTemplates items (TemplateResponse, with the ARN)."""
        return [
            {**t.to_template_response(), "Arn": _arn(t)} for t in self._repository.list_templates()
        ]

    def delete(
        self, name: str, template_type: TemplateType | str, version: int | str | None = None
    ) -> None:
        """Delete*Template: the whole template, or one version of it (not the active
        one). Raises NotFoundError or InvalidRecordError."""
        kind = _kind(template_type)
        if version is None:
            self._repository.delete_template(kind, name)
            return
        template = self._repository.get_template(kind, name).delete_version(version)
        self._repository.save_template(template)

    def find(self, name: str, template_type: TemplateType | str | None = None) -> MessageTemplate:
        """The template of that name (and type, needed when several types share the
        name). Raises NotFoundError or InvalidRecordError."""
        if template_type is not None:
            return self._repository.get_template(_kind(template_type), name)
        found = []
        for kind in TemplateType:
            try:
                found.append(self._repository.get_template(kind, name))
            except NotFoundError:
                continue
        if not found:
            raise NotFoundError("template", name)
        if len(found) > 1:
            kinds = ", ".join(t.template_type.value for t in found)
            raise InvalidRecordError(
                [FieldProblem("TemplateType", f"{name!r} names templates of types {kinds}")]
            )
        return found[0]

    def render(
        self,
        name: str,
        endpoint_id: str,
        version: int | str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        template_type: TemplateType | str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Render a template version (the active one by default) for an endpoint;
        returns the rendered parts as JSON. Raises NotFoundError."""
        template = self.find(name, template_type)
        _refuse_in_app(template.template_type)
        endpoint = self._profiles.get_endpoint(endpoint_id)
        if endpoint is None:
            raise NotFoundError("endpoint", endpoint_id)
        chosen = template.version(version)
        message = render_template(chosen, endpoint.to_pinpoint(), variables, now=now)
        return {
            "TemplateName": template.template_name,
            "Version": str(chosen.version),
            "EndpointId": endpoint_id,
            **rendered_parts(message),
        }

    def render_draft(
        self,
        template_type: TemplateType | str,
        request: Mapping[str, Any],
        endpoint_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Render an unsaved template body (a Create*Template request) for an endpoint,
        exactly as a saved version would render: the console's live preview.

        Raises
        ------
        InvalidRecordError
            The body breaks a rule (a syntax error names its field).
        NotFoundError
            No such endpoint.
        """
        _refuse_in_app(_kind(template_type))
        draft = MessageTemplate.create("draft", _kind(template_type), request)
        endpoint = self._profiles.get_endpoint(endpoint_id)
        if endpoint is None:
            raise NotFoundError("endpoint", endpoint_id)
        message = render_template(draft.version(None), endpoint.to_pinpoint(), variables, now=now)
        return {"EndpointId": endpoint_id, **rendered_parts(message)}

    def lint(
        self,
        name: str,
        template_type: TemplateType | str | None = None,
        version: int | str | None = None,
    ) -> dict[str, Any]:
        """Lint a template version (the active one by default) against the project's
        attribute names and Pinpoint's endpoint fields: ``{"TemplateName",
        "TemplateType", "Version", "Findings": [...]}``. Raises NotFoundError."""
        template = self.find(name, template_type)
        chosen = template.version(version)
        return {
            "TemplateName": template.template_name,
            "TemplateType": template.template_type.value,
            "Version": str(chosen.version),
            "Findings": [f.to_json() for f in self._linter.lint_version(chosen)],
        }

    @staticmethod
    def _created(
        template: MessageTemplate, message: str, findings: Sequence[LintFinding]
    ) -> dict[str, Any]:
        # CreateTemplateMessageBody is Arn, Message and RequestID: the lint's warnings
        # go beside it, as text (``lint`` gives them in full).
        return {
            "Arn": _arn(template),
            "Message": message,
            "TemplateName": template.template_name,
            "TemplateType": template.template_type.value,
            "Version": str(template.latest_version),
            "Warnings": [str(f) for f in findings],
        }


def _arn(template: MessageTemplate) -> str:
    return f"{ARN_PREFIX}:{template.template_name}/{template.template_type.value}"


def _refuse_in_app(kind: TemplateType) -> None:
    # Pinpoint shows an in-app template as written (the app fetches it with
    # GetInAppMessages): there is nothing to render for an endpoint, and rendering it as
    # push would answer the wrong shape.
    if kind is TemplateType.INAPP:
        raise InvalidRecordError(
            [
                FieldProblem(
                    "TemplateType",
                    "an INAPP template is not rendered for an endpoint: the app shows it "
                    "as written (GetInAppMessages)",
                )
            ]
        )


def _kind(template_type: TemplateType | str) -> TemplateType:
    try:
        return TemplateType(str(template_type).upper())
    except ValueError:
        raise InvalidRecordError(
            [
                FieldProblem(
                    "TemplateType", f"{template_type!r} is not EMAIL, SMS, PUSH, VOICE or INAPP"
                )
            ]
        ) from None
