"""The Handlebars engine: lexer, parser, name lookup, value semantics, runtime and the
warnings a render produces.

Helpers register with :func:`helper` and report bad data by raising
:class:`HelperError` (a render turns it into a warning).
"""

from clarion.domain.templates.engine.lexer import TemplateSyntaxError
from clarion.domain.templates.engine.lookup import Resolution, Scope, enclosing_contexts
from clarion.domain.templates.engine.runtime import (
    HELPERS,
    MAX_EACH_ITEMS,
    WORD_ARGUMENTS,
    CompiledPart,
    HelperCall,
    check_syntax,
    helper,
)
from clarion.domain.templates.engine.values import HelperError, format_number
from clarion.domain.templates.engine.warnings import RenderWarning, WarningKind

__all__ = [
    "HELPERS",
    "MAX_EACH_ITEMS",
    "WORD_ARGUMENTS",
    "CompiledPart",
    "HelperCall",
    "HelperError",
    "RenderWarning",
    "Resolution",
    "Scope",
    "TemplateSyntaxError",
    "WarningKind",
    "check_syntax",
    "enclosing_contexts",
    "format_number",
    "helper",
]
