"""Syntax checks of a template body in Pinpoint JSON, part by part, at creation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarion.domain.templates.engine.lexer import TemplateSyntaxError
from clarion.domain.templates.engine.runtime import check_syntax
from clarion.domain.templates.rendered import LITERAL_PUSH_FIELDS, PUSH_FIELDS, PUSH_PLATFORMS


def template_parts(template_type: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every Handlebars part of a template body in Pinpoint JSON, keyed by field path."""
    parts: list[tuple[str, str]] = []
    if template_type == "EMAIL":
        for key in ("Subject", "HtmlPart", "TextPart"):
            if isinstance(body.get(key), str):
                parts.append((key, body[key]))
        for index, header in enumerate(body.get("Headers") or []):
            if isinstance(header.get("Value"), str):
                parts.append((f"Headers.{index}", header["Value"]))
    elif template_type in ("SMS", "VOICE"):
        if isinstance(body.get("Body"), str):
            parts.append(("Body", body["Body"]))
    elif template_type == "PUSH":
        for platform in ("Default", *PUSH_PLATFORMS):
            settings = body.get(platform)
            if not isinstance(settings, Mapping):
                continue
            for key in PUSH_FIELDS:
                if key not in LITERAL_PUSH_FIELDS and isinstance(settings.get(key), str):
                    parts.append((f"{platform}.{key}", settings[key]))
    return parts


def template_syntax_problems(template_type: str, body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field path, reason) for each part of a body in Pinpoint JSON that does not parse."""
    problems = []
    for key, source in template_parts(template_type, body):
        try:
            check_syntax(source)
        except TemplateSyntaxError as exc:
            problems.append((key, f"not valid Handlebars: {exc}"))
    return problems
