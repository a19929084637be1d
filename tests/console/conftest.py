"""The console in a real headless Chromium: Debian's ``chromium`` driven by Playwright
(launched with that executable: Playwright's own browser download is not used), against
``clarion serve``'s application on a fresh ``CLARION_HOME`` in a thread.

Where no browser can be started (no ``chromium``, no Playwright), every browser test is
skipped with the reason, never passed. Each test's screenshots go to
``build/console-screenshots/<test>/`` (``build/`` is ignored by git), one PNG a page.
Every page's console errors and uncaught exceptions are collected; a test fails on any
it did not expect.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_harness import ConsoleUnderTest

from clarion.bootstrap import Bootstrap, Settings
from clarion.entrypoints.api import create_app
from clarion.entrypoints.console import STATIC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_harness import LocalServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "console-screenshots"


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return "no Chromium (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (make venv installs it)"
    if not (STATIC / "index.html").is_file():
        return "the console is not built (make console)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        pytest.skip(f"browser tests skipped: {missing}")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, args=CHROMIUM_ARGS, headless=True
            )
        except Error as exc:
            pytest.skip(f"browser tests skipped: Chromium did not start: {exc.message[:300]}")
        yield browser
        browser.close()


def _serve(tmp_path: Path, **options: Any) -> tuple[Bootstrap, Any]:
    bootstrap = Bootstrap(Settings(home=tmp_path / "home"))
    return bootstrap, create_app(bootstrap, **options)


@pytest.fixture
def console(
    chromium: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[ConsoleUnderTest]:
    bootstrap, app = _serve(tmp_path)
    shots = SCREENSHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    with LocalServer(app) as url:
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        under_test = ConsoleUnderTest(url, tmp_path / "home", bootstrap, page, shots)
        page.on(
            "console",
            lambda message: (
                under_test.errors.append(f"console: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: under_test.errors.append(f"page: {error}"))
        yield under_test
        context.close()
    assert under_test.unexpected_errors() == [], "the browser reported errors"
