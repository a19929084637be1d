"""Templates: Pinpoint's message templates and their versions, the Handlebars engine
(``engine``: lexer, parser, runtime; ``helpers``), and the rendered message shapes."""

from clarion.domain.templates.compiled import CompiledTemplate, compile_template, render_template
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
