"""The Handlebars engine: lexer, parser, value semantics and runtime.

Helpers register with :func:`helper` and report bad data by raising
:class:`HelperError` (a render turns it into a warning).
"""

from clarion.domain.templates.engine.lexer import TemplateSyntaxError
from clarion.domain.templates.engine.runtime import (
    MAX_EACH_ITEMS,
    CompiledPart,
    HelperCall,
    check_syntax,
    helper,
)
from clarion.domain.templates.engine.values import HelperError, format_number

__all__ = [
    "MAX_EACH_ITEMS",
    "CompiledPart",
    "HelperCall",
    "HelperError",
    "TemplateSyntaxError",
    "check_syntax",
    "format_number",
    "helper",
]
