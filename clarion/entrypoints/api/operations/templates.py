"""Message templates (account-wide, as in Pinpoint): Create, Update, Get and Delete for
email, SMS, push, voice and in-app templates; ListTemplates, ListTemplateVersions,
UpdateTemplateActiveVersion."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from clarion.domain.templates.model import TemplateType
from clarion.entrypoints.api.context import Call
from clarion.entrypoints.api.errors import BadRequestError
from clarion.entrypoints.api.paging import listing
from clarion.entrypoints.api.registry import operation

# Operation name part, template type and request member of each kind.
KINDS = (
    ("Email", TemplateType.EMAIL, "EmailTemplateRequest"),
    ("Sms", TemplateType.SMS, "SMSTemplateRequest"),
    ("Push", TemplateType.PUSH, "PushNotificationTemplateRequest"),
    ("Voice", TemplateType.VOICE, "VoiceTemplateRequest"),
    ("InApp", TemplateType.INAPP, "InAppTemplateRequest"),
)


def _message(call: Call, message: str, warnings: Sequence[str] = ()) -> dict[str, Any]:
    # Pinpoint's answer has only a Message: the template lint's warnings go in it.
    if warnings:
        message = f"{message}. Warnings: " + "; ".join(warnings)
    return {"Message": message, "RequestID": call.request_id}


def _register(label: str, kind: TemplateType, member: str) -> None:
    def create(call: Call) -> dict[str, Any]:
        created = call.root.template_service.create_template(
            call.get("TemplateName"), kind, call.body(member)
        )
        return {"Arn": created["Arn"], **_message(call, "Created", created["Warnings"])}

    def update(call: Call) -> dict[str, Any]:
        updated = call.root.template_service.update(
            call.get("TemplateName"),
            kind,
            call.body(member),
            create_new_version=bool(call.get("CreateNewVersion")),
            version=call.get("Version"),
        )
        return _message(call, "Accepted", updated["Warnings"])

    def get(call: Call) -> dict[str, Any]:
        return call.root.template_service.get(call.get("TemplateName"), kind, call.get("Version"))

    def delete(call: Call) -> dict[str, Any]:
        call.root.template_service.delete(call.get("TemplateName"), kind, call.get("Version"))
        return _message(call, "Accepted")

    name = kind.value.lower()
    noun = {"email": "an email", "sms": "an SMS", "push": "a push", "voice": "a voice"}.get(
        name, "an in-app"
    )
    functions: tuple[tuple[str, str, Callable[[Call], dict[str, Any]]], ...] = (
        ("Create", f"Creates {noun} template (version 1, active).", create),
        ("Update", f"Updates {noun} template, or adds a version.", update),
        ("Get", f"{noun.capitalize()} template: the active version, or the one asked.", get),
        ("Delete", f"Deletes {noun} template, or one of its versions.", delete),
    )
    for verb, doc, function in functions:
        function.__doc__ = doc
        function.__name__ = f"{verb.lower()}_{name}_template"
        operation(f"{verb}{label}Template")(function)


for _label, _kind, _member in KINDS:
    _register(_label, _kind, _member)


@operation("ListTemplates")
def list_templates(call: Call) -> dict[str, Any]:
    """Every template (filtered by type and name prefix); paged."""
    items = call.root.template_service.list()
    kind, prefix = call.get("TemplateType"), call.get("Prefix")
    if kind:
        items = [t for t in items if t["TemplateType"] == str(kind).upper()]
    if prefix:
        items = [t for t in items if str(t["TemplateName"]).startswith(prefix)]
    return listing(items, call.get("PageSize"), call.get("NextToken"))


@operation("ListTemplateVersions")
def list_template_versions(call: Call) -> dict[str, Any]:
    """Every version of a template, newest first; paged."""
    versions = call.root.template_service.versions(
        call.get("TemplateName"), call.get("TemplateType")
    )
    return listing(versions["Item"], call.get("PageSize"), call.get("NextToken"))


@operation("UpdateTemplateActiveVersion")
def update_template_active_version(call: Call) -> dict[str, Any]:
    """Makes a version (or ``latest``) the one campaigns and messages use."""
    version = call.body("TemplateActiveVersionRequest").get("Version")
    if version is None:
        raise BadRequestError("TemplateActiveVersionRequest.Version is required")
    call.root.template_service.set_active_version(
        call.get("TemplateName"), call.get("TemplateType"), version
    )
    return _message(call, "Accepted")
