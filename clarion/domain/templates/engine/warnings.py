"""The warnings a render produces: what went wrong (a kind), in which template part and
expression, and a key that names the problem from the template alone, so a campaign run
can count them per message without keeping anything the data said."""

from __future__ import annotations

from enum import StrEnum

# Longer expressions are cut in warning keys.
_MAX_KEY_EXPRESSION = 120


class WarningKind(StrEnum):
    """What went wrong in a render; a run's summary counts warnings by kind."""

    MISSING_VALUE = "MISSING_VALUE"  # {{path}} had no value, no message variable, no default
    UNKNOWN_HELPER = "UNKNOWN_HELPER"
    HELPER_ERROR = "HELPER_ERROR"  # a helper given data it cannot use (also an object printed)
    UNKNOWN_PARTIAL = "UNKNOWN_PARTIAL"
    TOO_DEEP = "TOO_DEEP"  # partials or blocks nested past the limit
    EACH_LIMIT = "EACH_LIMIT"  # an each over more than 15 items
    INVALID_JSON = "INVALID_JSON"  # push RawContent that rendered to invalid JSON

    @property
    def label(self) -> str:
        """The kind in words, as warning keys end."""
        return _LABELS[self]


_LABELS = {
    WarningKind.MISSING_VALUE: "missing value",
    WarningKind.UNKNOWN_HELPER: "unknown helper",
    WarningKind.HELPER_ERROR: "helper error",
    WarningKind.UNKNOWN_PARTIAL: "unknown partial",
    WarningKind.TOO_DEEP: "nested too deeply",
    WarningKind.EACH_LIMIT: "each over too many items",
    WarningKind.INVALID_JSON: "invalid JSON",
}


class RenderWarning(str):
    """One problem a render met.

    The string itself is the message, which may quote the data (a preview shows it);
    ``kind``, ``part`` (``HtmlPart``, ``Body``...) and ``expression`` (the tag as the
    template writes it) describe it from the template alone, and ``key`` joins them.
    A ``str`` so that a message's warnings read, compare and print as plain text.
    """

    kind: WarningKind
    part: str
    expression: str

    def __new__(
        cls, message: str, kind: WarningKind, expression: str, part: str = ""
    ) -> RenderWarning:
        warning = super().__new__(cls, f"{part}: {message}" if part else message)
        warning.kind = kind
        warning.part = part
        warning.expression = expression
        return warning

    def in_part(self, part: str) -> RenderWarning:
        """This warning, said of the template part ``part``."""
        message = str(self)[len(self.part) + 2 :] if self.part else str(self)
        return RenderWarning(message, self.kind, self.expression, part)

    @property
    def key(self) -> str:
        """``part: expression: kind``, e.g. ``HtmlPart: {{User.UserAttributes.FirstName}}:
        missing value``: the same for every message the problem touches."""
        expression = self.expression
        if len(expression) > _MAX_KEY_EXPRESSION:
            expression = expression[: _MAX_KEY_EXPRESSION - 3] + "..."
        where = f"{self.part}: " if self.part else ""
        return f"{where}{expression}: {self.kind.label}"
