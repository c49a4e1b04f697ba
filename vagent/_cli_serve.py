"""``vagent serve``: the video tools as an MCP server (docs/serve.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vagent import _checks as check
from vagent._run_options import CACHE_OPTION, CLIP_MODEL_OPTION, CLIP_WEIGHTS_OPTION, EMBED_FPS_OPTION, index_settings
from vagent._terminal import checked, err, fail, say


def serve(
    roots: list[Path] = typer.Option(..., "--root", help="A folder whose videos may be served (repeat); `video` arguments are "
                                     "relative to the first one, or absolute inside any."),
    transport: str = typer.Option("stdio", "--transport", help="stdio (one client, the process that started this one) or http "
                                  "(streamable HTTP at http://HOST:PORT/mcp)."),
    host: str = typer.Option("127.0.0.1", "--host", help="With http: the address to bind; anything but loopback needs --token."),
    port: int = typer.Option(8765, "--port", help="With http: the port (1-65535)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="VAGENT_SERVE_TOKEN", help="With http: every request must send "
                                        "Authorization: Bearer TOKEN (also read from $VAGENT_SERVE_TOKEN)."),
    max_in_flight: int = typer.Option(4, "--max-in-flight", help="Calls one client may have running at once (at least 1)."),
    call_timeout: float = typer.Option(300.0, "--call-timeout", help="Seconds one call may take, first indexing included (> 0)."),
    max_images: int = typer.Option(16, "--max-images", help="Most images in one result (at least 1)."),
    max_image_side: int = typer.Option(512, "--max-image-side", help="Long side in pixels of any image sent (at least 16)."),
    cache_dir: Optional[Path] = CACHE_OPTION,
    clip_model: str = CLIP_MODEL_OPTION,
    clip_pretrained: str = CLIP_WEIGHTS_OPTION,
    embed_fps: float = EMBED_FPS_OPTION,
) -> None:
    """Serve crop_clip, detect_scenes, read_text, search_clips and zoom_frame over MCP (stdio or streamable HTTP)."""
    from vagent._serve_guard import Refused, ServeLimits, is_loopback, resolve_roots

    checked((check.at_least, "--max-in-flight", max_in_flight, 1), (check.positive, "--call-timeout", call_timeout),
            (check.at_least, "--max-images", max_images, 1), (check.at_least, "--max-image-side", max_image_side, 16),
            (check.at_least, "--port", port, 1))
    if transport not in ("stdio", "http"):
        fail(f"--transport must be stdio or http, got {transport!r}")
    if port > 65535:
        fail(f"--port must be at most 65535, got {port}")
    if transport == "http" and not is_loopback(host) and not token:
        fail(f"--host {host} is not a loopback address: serving beyond this machine needs --token (or $VAGENT_SERVE_TOKEN)")
    if token is not None and not token.strip():
        fail("--token must not be empty")
    try:
        real_roots = resolve_roots(roots)
    except Refused as exc:
        fail(str(exc))
    settings = index_settings(cache_dir, clip_model, clip_pretrained, embed_fps)
    limits = ServeLimits(max_in_flight=max_in_flight, call_timeout=call_timeout, max_images=max_images,
                         max_image_side=max_image_side)

    import anyio

    from vagent.serve import build_server, serve_http, serve_stdio

    server = build_server(real_roots, settings, limits)
    shown = ", ".join(map(str, real_roots))
    if transport == "stdio":
        say("vagent serve: MCP over stdio; roots: ", shown, to=err)
        anyio.run(serve_stdio, server)
    else:
        say(f"vagent serve: MCP at http://{host}:{port}/mcp", " (bearer token required)" if token else "", "; roots: ", shown, to=err)
        serve_http(server, host, port, token, limits)
