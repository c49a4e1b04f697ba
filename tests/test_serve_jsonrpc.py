"""Acceptance of `vagent serve`: a plain JSON-RPC 2.0 client over stdio, no MCP SDK.

MCP over stdio is one JSON object per line. The client lists the five tools, gets text from
detect_scenes and a JPEG from zoom_frame on a real clip, and gets tool errors (not protocol errors,
not a dead server) for `../`, an absolute path outside the root and a symlink pointing out.
"""

from __future__ import annotations

import base64
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from PIL import Image

from vagent.tools.examples import example_video

TIMEOUT = 120  # seconds for any one answer on a busy machine


class JsonRpcClient:
    """Newline-delimited JSON-RPC over a child's pipes; every read has a timeout."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, message: dict[str, Any]) -> None:
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, **({"params": params} if params is not None else {})})
        while True:  # notifications (progress, logs) may come first
            line = self.lines.get(timeout=TIMEOUT)
            assert line is not None, "the server closed its output"
            message = json.loads(line)
            if message.get("id") == self.next_id:
                assert "error" not in message, message["error"]
                return message["result"]

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def test_a_plain_json_rpc_client_over_stdio(tmp_path: Path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    shutil.copy(example_video("bikes"), root / "bikes.mp4")
    shutil.copy(example_video("bikes"), outside / "secret.mp4")
    (root / "link.mp4").symlink_to(outside / "secret.mp4")
    args = [sys.executable, "-m", "vagent", "serve", "--root", str(root), "--clip-pretrained", "random", "--clip-model", "ViT-S-32"]
    client = JsonRpcClient(args, dict(os.environ))
    try:
        init = client.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                             "clientInfo": {"name": "plain", "version": "0"}})
        assert init["serverInfo"]["name"] == "vagent" and "tools" in init["capabilities"]
        client.send({"method": "notifications/initialized"})
        tools = client.request("tools/list")["tools"]
        assert sorted(tool["name"] for tool in tools) == ["crop_clip", "detect_scenes", "listen", "read_text", "search_clips", "zoom_frame"]
        assert all(tool["inputSchema"]["required"][0] == "video" for tool in tools)

        scenes = client.request("tools/call", {"name": "detect_scenes", "arguments": {"video": "bikes.mp4"}})
        assert not scenes["isError"] and "scene 1: 0.00s-" in scenes["content"][0]["text"]
        zoom = client.request("tools/call", {"name": "zoom_frame", "arguments": {"video": "bikes.mp4", "time": 1.0,
                                                                                  "box": [0.25, 0.25, 0.75, 0.75]}})
        (image,) = [block for block in zoom["content"] if block["type"] == "image"]
        assert image["mimeType"] == "image/jpeg"
        assert Image.open(io.BytesIO(base64.b64decode(image["data"]))).format == "JPEG"

        for video in ("../outside/secret.mp4", str(outside / "secret.mp4"), "link.mp4"):
            refused = client.request("tools/call", {"name": "detect_scenes", "arguments": {"video": video}})
            assert refused["isError"] and "outside the served roots" in refused["content"][0]["text"], refused
        assert client.proc.poll() is None, "the server lives on"
        assert client.request("tools/list")["tools"] == tools
    finally:
        client.close()
