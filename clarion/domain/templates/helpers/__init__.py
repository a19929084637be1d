"""Pinpoint's template helpers, registered with the runtime when this package is
imported (``clarion.domain.templates.compiled`` imports it)."""

from clarion.domain.templates.helpers import dates, logic, numbers, strings

__all__ = ["dates", "logic", "numbers", "strings"]
