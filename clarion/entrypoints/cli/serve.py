"""``clarion serve``: Pinpoint's REST API on the local backend (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from clarion.entrypoints.cli.output import state

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port.")] = 8080,
    rate_limit: Annotated[
        float | None,
        typer.Option("--rate-limit", min=0.001, help="Requests a second per caller (none)."),
    ] = None,
    burst: Annotated[int, typer.Option("--burst", min=1, help="Burst per caller.")] = 20,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="CLARION_API_TOKEN",
            help="Ask every call for this token (x-clarion-token header; the console asks once).",
        ),
    ] = None,
) -> None:
    """Serve Pinpoint's REST API (boto3.client("pinpoint", endpoint_url=<the URL>)) and
    the console at <the URL>/console/."""
    import uvicorn

    from clarion.entrypoints.api import RateLimit, create_app

    cli = state(ctx)
    app = create_app(
        cli.bootstrap,
        rate_limit=RateLimit(rate_limit, burst) if rate_limit else None,
        token=token or None,
    )
    shown = f"[{host}]" if ":" in host else host
    if host not in LOOPBACK:
        cli.err.print(
            f"[bold yellow]warning:[/] listening on {host}: requests are not authenticated "
            "locally, so anyone who can reach this address can use the API",
            highlight=False,
        )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    original = server.startup

    async def startup(sockets: object = None) -> None:
        await original(sockets)  # type: ignore[arg-type]
        bound = port
        for listener in getattr(server, "servers", []):
            for sock in listener.sockets:
                bound = sock.getsockname()[1]
        cli.console.print(f"Clarion Pinpoint API on http://{shown}:{bound}", highlight=False)
        cli.console.print(f"Console on http://{shown}:{bound}/console/", highlight=False)
        cli.console.file.flush()

    server.startup = startup  # type: ignore[method-assign]
    server.run()
