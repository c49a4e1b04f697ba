"""Model-backed policies: TransformersPolicy on the tiny checkpoint, OpenAIPolicy against a local server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from PIL import Image  # noqa: E402

from vagent.agent.episode import Generation  # noqa: E402
from vagent.agent.policy import Policy  # noqa: E402
from vagent.errors import ModelLoadError  # noqa: E402
from vagent.types import Observation, TimedImage, image_block  # noqa: E402

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_frames",
            "description": "Frames between two times.",
            "parameters": {"type": "object", "properties": {"start": {"type": "number"}}, "required": ["start"]},
        },
    }
]
CALL_TEXT = '<think>look closer</think>\n<tool_call>\n{"name": "get_frames", "arguments": {"start": 1.0}}\n</tool_call>'


def conversation() -> list[dict[str, Any]]:
    """System, user with 1 image, assistant tool call, tool result with 2 images: 3 images in all."""
    overview = TimedImage(0.5, Image.new("RGB", (320, 180), (200, 30, 30)))
    result = Observation(
        "2 frames.",
        [TimedImage(1.0, Image.new("RGB", (640, 360), (30, 200, 30))), TimedImage(2.0, Image.new("RGB", (96, 96)))],
    )
    return [
        {"role": "system", "content": "You answer questions about a video."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Question: what colour?"},
                {"type": "text", "text": overview.label},
                image_block(overview),
            ],
        },
        {"role": "assistant", "content": CALL_TEXT},
        {"role": "tool", "name": "get_frames", "content": result.content_blocks()},
    ]


# --------------------------------------------------------------------------- TransformersPolicy


@pytest.fixture(scope="module")
def tiny_policy(tiny_model_dir):
    from vagent.agent.hf_policy import TransformersPolicy

    return TransformersPolicy(tiny_model_dir, max_new_tokens=8, seed=0)


def test_tiny_policy_generates(tiny_policy):
    assert isinstance(tiny_policy, Policy)
    assert tiny_policy.include_schemas is False  # Qwen3-VL's template lists the tools
    assert tiny_policy.device == "cpu" and str(tiny_policy.dtype) == "torch.float32"
    generation = tiny_policy.generate(conversation(), TOOLS)
    assert isinstance(generation, Generation) and isinstance(generation.text, str)
    assert generation.prompt_tokens > 50
    assert 1 <= generation.completion_tokens <= 8
    assert generation.seconds > 0
    for end in ("<|im_end|>", "<|endoftext|>"):
        assert not generation.text.endswith(end)


def test_chat_template_gets_a_placeholder_per_image(tiny_policy):
    processor = tiny_policy.processor
    prompt = tiny_policy.prompt_text(conversation(), TOOLS)
    assert prompt.count("<|vision_start|><|image_pad|><|vision_end|>") == 3
    assert '"name": "get_frames"' in prompt  # tools section rendered by the template
    assert "<tool_response>\n2 frames.\nt=1.00s: <|vision_start|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    assert CALL_TEXT + "<|im_end|>" in prompt  # the model's own text, verbatim

    inputs = processor.apply_chat_template(
        tiny_policy.render(conversation(), TOOLS),
        tools=TOOLS,
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
        return_tensors="pt",
    )
    ids = inputs["input_ids"][0].tolist()
    grid = inputs["image_grid_thw"]
    merge = processor.image_processor.merge_size
    assert grid.shape[0] == 3
    assert ids.count(processor.tokenizer.convert_tokens_to_ids("<|vision_start|>")) == 3
    assert ids.count(processor.image_token_id) == int((grid.prod(-1) // merge**2).sum())
    assert "mm_token_type_ids" in inputs  # Qwen3-VL's forward needs it


def test_images_are_shrunk_to_max_image_side(tiny_policy):
    from vagent.agent.messages import to_processor_messages

    converted = to_processor_messages(conversation(), max_image_side=100)
    images = [b["image"] for m in converted for b in m["content"] if b["type"] == "image"]
    assert [max(image.size) for image in images] == [100, 100, 96]
    assert converted[3]["role"] == "tool" and converted[3]["name"] == "get_frames"


def test_decode_keeps_protocol_tags_and_cuts_end_tokens(tiny_policy):
    tokenizer = tiny_policy.tokenizer
    text = '<think>a</think><tool_call>\n{"name": "x"}\n</tool_call>'
    ids = tokenizer(text + "<|im_end|><|endoftext|><|endoftext|>")["input_ids"]
    decoded, count = tiny_policy.decode_completion(ids)
    assert decoded == text
    assert count == len(tokenizer(text)["input_ids"]) + 1  # the end token counts
    unfinished = tokenizer("<answer>B")["input_ids"]
    assert tiny_policy.decode_completion(unfinished) == ("<answer>B", len(unfinished))


def test_seeded_sampling_is_reproducible_and_batch_matches(tiny_model_dir):
    from vagent.agent.hf_policy import TransformersPolicy

    first = TransformersPolicy(tiny_model_dir, max_new_tokens=6, seed=3)
    second = TransformersPolicy(tiny_model_dir, max_new_tokens=6, seed=3)
    assert first.generate(conversation(), TOOLS).text == second.generate(conversation(), TOOLS).text

    greedy = TransformersPolicy(tiny_model_dir, max_new_tokens=6, do_sample=False)
    short = conversation()[:2]
    batch = greedy.generate_batch([conversation(), short], TOOLS)
    assert [g.text for g in batch] == [greedy.generate(conversation(), TOOLS).text, greedy.generate(short, TOOLS).text]
    assert batch[0].prompt_tokens > batch[1].prompt_tokens  # padding is not counted


def test_hub_id_loads_through_the_same_code_path(tiny_model_dir, tmp_path, monkeypatch):
    """A Hub id found in the HF cache and a local path end in the same from_pretrained(folder) calls."""
    import huggingface_hub.constants
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from vagent.agent import hf_policy

    snapshot = tmp_path / "hub" / "models--vagent-test--tiny" / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_model_dir, snapshot)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    calls: list[tuple[str, Path]] = []
    real_model, real_processor = AutoModelForImageTextToText.from_pretrained, AutoProcessor.from_pretrained
    def spy(kind, real):
        return lambda path, **kwargs: calls.append((kind, path)) or real(path, **kwargs)

    monkeypatch.setattr(AutoModelForImageTextToText, "from_pretrained", spy("model", real_model))
    monkeypatch.setattr(AutoProcessor, "from_pretrained", spy("processor", real_processor))

    by_path = hf_policy.TransformersPolicy(str(tiny_model_dir), max_new_tokens=2)
    by_id = hf_policy.TransformersPolicy("vagent-test/tiny", max_new_tokens=2)
    assert by_id.model_dir == snapshot
    assert calls == [
        ("processor", tiny_model_dir),
        ("model", tiny_model_dir),
        ("processor", snapshot),
        ("model", snapshot),
    ]
    assert type(by_id.model) is type(by_path.model) and by_id.include_schemas == by_path.include_schemas
    assert by_id.name == "transformers:vagent-test/tiny"


def test_templates_without_tools_list_schemas_in_the_prompt():
    import trl

    from vagent.agent.hf_policy import template_renders_tools
    from vagent.agent.messages import to_processor_messages

    folder = Path(trl.__file__).parent / "chat_templates"
    assert template_renders_tools((folder / "qwen3_vl.jinja").read_text())
    assert not template_renders_tools((folder / "qwen2_5_vl.jinja").read_text())
    assert not template_renders_tools((folder / "smolvlm.jinja").read_text())
    converted = to_processor_messages(conversation(), tool_role=False)
    assert [m["role"] for m in converted] == ["system", "user", "assistant", "user"]
    texts = [b["text"] for b in converted[3]["content"] if b["type"] == "text"]
    assert texts[0].startswith("<tool_response>") and texts[-1].endswith("</tool_response>")


def test_missing_local_path_fails_fast(tmp_path):
    from vagent.agent.hf_policy import TransformersPolicy

    for spec in (str(tmp_path / "nope"), "./no/such/model", tmp_path / "nope"):
        started = time.perf_counter()
        with pytest.raises(ModelLoadError) as info:
            TransformersPolicy(spec)
        assert time.perf_counter() - started < 2
        assert "\n" not in str(info.value) and "local" in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="config.json"):
        TransformersPolicy(tmp_path / "empty")


def test_uncached_hub_id_offline_fails_fast(tmp_path, monkeypatch):
    import huggingface_hub.constants

    from vagent.agent.hf_policy import TransformersPolicy

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    started = time.perf_counter()
    with pytest.raises(ModelLoadError) as info:
        TransformersPolicy("vagent-test/never-downloaded-model")
    assert time.perf_counter() - started < 5
    message = str(info.value)
    assert "\n" not in message and "vagent-test/never-downloaded-model" in message
    assert "connect" in message and "local model folder" in message


# --------------------------------------------------------------------------- OpenAIPolicy


class _Server:
    """A threaded 127.0.0.1 HTTP server that answers /v1/chat/completions from a script."""

    def __init__(self):
        self.script: list[tuple[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # a Hub that never answers in time
                time.sleep(10)
                self.send_response(404)
                self.end_headers()

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                kind, value = server.script.pop(0) if server.script else ("ok", "<answer>A</answer>")
                if kind == "sleep":
                    time.sleep(value)
                    kind, value = "ok", "<answer>late</answer>"
                if kind == "status":
                    payload = json.dumps({"error": {"message": f"scripted failure {value}"}}).encode()
                    self.send_response(value)
                else:
                    message = value if isinstance(value, dict) else {"role": "assistant", "content": value}
                    payload = json.dumps(
                        {
                            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 123, "completion_tokens": 7, "total_tokens": 130},
                        }
                    ).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = _Server()
    yield running
    running.close()


def test_uncached_hub_id_with_an_unresponsive_hub_fails_fast(tmp_path, monkeypatch, server):
    import huggingface_hub.constants

    from vagent.agent import hf_loading, hf_policy

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", server.url.removesuffix("/v1"))
    monkeypatch.setattr(hf_loading, "HUB_TIMEOUT_S", 0.3)
    started = time.perf_counter()
    with pytest.raises(ModelLoadError, match="cannot reach the Hugging Face Hub"):
        hf_policy.TransformersPolicy("vagent-test/never-downloaded-model")
    assert time.perf_counter() - started < 3  # the Hub would take 10 s to answer


def test_openai_policy_completes_a_turn(server):
    from vagent.agent.openai_policy import OpenAIPolicy

    server.script = [("ok", CALL_TEXT)]
    policy = OpenAIPolicy(server.url, "test-model", api_key="sk-test", temperature=0.2, top_p=0.5, max_tokens=64)
    assert isinstance(policy, Policy) and policy.include_schemas
    generation = policy.generate(conversation(), TOOLS)
    assert generation.text == CALL_TEXT
    assert (generation.prompt_tokens, generation.completion_tokens) == (123, 7)

    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert (body["model"], body["temperature"], body["top_p"], body["max_tokens"]) == ("test-model", 0.2, 0.5, 64)
    assert "tools" not in body
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert body["messages"][2]["content"] == CALL_TEXT
    tool_turn = body["messages"][3]["content"]
    assert tool_turn[0]["text"].startswith("<tool_response>") and tool_turn[-1]["text"].endswith("</tool_response>")
    parts = [p for m in body["messages"] if isinstance(m["content"], list) for p in m["content"]]
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == 3 and all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in images)
    texts = [p["text"] for p in tool_turn if p["type"] == "text"]
    assert "\nt=1.00s: " in texts and "\nt=2.00s: " in texts  # timestamps stay as text parts before their images


def test_openai_policy_retries_after_a_server_error(server):
    from vagent.agent.openai_policy import OpenAIPolicy

    server.script = [("status", 500), ("status", 429), ("ok", "<answer>B</answer>")]
    policy = OpenAIPolicy(server.url, "m", max_retries=3, backoff=0.01)
    assert policy.generate(conversation(), TOOLS).text == "<answer>B</answer>"
    assert len(server.requests) == 3


def test_openai_policy_gives_up_with_a_clear_error(server):
    from vagent.agent.openai_policy import OpenAIPolicy, PolicyError

    server.script = [("status", 503)] * 3
    with pytest.raises(PolicyError, match="after 3 attempt") as info:
        OpenAIPolicy(server.url, "m", max_retries=2, backoff=0.01).generate(conversation(), TOOLS)
    assert info.value.status == 503 and "scripted failure 503" in str(info.value)

    server.requests.clear()
    server.script = [("status", 400)]
    with pytest.raises(PolicyError, match="scripted failure 400"):
        OpenAIPolicy(server.url, "m", max_retries=3, backoff=0.01).generate(conversation(), TOOLS)
    assert len(server.requests) == 1  # client errors are not retried


def test_openai_policy_timeout(server):
    from vagent.agent.openai_policy import OpenAIPolicy, PolicyError

    server.script = [("sleep", 1.5)]
    started = time.perf_counter()
    with pytest.raises(PolicyError, match="no answer within 0.3s"):
        OpenAIPolicy(server.url, "m", timeout=0.3, max_retries=0).generate(conversation(), TOOLS)
    assert time.perf_counter() - started < 1.2


def test_openai_policy_connection_refused():
    from vagent.agent.openai_policy import OpenAIPolicy, PolicyError

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(PolicyError, match="cannot connect"):
        OpenAIPolicy(f"http://127.0.0.1:{port}/v1", "m", max_retries=1, backoff=0.01).generate(conversation(), TOOLS)
    assert time.perf_counter() - started < 3


def test_openai_policy_folds_reasoning_and_parsed_tool_calls_into_text(server):
    from vagent.agent.openai_policy import OpenAIPolicy
    from vagent.agent.protocol import parse_action

    server.script = [
        (
            "ok",
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "need frames",
                "tool_calls": [
                    {"id": "1", "type": "function", "function": {"name": "get_frames", "arguments": '{"start": 2}'}}
                ],
            },
        )
    ]
    text = OpenAIPolicy(server.url, "m").generate(conversation(), TOOLS).text
    action = parse_action(text, {"get_frames"})
    assert action.kind == "tool_calls" and action.think == "need frames"
    assert action.tool_calls[0].arguments == {"start": 2}


def test_openai_policy_batch(server):
    from vagent.agent.openai_policy import OpenAIPolicy

    results = OpenAIPolicy(server.url, "m").generate_batch([conversation()] * 3, TOOLS)
    assert [g.text for g in results] == ["<answer>A</answer>"] * 3 and len(server.requests) == 3


def test_image_placeholders_in_text_never_reach_the_processor(tiny_policy):
    """A sampled completion can contain <|image_pad|>; fed back as history it must not count as an image."""
    from vagent.agent.messages import strip_placeholders

    messages = conversation() + [{"role": "assistant", "content": "<think>x<|image_pad|><|vision_start|></think>"}]
    prompt = tiny_policy.prompt_text(messages, TOOLS)
    assert prompt.count("<|image_pad|>") == 3
    tiny_policy.generate(messages, TOOLS)  # the processor accepts it
    assert strip_placeholders("a<|image_pad|>b<image>c") == "abc"


def test_image_placeholders_are_never_sampled(tiny_model_dir):
    """Even a model that prefers ``<|image_pad|>`` above all never emits it (it would break the next turn)."""
    from vagent.agent.hf_policy import TransformersPolicy

    policy = TransformersPolicy(tiny_model_dir, max_new_tokens=5, seed=0)
    image_id = policy.processor.image_token_id
    assert image_id in policy._placeholder_ids

    def favour_image_pad(module, inputs, output):
        output = output.clone()
        output[..., image_id] += 1e4
        return output

    sampled: list[list[int]] = []
    real_generate = policy.model.generate

    def recording_generate(**kwargs):
        ids = real_generate(**kwargs)
        sampled.append(ids[0, kwargs["input_ids"].shape[1]:].tolist())
        return ids

    policy.model.generate = recording_generate
    handle = policy.model.lm_head.register_forward_hook(favour_image_pad)
    try:
        policy.generate(conversation(), TOOLS)
        assert sampled[-1] and image_id not in sampled[-1]
        policy._placeholder_ids = []  # without suppression the biased model emits nothing else
        policy.generate(conversation(), TOOLS)
        assert set(sampled[-1]) == {image_id}
    finally:
        handle.remove()
