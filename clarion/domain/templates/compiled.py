"""Handlebars rendering of Pinpoint message templates.

Pinpoint templates are Handlebars (https://handlebarsjs.com) with the helpers listed in
Pinpoint's "Using message template helpers" guide, rendered against one endpoint in
Pinpoint JSON. The engine (``engine/``: lexer, parser, runtime; ``helpers/``) has
exactly those semantics:

* ``{{path}}`` is HTML-escaped in email HTML only; ``{{{path}}}`` and ``{{& path}}``
  never are. Subjects, text parts, SMS, push and voice are never escaped.
* Attribute values are lists. A one-element list renders as its element, a longer one
  as its elements joined by commas (what Handlebars.js prints for an array);
  ``.[0]`` takes the first element; ``[Plan Name]`` names a segment with spaces.
* A missing or empty value takes the message variable, then the template's
  DefaultSubstitutions entry, for the same variable path, else renders empty.
* Nothing raises at render time: an unknown helper, a helper given bad data, an
  unknown partial or an ``each`` over more than 15 items renders what it can (empty for
  a failed expression) and adds a warning to the result. Syntax errors are found when
  a template is compiled (at creation) and raised as ``TemplateSyntaxError``.

pybars4 was tried first and not used: its runtime raises on a missing nested value,
an out-of-range ``.[n]`` and an unknown helper (aborting the whole message), accepts an
unclosed ``{{#if}}`` silently, renders ``{{else if}}`` wrongly, rejects inline
partials, does not escape and prints lists as Python reprs.

This module compiles a stored template version's parts once (cached) and renders them
into the message shape of its type."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clarion.domain.templates.model import TemplateVersion
from clarion.domain.templates import helpers  # noqa: F401  (registers the helpers)
from clarion.domain.templates.engine.runtime import CompiledPart, RenderState, endpoint_timezone
from clarion.domain.templates.engine.warnings import RenderWarning, WarningKind
from clarion.domain.templates.rendered import (
    LITERAL_PUSH_FIELDS,
    PUSH_FIELDS,
    PUSH_PLATFORMS,
    RenderedEmail,
    RenderedMessage,
    RenderedPush,
    RenderedPushPlatform,
    RenderedSms,
    RenderedVoice,
)
from clarion.domain.templates.syntax import template_parts


def _parse_defaults(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): v for k, v in parsed.items() if isinstance(v, str)}


class CompiledTemplate:
    """A stored template version compiled once, to render for many endpoints.

    Parameters
    ----------
    template : TemplateVersion
        From :mod:`clarion.domain.templates`.

    Raises
    ------
    TemplateSyntaxError
        When a part is not valid (templates are checked at creation, so only for
        versions stored before that check existed).
    """

    def __init__(self, template: TemplateVersion) -> None:
        self.template_name = template.template_name
        self.template_type = str(template.template_type)
        self.version = template.version
        body = template.body.to_pinpoint()
        self._body = body
        self.body: Mapping[str, Any] = body  # the version's body in Pinpoint JSON
        defaults = _parse_defaults(body.get("DefaultSubstitutions"))
        self._parts: dict[str, CompiledPart] = {}
        for key, source in template_parts(self.template_type, body):
            self._parts[key] = CompiledPart(source, defaults)

    def _render(self, key: str, state: RenderState, escape: bool = False) -> str | None:
        part = self._parts.get(key)
        if part is None:
            return None
        warnings = state.warnings
        before = len(warnings)
        state.escape = escape
        text = part.render_in(state)
        for index in range(before, len(warnings)):
            warning = warnings[index]
            if isinstance(warning, RenderWarning):
                warnings[index] = warning.in_part(key)
        return text

    def render(
        self,
        endpoint: Mapping[str, Any],
        variables: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> RenderedMessage:
        """Render every part for one endpoint (Pinpoint JSON, as ``Endpoint.to_pinpoint()``).

        Never raises for the endpoint's data: problems are listed in ``warnings``.
        """
        warnings: list[str] = []
        # One state for every part of the message (only the escaping differs).
        state = RenderState(endpoint, variables, False, now, endpoint_timezone(endpoint), warnings)
        args = (state,)
        if self.template_type == "EMAIL":
            headers = tuple(
                (str(h.get("Name", "")), self._render(f"Headers.{i}", *args) or "")
                for i, h in enumerate(self._body.get("Headers") or [])
            )
            return RenderedEmail(
                subject=self._render("Subject", *args) or "",
                html=self._render("HtmlPart", *args, escape=True),
                text=self._render("TextPart", *args),
                headers=headers,
                warnings=tuple(warnings),
            )
        if self.template_type == "SMS":
            return RenderedSms(self._render("Body", *args) or "", tuple(warnings))
        if self.template_type == "VOICE":
            return RenderedVoice(
                self._render("Body", *args) or "",
                self._body.get("LanguageCode"),
                self._body.get("VoiceId"),
                tuple(warnings),
            )
        default = self._push_platform("Default", args)
        platforms = {
            name: self._push_platform(name, args) for name in PUSH_PLATFORMS if name in self._body
        }
        return RenderedPush(default, platforms, tuple(warnings))

    def _push_platform(self, platform: str, args: tuple[Any, ...]) -> RenderedPushPlatform:
        settings = self._body.get(platform) or {}
        values: dict[str, str | None] = {}
        for key, attribute in PUSH_FIELDS.items():
            if key not in settings:
                continue
            if key in LITERAL_PUSH_FIELDS:
                values[attribute] = settings[key]
            else:
                values[attribute] = self._render(f"{platform}.{key}", *args)
        raw = values.get("raw_content")
        if raw is not None:
            try:
                json.loads(raw)
            except ValueError:
                args[0].warnings.append(
                    RenderWarning(
                        "the rendered payload is not valid JSON",
                        WarningKind.INVALID_JSON,
                        "RawContent",
                        f"{platform}.RawContent",
                    )
                )
        return RenderedPushPlatform(**values)


_CACHE_LIMIT = 256
_cache: dict[tuple[str, str, int, str], CompiledTemplate] = {}
_cache_lock = threading.Lock()


def compile_template(template: TemplateVersion) -> CompiledTemplate:
    """The compiled form of a template version, compiled once and cached.

    The cache key is name, type, version and LastModifiedDate, because Pinpoint lets
    the latest version be overwritten in place.
    """
    key = (
        template.template_name,
        str(template.template_type),
        template.version,
        template.last_modified_date,
    )
    compiled = _cache.get(key)
    if compiled is None:
        compiled = CompiledTemplate(template)
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.pop(next(iter(_cache)))
            _cache[key] = compiled
    return compiled


def render_template(
    template: TemplateVersion,
    endpoint: Mapping[str, Any],
    variables: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> RenderedMessage:
    """Render a stored template version for one endpoint.

    Parameters
    ----------
    template : TemplateVersion
        The version to send (usually the active one).
    endpoint : Mapping
        The endpoint in Pinpoint JSON (``Endpoint.to_pinpoint()``).
    variables : Mapping, optional
        Message variables by variable path (``{"Coupon": "SAVE10"}``); they fill what
        the endpoint lacks, before DefaultSubstitutions.
    now : datetime, optional
        The time ``now`` prints; the current time by default.

    Returns
    -------
    RenderedMessage
        RenderedEmail, RenderedSms, RenderedPush or RenderedVoice, with ``warnings``.
    """
    return compile_template(template).render(endpoint, variables, now=now)
