"""A :class:`~vagent.agent.policy.Policy` for OpenAI-compatible chat servers (vLLM, SGLang, TGI, llama.cpp, OpenAI).

The model writes vagent's text protocol (``<think>``, ``<tool_call>``, ``<answer>``) as plain
text, so no server-side tool parsing is needed and any chat server works: ``include_schemas`` is
True (the system prompt lists the tool schemas) and no ``tools=`` field is sent.

Message conversion (:func:`to_openai_messages`):

- image blocks become ``{"type": "image_url", "image_url": {"url": <data URL>}}``; the text block
  holding each image's timestamp stays in front of it as a text part;
- tool results are sent as **user** messages wrapped in ``<tool_response>...</tool_response>``:
  the ``tool`` role needs a ``tool_call_id`` from server-parsed calls, and most servers reject
  images in tool messages. Consecutive user messages are merged, for servers whose templates
  require alternating roles;
- assistant turns are the model's raw text.

Should a server split the reasoning out (``reasoning_content``) or parse tool calls itself
(``tool_calls``), both are written back into protocol text, so the parser sees what the model wrote.

Only the standard library is used (``urllib``). Connection errors, timeouts, HTTP 408/429 and 5xx
are retried with exponential backoff; after ``max_retries`` a :class:`PolicyError` is raised.

>>> policy = OpenAIPolicy("http://localhost:8000/v1", "Qwen/Qwen3-VL-8B-Instruct")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vagent.agent.episode import Generation
from vagent.agent.protocol import THINK_CLOSE, THINK_OPEN, ToolCall, render_tool_call
from vagent.errors import VagentError
from vagent.types import TimedImage, block_image

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try."""


class PolicyError(VagentError):
    """An inference backend failed to produce a turn (after its retries); the message says why."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


def _image_url(block: dict[str, Any]) -> str:
    image = block.get("image")
    if isinstance(image, str) and (image.startswith(("data:", "http://", "https://"))):
        return image
    return TimedImage(float(block.get("time", 0.0)), block_image(block)).to_data_url()


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    parts = []
    for block in content or []:
        kind = block.get("type")
        if kind == "image" or (kind is None and "image" in block):
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block)}})
        elif kind == "image_url":
            parts.append({"type": "image_url", "image_url": block["image_url"]})
        elif "text" in block:
            parts.append({"type": "text", "text": str(block["text"])})
        else:
            raise ValueError(f"unsupported content block type {kind!r}")
    return parts


def _text_only(content: Any) -> str:
    return "".join(part["text"] for part in _parts(content) if part["type"] == "text")


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """vagent messages → OpenAI chat messages (see the module docstring for the rules)."""
    converted: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role in ("system", "assistant"):
            converted.append({"role": role, "content": _text_only(message.get("content"))})
            continue
        parts = _parts(message.get("content"))
        if role == "tool":
            name = message.get("name", "tool")
            parts = [{"type": "text", "text": f"<tool_response>\n[{name}] "}, *parts]
            parts.append({"type": "text", "text": "\n</tool_response>"})
        elif role != "user":
            raise ValueError(f"unsupported message role {role!r}")
        if converted and converted[-1]["role"] == "user":
            converted[-1]["content"].append({"type": "text", "text": "\n"})
            converted[-1]["content"].extend(parts)
        else:
            converted.append({"role": "user", "content": parts})
    return converted


def completion_text(message: dict[str, Any]) -> str:
    """Protocol text from a chat completion message (reasoning and parsed tool calls folded back in)."""
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    text = content or ""
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning.strip() and THINK_OPEN not in text:
        text = f"{THINK_OPEN}{reasoning.strip()}{THINK_CLOSE}\n{text.lstrip()}"
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function", call)
        arguments = function.get("arguments") or {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError:
                arguments = {"_raw": arguments}
        if not isinstance(arguments, dict):
            arguments = {}
        calls.append(render_tool_call(ToolCall(str(function.get("name", "")), arguments)))
    if calls:
        text = "\n".join([text.rstrip(), *calls]).strip()
    return text


class OpenAIPolicy:
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        base_url: the API root, e.g. ``http://localhost:8000/v1`` (requests go to
            ``{base_url}/chat/completions``).
        model: the model name the server knows.
        api_key: sent as a bearer token; ``None`` reads ``$VAGENT_API_KEY`` then ``$OPENAI_API_KEY``
            (no header when neither is set, as local servers expect).
        timeout: seconds allowed for one HTTP request.
        max_retries: further attempts after a connection error, timeout, 408/429 or 5xx.
        backoff: seconds before the first retry; doubles each time (capped at 30 s, or the
            server's ``Retry-After`` when shorter than that).
        temperature, top_p, max_tokens: sampling parameters sent with every request.
        extra_body: more request fields (``{"top_k": 20, "seed": 1}``, ``{"stop": [...]}``...).
    """

    include_schemas = True
    concurrent = True
    """Several trajectories may call :meth:`generate` at once (test-time scaling batches them)."""
    """The system prompt lists the tools; no server-side tool parsing is relied on."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60,
        max_retries: int = 3,
        temperature: float = 0.7,
        top_p: float = 0.9,
        max_tokens: int = 512,
        *,
        backoff: float = 1.0,
        extra_body: dict[str, Any] | None = None,
    ):
        base = base_url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
        self.model = model
        if api_key is None:
            api_key = os.environ.get("VAGENT_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.temperature = temperature
        self.top_p = top_p
        self.max_tokens = max_tokens
        self.extra_body = dict(extra_body or {})
        self.name = f"openai:{model}@{base}"

    def request_body(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The JSON body sent for ``messages``."""
        body = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
        }
        body.update(self.extra_body)
        return body

    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        """The model's next turn; raises :class:`PolicyError` once retries are spent."""
        started = time.perf_counter()
        payload = self._post(self.request_body(messages))
        choices = payload.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            raise PolicyError(f"{self.url} answered without choices: {json.dumps(payload)[:200]}")
        choice = choices[0]
        text = completion_text(choice.get("message") or {}) if "message" in choice else str(choice.get("text") or "")
        usage = payload.get("usage") or {}
        return Generation(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            seconds=time.perf_counter() - started,
        )

    def generate_batch(
        self, batch: list[list[dict[str, Any]]], tools: list[dict[str, Any]], max_workers: int = 8
    ) -> list[Generation]:
        """One turn per conversation, as concurrent requests (the server batches them)."""
        if len(batch) <= 1:
            return [self.generate(messages, tools) for messages in batch]
        with ThreadPoolExecutor(max_workers=min(max_workers, len(batch))) as pool:
            return list(pool.map(lambda messages: self.generate(messages, tools), batch))

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        problem, status, retry_after = "", None, None
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self._delay(attempt, retry_after))
            retry_after = None
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                problem = f"HTTP {exc.code}: {_error_detail(exc)}"
                if exc.code not in RETRY_STATUS:
                    raise PolicyError(f"{self.url} rejected the request ({problem})", status=exc.code) from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                continue
            except (TimeoutError, socket.timeout):
                status, problem = None, f"no answer within {self.timeout:g}s"
                continue
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    status, problem = None, f"no answer within {self.timeout:g}s"
                else:
                    status, problem = None, f"cannot connect ({reason})"
                continue
            except (ConnectionError, OSError) as exc:
                status, problem = None, f"connection failed ({exc.__class__.__name__}: {exc})"
                continue
            try:
                payload = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise PolicyError(f"{self.url} answered with something that is not JSON: {raw[:120]!r}") from None
            if not isinstance(payload, dict):
                raise PolicyError(f"{self.url} answered with JSON that is not an object: {raw[:120]!r}")
            return payload
        tries = self.max_retries + 1
        raise PolicyError(
            f"{self.url} failed after {tries} attempt(s): {problem}; "
            f"check that the server is running and serves {self.model!r}",
            status=status,
        )

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = min(30.0, self.backoff * 2 ** (attempt - 1))
        if retry_after:
            try:
                delay = min(30.0, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return delay

    def __repr__(self) -> str:
        return f"OpenAIPolicy({self.url!r}, model={self.model!r})"


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read().decode("utf-8", "replace")
    except Exception:
        return exc.reason if isinstance(exc.reason, str) else ""
    try:
        payload = json.loads(raw)
        error = payload.get("error", payload) if isinstance(payload, dict) else payload
        message = error.get("message") if isinstance(error, dict) else error
        return " ".join(str(message).split())[:200]
    except json.JSONDecodeError:
        return " ".join(raw.split())[:200]
