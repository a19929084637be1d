"""Templates: Pinpoint's message templates and their versions, the Handlebars engine
(``engine``: lexer, parser, runtime; ``helpers``), and the rendered message shapes.

Names are imported on first use (PEP 562), so importing one module of this package
does not import all of them (Lambda cold starts: docs/deploy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clarion.domain.common.lazy import lazy_exports

if TYPE_CHECKING:
    from clarion.domain.templates.compiled import (
        CompiledTemplate,
        compile_template,
        render_template,
    )
    from clarion.domain.templates.configuration import TemplateConfiguration
    from clarion.domain.templates.engine.lexer import TemplateSyntaxError
    from clarion.domain.templates.engine.runtime import MAX_EACH_ITEMS, CompiledPart, check_syntax
    from clarion.domain.templates.model import (
        MAX_TEMPLATE_VERSIONS,
        REQUEST_BODY_NAMES,
        REQUEST_MODELS,
        EmailTemplateRequest,
        MessageHeader,
        MessageTemplate,
        PushNotificationTemplateRequest,
        SMSTemplateRequest,
        TemplateRequest,
        TemplateType,
        TemplateVersion,
        VoiceTemplateRequest,
        parse_default_substitutions,
        validate_template_name,
        validate_template_request,
    )
    from clarion.domain.templates.rendered import (
        RenderedEmail,
        RenderedMessage,
        RenderedPush,
        RenderedPushPlatform,
        RenderedSms,
        RenderedVoice,
    )

_HOMES: dict[str, str] = {
    "CompiledPart": "clarion.domain.templates.engine.runtime",
    "CompiledTemplate": "clarion.domain.templates.compiled",
    "EmailTemplateRequest": "clarion.domain.templates.model",
    "MAX_EACH_ITEMS": "clarion.domain.templates.engine.runtime",
    "MAX_TEMPLATE_VERSIONS": "clarion.domain.templates.model",
    "MessageHeader": "clarion.domain.templates.model",
    "MessageTemplate": "clarion.domain.templates.model",
    "PushNotificationTemplateRequest": "clarion.domain.templates.model",
    "REQUEST_BODY_NAMES": "clarion.domain.templates.model",
    "REQUEST_MODELS": "clarion.domain.templates.model",
    "RenderedEmail": "clarion.domain.templates.rendered",
    "RenderedMessage": "clarion.domain.templates.rendered",
    "RenderedPush": "clarion.domain.templates.rendered",
    "RenderedPushPlatform": "clarion.domain.templates.rendered",
    "RenderedSms": "clarion.domain.templates.rendered",
    "RenderedVoice": "clarion.domain.templates.rendered",
    "SMSTemplateRequest": "clarion.domain.templates.model",
    "TemplateConfiguration": "clarion.domain.templates.configuration",
    "TemplateRequest": "clarion.domain.templates.model",
    "TemplateSyntaxError": "clarion.domain.templates.engine.lexer",
    "TemplateType": "clarion.domain.templates.model",
    "TemplateVersion": "clarion.domain.templates.model",
    "VoiceTemplateRequest": "clarion.domain.templates.model",
    "check_syntax": "clarion.domain.templates.engine.runtime",
    "compile_template": "clarion.domain.templates.compiled",
    "parse_default_substitutions": "clarion.domain.templates.model",
    "render_template": "clarion.domain.templates.compiled",
    "validate_template_name": "clarion.domain.templates.model",
    "validate_template_request": "clarion.domain.templates.model",
}

__all__ = [
    "MAX_EACH_ITEMS",
    "MAX_TEMPLATE_VERSIONS",
    "REQUEST_BODY_NAMES",
    "REQUEST_MODELS",
    "CompiledPart",
    "CompiledTemplate",
    "EmailTemplateRequest",
    "MessageHeader",
    "MessageTemplate",
    "PushNotificationTemplateRequest",
    "RenderedEmail",
    "RenderedMessage",
    "RenderedPush",
    "RenderedPushPlatform",
    "RenderedSms",
    "RenderedVoice",
    "SMSTemplateRequest",
    "TemplateConfiguration",
    "TemplateRequest",
    "TemplateSyntaxError",
    "TemplateType",
    "TemplateVersion",
    "VoiceTemplateRequest",
    "check_syntax",
    "compile_template",
    "parse_default_substitutions",
    "render_template",
    "validate_template_name",
    "validate_template_request",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
