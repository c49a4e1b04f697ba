"""A :class:`~vagent.agent.policy.Policy` for OpenAI-compatible chat servers (vLLM, SGLang, TGI, llama.cpp, OpenAI).

The model writes vagent's text protocol (``<think>``, ``<tool_call>``, ``<answer>``) as plain
text, so no server-side tool parsing is needed and any chat server works: ``include_schemas`` is
True (the system prompt lists the tool schemas) and no ``tools=`` field is sent.

Message conversion (:func:`vagent.agent.messages.to_openai_messages`):

- image blocks become ``{"type": "image_url", "image_url": {"url": <data URL>}}``; the text block
  holding each image's timestamp stays in front of it as a text part;
- tool results are sent as **user** messages wrapped in ``<tool_response>...</tool_response>``:
  the ``tool`` role needs a ``tool_call_id`` from server-parsed calls, and most servers reject
  images in tool messages. Consecutive user messages are merged, for servers whose templates
  require alternating roles;
- assistant turns are the model's raw text.

Should a server split the reasoning out (``reasoning_content``) or parse tool calls itself
(``tool_calls``), both are written back into protocol text, so the parser sees what the model wrote.

Vision placeholder tokens (``<|image_pad|>``, ``<|vision_start|>``, ...) are stripped from every
text part, the model's own earlier output included: a server counts them as images and rejects the
request (``transformers serve`` answers HTTP 500).

Only the standard library is used (``urllib``, so proxies from the environment apply). Two
timeouts: ``connect_timeout`` for reaching the server, ``read_timeout`` for its answer.
Connection errors, HTTP 408/429 and 5xx are retried with exponential backoff; after
``max_retries`` a :class:`PolicyError` is raised. An answer that does not come within
``read_timeout`` is not retried (the same request would wait again). :meth:`OpenAIPolicy.check`
asks the server for ``/models`` to find out in seconds whether anything answers at all.

>>> policy = OpenAIPolicy("http://localhost:8000/v1", "Qwen/Qwen3-VL-8B-Instruct")  # doctest: +SKIP
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vagent.agent.episode import Generation
from vagent.agent.messages import protocol_text, to_openai_messages
from vagent.errors import VagentError

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try."""
CONNECT_TIMEOUT = 5.0
"""Default seconds allowed to open a connection to the server."""
READ_TIMEOUT = 60.0
"""Default seconds allowed for the server's answer to one request (a whole completion)."""
CHECK_TIMEOUT = 10.0
"""Most seconds :meth:`OpenAIPolicy.check` waits for ``/models`` to answer."""


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an OpenAI-compatible server address, or None when it can.

    >>> url_problem("http://localhost:8000/v1") is None
    True
    >>> url_problem("http://localhost:99999/v1")
    'the port must be a number from 1 to 65535'
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return "the port must be a number from 1 to 65535"
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host (write e.g. http://localhost:8000/v1)"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    if any(ch.isspace() for ch in url):
        return "it contains whitespace"
    if parts.query or parts.fragment:
        return "it must not have a ?query or #fragment"
    return None


class PolicyError(VagentError):
    """An inference backend failed to produce a turn (after its retries); the message says why."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class OpenAIPolicy:
    """A model behind an OpenAI-compatible ``/chat/completions`` endpoint.

    Args:
        base_url: the API root, e.g. ``http://localhost:8000/v1`` (requests go to
            ``{base_url}/chat/completions``).
        model: the model name the server knows.
        api_key: sent as a bearer token; ``None`` reads ``$VAGENT_API_KEY`` then ``$OPENAI_API_KEY``
            (no header when neither is set, as local servers expect).
        timeout: the old name of ``read_timeout`` (kept for callers that pass it).
        max_retries: further attempts after a connection error, 408/429 or 5xx.
        backoff: seconds before the first retry; doubles each time (capped at 30 s, or the
            server's ``Retry-After`` when shorter than that).
        temperature, top_p, max_tokens: sampling parameters sent with every request.
        extra_body: more request fields (``{"top_k": 20, "seed": 1}``, ``{"stop": [...]}``...).
        connect_timeout: seconds allowed to connect (default :data:`CONNECT_TIMEOUT`).
        read_timeout: seconds allowed for the answer to one request (default :data:`READ_TIMEOUT`);
            a model that needs longer for a completion needs a larger value.

    Raises:
        ValueError: ``base_url`` is not an http(s) address (:func:`url_problem` says why), or a
            timeout is not a positive number.
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
        timeout: float | None = None,
        max_retries: int = 3,
        temperature: float = 0.7,
        top_p: float = 0.9,
        max_tokens: int = 512,
        *,
        backoff: float = 1.0,
        extra_body: dict[str, Any] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float | None = None,
    ):
        problem = url_problem(base_url)
        if problem:
            raise ValueError(f"{base_url!r} is not a server address: {problem}")
        read_timeout = read_timeout if read_timeout is not None else timeout if timeout is not None else READ_TIMEOUT
        for label, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
            if not (isinstance(value, (int, float)) and 0 < value < float("inf")):
                raise ValueError(f"{label} must be a positive number of seconds, got {value!r}")
        base = base_url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
        self.model = model
        if api_key is None:
            api_key = os.environ.get("VAGENT_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.api_key = api_key
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.temperature = temperature
        self.top_p = top_p
        self.max_tokens = max_tokens
        self.extra_body = dict(extra_body or {})
        self.name = f"openai:{model}@{base}"
        self.base_url = base.removesuffix("/chat/completions")
        self._opener = urllib.request.build_opener(_HTTPHandler(self), _HTTPSHandler(self))

    @property
    def timeout(self) -> float:
        """The old name of :attr:`read_timeout`."""
        return self.read_timeout

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
        text = protocol_text(choice.get("message") or {}) if "message" in choice else str(choice.get("text") or "")
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

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def check(self) -> None:
        """Raise :class:`PolicyError` unless the server answers HTTP within seconds.

        Asks ``GET {base_url}/models`` once, waiting at most ``connect_timeout`` to connect and
        ``min(read_timeout, CHECK_TIMEOUT)`` for the answer. Any HTTP answer counts (a server
        without that route still answers 404); what it says is not checked.
        """
        request = urllib.request.Request(f"{self.base_url}/models", headers=self._headers(), method="GET")
        wait = min(self.read_timeout, CHECK_TIMEOUT)
        try:
            with self._opener.open(request, timeout=self.connect_timeout) as response:
                response.read(1)
        except urllib.error.HTTPError:
            return
        except urllib.error.URLError as exc:
            raise PolicyError(f"cannot reach the server at {self.base_url} ({_reason(exc.reason, self.connect_timeout)})") from None
        except (TimeoutError, socket.timeout):
            raise PolicyError(
                f"the server at {self.base_url} accepts connections but sent no answer within {wait:g}s"
            ) from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise PolicyError(f"cannot talk to the server at {self.base_url} ({exc.__class__.__name__}: {exc})") from None

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        problem, status, retry_after = "", None, None
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self._delay(attempt, retry_after))
            retry_after = None
            request = urllib.request.Request(self.url, data=data, headers=self._headers(), method="POST")
            try:
                with self._opener.open(request, timeout=self.connect_timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                problem = f"HTTP {exc.code}: {_error_detail(exc)}"
                if exc.code not in RETRY_STATUS:
                    raise PolicyError(f"{self.url} rejected the request ({problem})", status=exc.code) from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                continue
            except urllib.error.URLError as exc:  # raised while connecting or sending
                status, problem = None, f"cannot connect ({_reason(exc.reason, self.connect_timeout)})"
                continue
            except (TimeoutError, socket.timeout):  # connected, but the answer did not come in time
                raise PolicyError(
                    f"{self.url}: no answer within {self.read_timeout:g}s (a slow model needs a larger read timeout)"
                ) from None
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                status, problem = None, f"connection failed ({exc.__class__.__name__}: {exc})"
                continue
            try:
                payload = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
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


def _reason(reason: Any, connect_timeout: float) -> str:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no connection within {connect_timeout:g}s"
    return str(reason)


class _ReadTimeoutMixin:
    """Connects within the request's timeout, then waits ``read_timeout`` for every read."""

    def __init__(self, *args: Any, read_timeout: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.read_timeout = read_timeout

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.settimeout(self.read_timeout)  # type: ignore[attr-defined]


class _HTTPConnection(_ReadTimeoutMixin, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_ReadTimeoutMixin, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, policy: OpenAIPolicy):
        super().__init__()
        self.policy = policy

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_connection(_HTTPConnection, self.policy, req), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, policy: OpenAIPolicy):
        super().__init__()
        self.policy = policy

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_connection(_HTTPSConnection, self.policy, req), req, context=self._context)


def _connection(cls: type, policy: OpenAIPolicy, req: urllib.request.Request) -> Any:
    """A connection factory for ``do_open``; a ``/models`` check waits at most ``CHECK_TIMEOUT`` to read."""
    read = policy.read_timeout
    if req.get_method() == "GET":
        read = min(read, CHECK_TIMEOUT)
    return lambda *args, **kwargs: cls(*args, read_timeout=read, **kwargs)


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
