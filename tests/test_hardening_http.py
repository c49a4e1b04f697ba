"""OpenAIPolicy against servers that misbehave: never answer, are not there, or get placeholder tokens back."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from vagent.agent import openai_policy
from vagent.agent.openai_policy import OpenAIPolicy, PolicyError, url_problem


class SilentServer:
    """Accepts TCP connections and never sends a byte; counts the connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)

    def close(self):
        self._stop.set()
        self.thread.join()
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_check_finds_a_server_that_never_answers(silent, monkeypatch):
    monkeypatch.setattr(openai_policy, "CHECK_TIMEOUT", 0.5)  # 10 s by default
    policy = OpenAIPolicy(silent.url, "m", connect_timeout=1, read_timeout=600)
    started = time.perf_counter()
    with pytest.raises(PolicyError, match="accepts connections but sent no answer within 0.5s"):
        policy.check()  # waits CHECK_TIMEOUT, not the 600 s a completion may take
    assert time.perf_counter() - started < 30
    with pytest.raises(PolicyError, match="within 0.2s"):
        OpenAIPolicy(silent.url, "m", read_timeout=0.2).check()  # or read_timeout when that is shorter


def test_a_completion_that_never_comes_is_not_retried(silent):
    policy = OpenAIPolicy(silent.url, "m", connect_timeout=1, read_timeout=0.5, max_retries=3, backoff=0.01)
    with pytest.raises(PolicyError, match=r"no answer within 0.5s"):
        policy.generate([{"role": "user", "content": "hi"}], [])
    assert len(silent.connections) == 1  # the old client sent the same request 4 times (4 x 60 s by default)


def test_check_names_an_unreachable_server():
    policy = OpenAIPolicy(f"http://127.0.0.1:{free_port()}/v1", "m", connect_timeout=1)
    with pytest.raises(PolicyError, match="cannot reach the server at http://127.0.0.1:.*Connection refused"):
        policy.check()


def test_timeouts_are_options_with_defaults():
    policy = OpenAIPolicy("http://localhost:8000/v1", "m")
    assert (policy.connect_timeout, policy.read_timeout) == (5.0, 60.0)
    assert OpenAIPolicy("http://localhost:8000/v1", "m", timeout=7).read_timeout == 7  # the old keyword
    with pytest.raises(ValueError, match="read_timeout must be a positive number"):
        OpenAIPolicy("http://localhost:8000/v1", "m", read_timeout=0)


@pytest.mark.parametrize(
    "url, problem",
    [("http://", "names no host"), ("ftp://host/v1", "http:// or https://"), ("localhost:8000/v1", "http:// or https://"),
     ("http://host:99999/v1", "port"), ("http://host:0/v1", "port"), ("http://ho st/v1", "whitespace"),
     ("http://host/v1?x=1", "query")],
)
def test_malformed_urls_are_named(url, problem):
    assert problem in url_problem(url)
    with pytest.raises(ValueError, match="is not a server address"):
        OpenAIPolicy(url, "m")


def test_vision_placeholders_never_go_back_to_the_server():
    """The model's earlier output can hold <|image_pad|>; sent back, a server counts it as an image (HTTP 500)."""
    earlier = "<think>look <|vision_start|><|image_pad|><|vision_end|></think><answer>B<|video_pad|></answer>"
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "question <|image_pad|>"}]},
        {"role": "assistant", "content": earlier},
        {"role": "tool", "name": "zoom_frame", "content": [{"type": "text", "text": "zoom <image>"}]},
    ]
    body = OpenAIPolicy("http://localhost:8000/v1", "m").request_body(messages)
    assert body["messages"][1]["content"] == "<think>look </think><answer>B</answer>"
    texts = [p["text"] for m in body["messages"] if isinstance(m["content"], list) for p in m["content"]]
    flat = " ".join([*texts, body["messages"][1]["content"]])
    for token in ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<image>"):
        assert token not in flat
