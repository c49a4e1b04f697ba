"""A :class:`~vagent.agent.policy.Policy` backed by a local transformers model.

:class:`TransformersPolicy` loads any ``AutoModelForImageTextToText`` checkpoint (Qwen3-VL,
Qwen2.5-VL, SmolVLM2, ...) or, as a text-only agent, any ``AutoModelForCausalLM`` checkpoint or
GGUF file (:mod:`vagent.agent.text_models`) by Hub id or local path, renders vagent messages with the model's
OWN chat template and samples the next turn. Loading never hangs on the network: a Hub id is
looked up in the local cache first, and with ``HF_HUB_OFFLINE=1`` (or no network) an uncached id
fails at once with a :class:`~vagent.errors.ModelLoadError` that says how to fix it.

>>> policy = TransformersPolicy("Qwen/Qwen3-VL-2B-Instruct", max_new_tokens=256)  # doctest: +SKIP
>>> policy.generate(episode.state.messages, tools.schemas()).text  # doctest: +SKIP
'<think>...</think><tool_call>{"name": ...}</tool_call>'

Message rendering:

- image blocks (JPEG data URLs) become PIL images, shrunk to ``max_image_side``; the text block
  with each image's timestamp stays in front of it (a text-only model sees ``t=12.50s: [frame]``
  and every message as one string);
- templates with a tools section (Qwen3-VL, TRL's templates) get ``tools=`` and render tool
  messages themselves (Qwen3-VL: ``<tool_response>`` blocks in a user turn, images included);
  for templates without one (Qwen2.5-VL, SmolVLM2) ``include_schemas`` is True, so the system
  prompt lists the tools, and tool messages are sent as user turns wrapped in
  ``<tool_response>...</tool_response>``;
- assistant messages are the model's raw text (``<think>``, ``<tool_call>`` included).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from vagent.agent.batching import RequestBatcher
from vagent.agent.episode import Generation
from vagent.agent.hf_loading import DEFAULT_MODEL, load_model, model_kind, pick_device, pick_dtype, resolve_model_dir
from vagent.agent.messages import placeholder_token_ids, strip_placeholders, to_processor_messages
from vagent.errors import ModelLoadError

def chat_template_of(processor: Any) -> str:
    """The processor's chat template text (the tokenizer's when the processor has none)."""
    template = getattr(processor, "chat_template", None) or getattr(
        getattr(processor, "tokenizer", None), "chat_template", None
    )
    if isinstance(template, dict):
        template = template.get("default") or next(iter(template.values()), None)
    return template or ""


def template_renders_tools(template: str) -> bool:
    """Whether a chat template lists ``tools`` and renders ``tool`` messages itself."""
    return "tools" in template and ("'tool'" in template or '"tool"' in template)


class TransformersPolicy:
    """A transformers image-text-to-text model as a vagent policy.

    Args:
        model_id_or_path: Hub id (e.g. :data:`DEFAULT_MODEL`), a folder written by ``save_pretrained``
            (such as :func:`vagent.agent.tiny_model.tiny_model_path`) or a ``.gguf`` file. All load
            through the same ``from_pretrained`` calls on a local folder.
        device: ``"cuda"``, ``"mps"``, ``"cpu"``, ``"cuda:1"``...; ``None`` picks the best available.
        dtype: torch dtype or its name; ``None`` means bf16 on CUDA, fp16 on MPS, fp32 on CPU.
        temperature, top_p, do_sample: sampling; ``do_sample=False`` is greedy decoding.
        max_new_tokens: cap on the tokens of one turn.
        seed: makes sampling reproducible: call ``k`` of this policy seeds torch with ``seed + k``.
        max_image_side: images are shrunk so their longer side is at most this many pixels
            (``None``: left to the processor's own limits).
        batch_size: most conversations in one ``generate`` call when several threads ask at once;
            ``None``: 16 on an accelerator, 1 on CPU (there a padded batch's attention mask rules out
            the fast causal kernel and batches were slower than single turns, ``bench/batching.py``).
        batch_wait_s: longest a turn waits for other threads' turns to batch with (only while other
            threads are calling; a single caller never waits).

    With ``batch_size > 1`` the policy is ``concurrent``: test-time scaling runs its trajectories in
    threads, and the turns they ask for at about the same moment run as one left-padded batch
    (:class:`~vagent.agent.batching.RequestBatcher`). With 1 trajectories run one after another,
    so seeded sampling stays reproducible.
    """

    def __init__(
        self,
        model_id_or_path: str | os.PathLike[str] = DEFAULT_MODEL,
        *,
        device: str | None = None,
        dtype: Any = None,
        temperature: float = 0.7,
        top_p: float = 0.9,
        max_new_tokens: int = 512,
        do_sample: bool = True,
        seed: int | None = None,
        max_image_side: int | None = 768,
        batch_size: int | None = None,
        batch_wait_s: float = 0.05,
    ):
        self.model_id = str(model_id_or_path)
        self.device = pick_device(device)
        self.dtype = pick_dtype(self.device, dtype)
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.do_sample = do_sample
        self.seed = seed
        self.max_image_side = max_image_side
        self._calls = 0

        self.model_dir = resolve_model_dir(model_id_or_path)
        self.processor, self.model = self._load(self.model_dir)
        self.text_only = model_kind(self.model_dir) == "text"
        """True for a causal LM: images reach it as their timestamp lines only."""
        if self.text_only:
            self.processor.padding_side = "left"
        self.chat_template = chat_template_of(self.processor)
        if not self.chat_template:
            raise ModelLoadError(f"{self.model_id} has no chat template: use an instruct/chat checkpoint")
        self.include_schemas = not template_renders_tools(self.chat_template)
        """False when the chat template renders the tool schemas (Qwen3-VL); True otherwise."""
        self.name = f"transformers:{self.model_id}"
        self._stop_ids = self._stop_token_ids()
        self._placeholder_ids = placeholder_token_ids(self.tokenizer)
        self._batcher: RequestBatcher[tuple[list[dict[str, Any]], list[dict[str, Any]]], Generation] = RequestBatcher(
            lambda items: self.generate_batch([messages for messages, _ in items], items[0][1]),
            max_batch=batch_size or (1 if self.device == "cpu" else 16), max_wait_s=batch_wait_s)
        self.concurrent = self._batcher.max_batch > 1
        """Whether several threads may sample at once (their turns are then batched)."""

    def _load(self, folder: Path) -> tuple[Any, Any]:
        try:
            processor, model = load_model(folder, dtype=self.dtype)
        except ModelLoadError:
            raise
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:160]
            raise ModelLoadError(
                f"cannot load {self.model_id} from {folder} as an image-text-to-text model or causal LM "
                f"({exc.__class__.__name__}: {first}); check the id, or upgrade transformers"
            ) from None
        model.to(self.device)
        model.eval()
        return processor, model

    @property
    def tokenizer(self) -> Any:
        return getattr(self.processor, "tokenizer", self.processor)

    def _stop_token_ids(self) -> set[int]:
        """Ids that end or pad a completion and are cut from the text (eos, pad, ``<|im_end|>``)."""
        ids: set[int] = set()
        eos = getattr(self.model.generation_config, "eos_token_id", None)
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        for attr in ("eos_token_id", "pad_token_id"):
            value = getattr(self.tokenizer, attr, None)
            if isinstance(value, int):
                ids.add(value)
        for token in ("<|im_end|>", "<|endoftext|>", "<end_of_utterance>"):
            token_id = self.tokenizer.convert_tokens_to_ids(token)
            unk = getattr(self.tokenizer, "unk_token_id", None)
            if isinstance(token_id, int) and token_id != unk and token_id >= 0:
                ids.add(token_id)
        return ids

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The processor-format conversation for ``messages`` (see the module docstring)."""
        return to_processor_messages(messages, tool_role=not self.include_schemas, max_image_side=self.max_image_side,
                                     text_only=self.text_only)

    def prompt_text(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> str:
        """The exact prompt string the model sees (before image placeholders are expanded)."""
        return self.processor.apply_chat_template(
            self.render(messages, tools),
            tools=None if self.include_schemas else tools or None,
            add_generation_prompt=True,
            tokenize=False,
        )

    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        """The model's next turn for this conversation (batched with other threads' turns)."""
        return self._batcher.submit((messages, tools), key=json.dumps(tools, sort_keys=True))

    @property
    def batches(self) -> int:
        """``generate_batch`` calls made on behalf of :meth:`generate` so far."""
        return self._batcher.batches

    def generate_batch(
        self, batch: list[list[dict[str, Any]]], tools: list[dict[str, Any]]
    ) -> list[Generation]:
        """One sampled turn per conversation, in a single left-padded ``generate`` call.

        Pass the same conversation ``n`` times for ``n`` samples (test-time scaling). Each
        result's ``seconds`` is the wall time of the whole batch.
        """
        import torch

        if not batch:
            return []
        started = time.perf_counter()
        conversations = [self.render(messages, tools) for messages in batch]
        padding = {"padding": len(batch) > 1} if self.text_only else {
            "processor_kwargs": {"padding": len(batch) > 1, "padding_side": "left"}}
        inputs = self.processor.apply_chat_template(
            conversations if len(batch) > 1 else conversations[0],
            tools=None if self.include_schemas else tools or None,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            **padding,
        ).to(self.device)
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample}
        if self._placeholder_ids:  # a sampled placeholder would not match the images of the next turn
            kwargs["suppress_tokens"] = self._placeholder_ids
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        pad_id = getattr(self.tokenizer, "pad_token_id", None)
        if pad_id is not None:
            kwargs["pad_token_id"] = pad_id
        if self.seed is not None:
            torch.manual_seed(self.seed + self._calls)
        self._calls += 1
        with torch.inference_mode():
            output = self.model.generate(**inputs, **kwargs)
        prompt_len = inputs["input_ids"].shape[1]
        mask = inputs.get("attention_mask")
        seconds = time.perf_counter() - started
        results = []
        for row in range(len(batch)):
            text, completion_tokens = self.decode_completion(output[row, prompt_len:].tolist())
            prompt_tokens = int(mask[row].sum()) if mask is not None else prompt_len
            results.append(Generation(text, prompt_tokens, completion_tokens, seconds))
        return results

    def decode_completion(self, ids: list[int]) -> tuple[str, int]:
        """Text of generated ``ids`` up to the first end token, and the number of tokens generated.

        Special tokens are NOT skipped (some tokenizers mark ``<tool_call>``/``<think>`` special),
        only the end and padding tokens are cut. The end token counts as generated.
        """
        kept = []
        for token_id in ids:
            if token_id in self._stop_ids:
                break
            kept.append(token_id)
        finished = len(kept) < len(ids)
        text = self.tokenizer.decode(kept, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        return strip_placeholders(text), len(kept) + int(finished)

    def __repr__(self) -> str:
        return f"TransformersPolicy({self.model_id!r}, device={self.device!r}, dtype={self.dtype})"
