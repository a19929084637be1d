"""What the browser tests drive: the console's server, its composition root and a
Chromium page that records every console error (see conftest.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clarion.bootstrap import Bootstrap


@dataclass
class ConsoleUnderTest:
    """The server, its composition root, and a browser page that records errors."""

    url: str
    home: Path
    bootstrap: Bootstrap
    page: Any
    shots: Path
    errors: list[str] = field(default_factory=list)
    expected_errors: list[re.Pattern[str]] = field(default_factory=list)
    taken: int = 0

    def open(self, path: str) -> None:
        self.page.goto(self.url + path)
        self.settle()

    def section(self, name: str) -> None:
        """Follow a link of the section navigation."""
        self.page.locator("#nav").get_by_role("link", name=name, exact=True).click()
        self.settle()

    def settle(self) -> None:
        """Wait until the page has loaded and the console has no call in flight nor an
        estimate or preview waiting to be asked."""
        self.page.wait_for_load_state("load")
        self.page.wait_for_function("() => window.clarionBusy && !window.clarionBusy()")

    def shot(self, name: str) -> Path:
        self.settle()
        self.taken += 1
        path = self.shots / f"{self.taken:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def expect_error(self, pattern: str) -> None:
        """A console message this test provokes on purpose (and checks)."""
        self.expected_errors.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected_errors)]
