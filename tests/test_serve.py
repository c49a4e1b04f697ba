"""`vagent serve` with the mcp SDK's own client, over stdio and streamable HTTP on a loopback port.

Every server here is a real `vagent serve` process over a root holding a copy of a real clip and the
files a client must not reach; every client call has a timeout (`fail_after`).
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from PIL import Image

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

from vagent.tools.examples import example_video  # noqa: E402
from vagent.tools.registry import TOOL_NAMES, VideoTools  # noqa: E402

CLIP = ["--clip-pretrained", "random", "--clip-model", "ViT-S-32"]
TOKEN = "test-token-7f3a"
CALL = 120  # seconds any one client step may take on a busy 2-core machine


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with a real clip, and the things a client must not reach from it."""
    base = tmp_path_factory.mktemp("serve")
    root, outside = base / "root", base / "outside"
    (root / "clips").mkdir(parents=True)
    outside.mkdir()
    shutil.copy(example_video("bikes"), root / "clips" / "bikes.mp4")
    shutil.copy(example_video("bikes"), outside / "secret.mp4")
    (root / "notes.txt").write_text("not a video")
    (root / "fake.mp4").write_text("not a video either")
    (root / "escape.mp4").symlink_to(outside / "secret.mp4")
    os.mkfifo(root / "pipe.mp4")
    return root


def server_args(root: Path, *extra: str) -> list[str]:
    return ["-m", "vagent", "serve", "--root", str(root), *CLIP, *extra]


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def images_of(result) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(block.data))) for block in result.content if block.type == "image"]


@asynccontextmanager
async def stdio_session(root: Path, env: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=sys.executable, args=server_args(root), env={**os.environ, **(env or {})})
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        with anyio.fail_after(CALL):
            await session.initialize()
        yield session


@asynccontextmanager
async def http_session(url: str, token: str | None) -> AsyncIterator[ClientSession]:
    client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"} if token else None)
    async with client, streamable_http_client(url, http_client=client) as (read, write), ClientSession(read, write) as session:
        with anyio.fail_after(CALL):
            await session.initialize()
        yield session


async def call(session: ClientSession, name: str, progress: Callable | None = None, **arguments):
    with anyio.fail_after(CALL):
        return await session.call_tool(name, arguments, progress_callback=progress)


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def http_server(served: Path, tmp_path: Path):
    """Start `vagent serve --transport http` with a token and a fresh cache; yields (url, process)."""
    procs = []

    def start(*extra: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        env = {**os.environ, "VAGENT_CACHE_DIR": str(tmp_path / f"cache-{len(procs)}")}
        proc = subprocess.Popen([sys.executable, *server_args(served, "--transport", "http", "--port", str(port),
                                                              "--token", TOKEN, *extra)], env=env)
        procs.append(proc)
        deadline = time.monotonic() + CALL
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the server exited while starting"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return f"http://127.0.0.1:{port}/mcp", proc
            time.sleep(0.2)
        raise TimeoutError("the server did not start listening")

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(timeout=30)


def test_stdio_lists_and_calls_every_tool_and_refuses_what_is_not_served(served: Path, tmp_path: Path):
    async def main() -> None:
        async with stdio_session(served, {"VAGENT_CACHE_DIR": str(tmp_path / "cache")}) as session:
            with anyio.fail_after(CALL):
                listed = (await session.list_tools()).tools
            assert sorted(tool.name for tool in listed) == list(TOOL_NAMES)
            for tool, schema in zip(sorted(listed, key=lambda t: t.name), VideoTools.schemas()):
                params = schema["function"]["parameters"]
                assert tool.input_schema["required"] == ["video", *params.get("required", [])]
                assert {k: v for k, v in tool.input_schema["properties"].items() if k != "video"} == params["properties"]

            progress: list[tuple[float, float | None, str | None]] = []

            async def on_progress(done: float, total: float | None, message: str | None) -> None:
                progress.append((done, total, message))

            scenes = await call(session, "detect_scenes", on_progress, video="clips/bikes.mp4")
            assert not scenes.is_error and "scene(s):" in text_of(scenes)
            assert progress and "indexing bikes.mp4" in progress[0][2], progress
            assert scenes.structured_content["scenes"]
            absolute = str(served / "clips" / "bikes.mp4")
            zoom = await call(session, "zoom_frame", video=absolute, time=1.0, box=[0.1, 0.1, 0.6, 0.6])
            assert not zoom.is_error and text_of(zoom).startswith("zoom t=")
            (image,) = images_of(zoom)
            assert image.format == "JPEG" and max(image.size) == 448
            crop = await call(session, "crop_clip", video="clips/bikes.mp4", start=0.0, end=2.0, num_frames=3)
            assert len(images_of(crop)) == 3 and "t=" in text_of(crop)
            search = await call(session, "search_clips", video="clips/bikes.mp4", query="a bike", top_k=2)
            assert not search.is_error and "random CLIP weights" in text_of(search) and images_of(search)
            read = await call(session, "read_text", video="clips/bikes.mp4", time=0.5)
            assert not read.is_error and text_of(read).startswith("read_text t=")

            # the agent's own limits and error texts
            bad = await call(session, "crop_clip", video="clips/bikes.mp4", start=0.0, end=2.0, num_frames=99)
            assert bad.is_error and text_of(bad) == "crop_clip: num_frames must be between 1 and 16, got 99"

            refused = {
                "parent": "../outside/secret.mp4",
                "absolute outside": str(served.parent / "outside" / "secret.mp4"),
                "symlink out": "escape.mp4",
                "missing": "clips/nope.mp4",
                "not a video (suffix)": "notes.txt",
                "not a video (content)": "fake.mp4",
                "fifo": "pipe.mp4",
                "folder": "clips",
                "oversized": "x" * 20_000,
            }
            reasons = {}
            for case, video in refused.items():
                result = await call(session, "zoom_frame", video=video, time=1.0, box=[0.1, 0.1, 0.6, 0.6])
                assert result.is_error and not images_of(result), case
                reasons[case] = text_of(result)
            assert "outside the served roots" in reasons["parent"]
            assert "outside the served roots" in reasons["absolute outside"]
            assert "outside the served roots" in reasons["symlink out"]
            assert "no such video" in reasons["missing"]
            assert "not a video file" in reasons["not a video (suffix)"]
            assert "cannot be opened" in reasons["not a video (content)"] and "fake.mp4" in reasons["not a video (content)"]
            assert "not a regular file" in reasons["fifo"] and "not a regular file" in reasons["folder"]
            assert "bytes of JSON; the limit is 16384" in reasons["oversized"]
            assert str(served) not in reasons["not a video (content)"], "server paths are not echoed"
            unknown = await call(session, "rm_rf", video="clips/bikes.mp4")
            assert unknown.is_error and "Valid tools" in text_of(unknown)
            missing = await call(session, "detect_scenes")
            assert missing.is_error and text_of(missing).startswith("detect_scenes: missing argument video (a path")

            again = await call(session, "detect_scenes", video="clips/bikes.mp4")  # the server lives on
            assert text_of(again) == text_of(scenes)

    anyio.run(main)


def test_http_needs_the_token_and_serves_eight_clients_at_once(http_server):
    url, _ = http_server()

    async def main() -> None:
        import httpx2

        async with httpx2.AsyncClient() as raw:
            with anyio.fail_after(CALL):
                response = await raw.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert response.status_code == 401 and "Bearer <token>" in response.json()["error"]["message"]
            with anyio.fail_after(CALL):
                huge = await raw.post(url, content=b"x" * 300_000, headers={"Authorization": f"Bearer {TOKEN}",
                                      "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
            assert huge.status_code == 413
        for token in (None, "wrong"):
            with pytest.raises(Exception) as caught, anyio.fail_after(CALL):
                async with http_session(url, token):
                    pass
            assert any("unauthorized: send Authorization: Bearer" in str(leaf) for leaf in leaves(caught.value)), caught.value

        async with http_session(url, TOKEN) as session:  # index once before the crowd arrives
            first = await call(session, "detect_scenes", video="clips/bikes.mp4")
            assert not first.is_error

        results: list[tuple[str, int]] = []

        async def client(i: int) -> None:
            async with http_session(url, TOKEN) as session:
                zoom = await call(session, "zoom_frame", video="clips/bikes.mp4", time=0.2 * i, box=[0.0, 0.0, 0.5, 0.5])
                outside = await call(session, "detect_scenes", video="../outside/secret.mp4")
                assert outside.is_error
                results.append((text_of(zoom), len(images_of(zoom))))

        async with anyio.create_task_group() as group:
            for i in range(8):
                group.start_soon(client, i)
        assert len(results) == 8 and all(count == 1 and text.startswith("zoom t=") for text, count in results)

    anyio.run(main)


def test_a_client_past_its_calls_in_flight_is_refused_and_a_killed_server_is_a_clear_error(http_server):
    url, proc = http_server("--max-in-flight", "1")

    async def main() -> None:
        indexing = anyio.Event()

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            indexing.set()

        async with http_session(url, TOKEN) as session:
            outcome: dict[str, object] = {}

            async def first_call() -> None:
                try:
                    outcome["result"] = await call(session, "detect_scenes", on_progress, video="clips/bikes.mp4")
                except Exception as exc:  # what the client sees when the server dies
                    outcome["error"] = exc

            async with anyio.create_task_group() as group:
                group.start_soon(first_call)
                with anyio.fail_after(CALL):
                    await indexing.wait()
                second = await call(session, "zoom_frame", video="clips/bikes.mp4", time=0.0, box=[0, 0, 1, 1])
                assert second.is_error and "calls in flight" in text_of(second)
                proc.send_signal(signal.SIGKILL)
            assert "error" in outcome, f"the call should fail when the server dies, got {outcome}"
            error = outcome["error"]
            assert isinstance(error, mcp.MCPError) and "ended without a response" in str(error), repr(error)

    anyio.run(main)


def serve_children() -> list[int]:
    """The `vagent serve` processes this test process started (Linux /proc)."""
    pids = [int(pid) for children in Path("/proc/self/task").glob("*/children") for pid in children.read_text().split()]
    return [pid for pid in pids if b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]  # not a forkserver


def test_a_stdio_server_killed_mid_call_is_a_clear_error(served: Path, tmp_path: Path):
    async def main() -> None:
        indexing = anyio.Event()

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            indexing.set()

        outcome: dict[str, object] = {}
        async with stdio_session(served, {"VAGENT_CACHE_DIR": str(tmp_path / "cache")}) as session:

            async def first_call() -> None:
                try:
                    outcome["result"] = await call(session, "detect_scenes", on_progress, video="clips/bikes.mp4")
                except Exception as exc:
                    outcome["error"] = exc

            async with anyio.create_task_group() as group:
                group.start_soon(first_call)
                with anyio.fail_after(CALL):
                    await indexing.wait()
                (pid,) = serve_children()
                os.kill(pid, signal.SIGKILL)
        error = outcome.get("error")
        assert isinstance(error, mcp.MCPError) and "onnection closed" in str(error), repr(outcome)

    anyio.run(main)


def test_a_call_past_its_timeout_is_a_tool_error_and_the_server_goes_on(http_server):
    url, proc = http_server("--call-timeout", "0.5")  # a fresh cache: the first call must index, which takes longer

    async def main() -> None:
        async with http_session(url, TOKEN) as session:
            late = await call(session, "detect_scenes", video="clips/bikes.mp4")
            assert late.is_error and text_of(late).startswith("detect_scenes: timed out after 0.5s"), text_of(late)
            with anyio.fail_after(CALL):
                assert len((await session.list_tools()).tools) == len(TOOL_NAMES)
        assert proc.poll() is None

    anyio.run(main)


def test_serve_refuses_a_public_bind_without_a_token(served: Path):
    result = subprocess.run([sys.executable, *server_args(served, "--transport", "http", "--host", "0.0.0.0")],
                            capture_output=True, text=True, timeout=CALL)
    assert result.returncode == 2 and "needs --token" in result.stderr
