"""``vagent serve``: the video tools as an MCP server, over stdio or streamable HTTP.

Each tool of :class:`~vagent.tools.registry.VideoTools` is listed with its own JSON schema plus a
``video`` argument (a path relative to the first root, or absolute inside a root). A call resolves
and checks the path (:mod:`vagent._serve_guard`), opens the video and its index once (cached on
disk as everywhere else; the first call reports indexing progress), runs the tool in a worker
thread under the per-client and per-call limits, and answers with the tool's text, each image as
JPEG image content preceded by its timestamp, and the tool's ``data`` as structured content.

Tools run in this process: one ``VideoTools`` per video, whose lock makes calls on one video take
turns while calls on different videos run in parallel threads.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server

from vagent._serve_guard import InFlight, Refused, ServeLimits, check_arguments, resolve_video
from vagent.errors import VideoError
from vagent.tools.registry import TOOL_NAMES, ToolLimits, VideoTools
from vagent.types import Observation, TimedImage

log = logging.getLogger(__name__)
UNAUTHORIZED = -32001
"""The JSON-RPC error code (server-defined range) of a request without the right bearer token."""
MAX_OPEN = 16
"""Videos kept open at once (their indexes stay in the disk cache); the least recently used is let go."""
VIDEO_PROPERTY = {
    "type": "string",
    "description": "The video: a path relative to the server's first root, or an absolute path inside a root.",
}


def tool_list() -> list[types.Tool]:
    """The served tools: each registry schema with ``video`` added as its first, required argument."""
    listed = []
    for schema in VideoTools.schemas():
        function = schema["function"]
        params = function["parameters"]
        input_schema = {
            "type": "object",
            "properties": {"video": VIDEO_PROPERTY, **params.get("properties", {})},
            "required": ["video", *params.get("required", [])],
        }
        listed.append(types.Tool(name=function["name"], description=function["description"], input_schema=input_schema))
    return listed


def _jpeg(timed: TimedImage, limits: ServeLimits) -> str:
    image = timed.image.convert("RGB")
    if max(image.size) > limits.max_image_side:
        image.thumbnail((limits.max_image_side, limits.max_image_side))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=limits.jpeg_quality)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def to_result(observation: Observation, limits: ServeLimits) -> types.CallToolResult:
    """An observation as MCP content: text, then each image (JPEG) after its ``t=..s`` label."""
    content: list[Any] = [types.TextContent(text=observation.text)]
    for timed in observation.images[: limits.max_images]:
        content.append(types.TextContent(text=f"{timed.label}:"))
        content.append(types.ImageContent(data=_jpeg(timed, limits), mime_type="image/jpeg"))
    structured = {**observation.data, "image_times": [float(t.time) for t in observation.images[: limits.max_images]]}
    return types.CallToolResult(content=content, structured_content=structured, is_error=observation.error)


def refusal(reason: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=reason)], is_error=True)


class VideoPool:
    """One ``VideoTools`` per served video, opened once (index loaded or built); ``MAX_OPEN`` kept."""

    def __init__(self, settings: Any, tool_limits: ToolLimits):
        self.settings, self.tool_limits = settings, tool_limits
        self._open: OrderedDict[Path, VideoTools] = OrderedDict()
        self._locks: dict[Path, anyio.Lock] = {}

    async def get(self, path: Path, ctx: Any) -> VideoTools:
        """The tools over ``path``; a first open reports indexing progress to the caller."""
        lock = self._locks.setdefault(path, anyio.Lock())
        async with lock:
            if path in self._open:
                self._open.move_to_end(path)
                return self._open[path]
            await ctx.session.report_progress(0.0, None, f"indexing {path.name} (first use of this video)")
            tools = await anyio.to_thread.run_sync(self._open_tools, path, _Reporter(ctx), abandon_on_cancel=True)
            self._open[path] = tools
            while len(self._open) > MAX_OPEN:
                self._open.popitem(last=False)  # closed when its last call lets go of it
            return tools

    def _open_tools(self, path: Path, reporter: "_Reporter") -> VideoTools:
        return VideoTools.open(path, self.settings, progress=reporter, limits=self.tool_limits)


@dataclass
class _Reporter:
    """Index-build progress from the worker thread to the caller, at most twice a second."""

    ctx: Any
    last: float = 0.0

    def __call__(self, done: float, total: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        try:
            anyio.from_thread.run(self.ctx.session.report_progress, done, total, f"indexing: {done:.0f}s of {total:.0f}s")
        except Exception:  # a caller that went away must not stop the build
            log.debug("progress not delivered", exc_info=True)


def _client_key(ctx: Any) -> str:
    """One MCP session over HTTP (else its address); the one client of a stdio server."""
    request = ctx.request
    if request is None:
        return "stdio"
    session = request.headers.get("mcp-session-id")
    return f"session {session}" if session else f"address {request.client.host if request.client else '?'}"


def build_server(roots: Sequence[Path], settings: Any, limits: ServeLimits) -> Server:
    """The MCP server over ``roots`` (already resolved), indexing with ``settings``."""
    tool_limits = ToolLimits(max_frames=limits.max_images)
    pool, in_flight, listed = VideoPool(settings, tool_limits), InFlight(limits.max_in_flight), tool_list()

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        name = params.name
        path = video = None
        if name not in TOOL_NAMES:
            return refusal(f"unknown tool {name[:60]!r}. Valid tools: {', '.join(TOOL_NAMES)}")
        try:
            arguments = check_arguments(params.arguments, limits.max_argument_bytes)
            if "video" not in arguments:
                raise Refused("missing argument video (a path relative to the first root, or absolute inside a root)")
            video = arguments.pop("video")
            path = resolve_video(video, roots)
            with in_flight.slot(_client_key(ctx)), anyio.fail_after(limits.call_timeout):
                tools = await pool.get(path, ctx)
                observation = await anyio.to_thread.run_sync(tools.call, name, arguments, abandon_on_cancel=True)
        except Refused as refused:
            return refusal(f"{name}: {refused}")
        except TimeoutError:
            return refusal(f"{name}: timed out after {limits.call_timeout:g}s (a first call indexes the video, and the "
                           "index goes on being built: call again shortly)")
        except VideoError as exc:  # a damaged file or one that is no video after all
            return refusal(f"{name}: {str(exc).replace(str(path), str(video))[:300]}")
        except Exception as exc:  # an index that cannot be built; never a crash of the server
            log.warning("%s failed on %s: %s", name, path, exc)
            return refusal(f"{name}: {type(exc).__name__}: {str(exc).replace(str(path), str(video))[:300]}")
        return to_result(observation, limits)

    return Server("vagent", instructions="Video tools: pass `video` (a path under the served roots) to every tool.",
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(server: Server) -> None:
    """Serve one client over this process's stdin and stdout (newline-delimited JSON-RPC)."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


class BearerGate:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``.

    Others get 401 with a JSON-RPC error as the body, which MCP clients show as the call's error.
    """

    def __init__(self, app: Any, token: str):
        self.app, self._expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        import hmac

        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self._expected):
                reason = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": UNAUTHORIZED, "message": (
                    "unauthorized: send Authorization: Bearer <token> (the --token of vagent serve)")}}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": reason})
                return
        await self.app(scope, receive, send)


def http_app(server: Server, host: str, token: str | None, limits: ServeLimits) -> Any:
    """The streamable-HTTP ASGI app at ``/mcp``, behind the bearer gate when there is a token."""
    from mcp.server.transport_security import TransportSecuritySettings

    from vagent._serve_guard import is_loopback

    security = None if is_loopback(host) else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = server.streamable_http_app(host=host, transport_security=security, max_request_body_size=limits.max_request_bytes)
    return BearerGate(app, token) if token else app


def serve_http(server: Server, host: str, port: int, token: str | None, limits: ServeLimits) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` until interrupted."""
    import uvicorn

    config = uvicorn.Config(http_app(server, host, token, limits), host=host, port=port, log_level="warning", lifespan="on")
    uvicorn.Server(config).run()
