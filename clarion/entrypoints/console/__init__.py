"""The marketers' console: static pages (built by ``make console`` from the pinned npm
packages in ``console/`` into ``static/`` here) that call only the API, served at
``/console/`` by the API application.

Every page URL under ``/console/`` answers the same ``index.html`` (the page's script
reads the URL), so ``/console/segments/<id>`` can be bookmarked and reloaded. Pages are
sent with a Content-Security-Policy that allows scripts from the console itself only:
a template preview shown in the page can never run script, even before the preview
iframe's own sandbox. ``config.json`` tells the page how to reach and sign in to the
API (locally: this origin, and whether a token is asked; nothing secret).
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["CONTENT_SECURITY_POLICY", "STATIC", "console_routes"]

STATIC = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' https://*.amazonaws.com; "
    "frame-src 'self' about:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_NOT_BUILT = (
    "<!doctype html><title>Clarion console</title><h1>The console is not built</h1>"
    "<p>Run <code>make console</code> (it builds the pages from the pinned npm "
    "packages), then reload.</p>"
)


def _index(request: Request) -> Response:
    page = STATIC / "index.html"
    if not page.is_file():
        return HTMLResponse(_NOT_BUILT, status_code=503, headers=_HEADERS)
    return HTMLResponse(
        page.read_text(encoding="utf-8"),
        headers={**_HEADERS, "Cache-Control": "no-cache"},
    )


def _asset(request: Request) -> Response:
    name = str(request.path_params["path"])
    base = (STATIC / "assets").resolve()
    path = (base / name).resolve()
    if base not in path.parents or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain", headers=_HEADERS)
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # Asset names carry their content hash: they never change under one name.
    return Response(
        path.read_bytes(),
        media_type=media,
        headers={**_HEADERS, "Cache-Control": "public, max-age=31536000, immutable"},
    )


def console_routes(*, token_required: bool = False) -> list[BaseRoute]:
    """The console's routes: its pages, assets and ``config.json``."""

    def config(request: Request) -> Response:
        body = {"mode": "local", "apiBase": "", "tokenRequired": token_required}
        return Response(
            json.dumps(body), media_type="application/json", headers={"Cache-Control": "no-cache"}
        )

    def root(request: Request) -> Response:
        return RedirectResponse("/console/", status_code=308)

    return [
        Route("/console", root, methods=["GET"]),
        Route("/console/config.json", config, methods=["GET"]),
        Route("/console/assets/{path:path}", _asset, methods=["GET"]),
        Route("/console/", _index, methods=["GET"]),
        Route("/console/{page:path}", _index, methods=["GET"]),
    ]
