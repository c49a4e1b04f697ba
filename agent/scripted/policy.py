"""Dispatch: :class:`ScriptedPolicy` reads the conversation, picks the plan for the question's kind
and writes the next turn; :class:`Plan` combines the plans of every kind.
"""

from __future__ import annotations

import random
import re
import time
import zlib
from typing import Any

from vagent.agent.episode import Generation
from vagent.agent.measures import GUESS_MARK
from vagent.agent.protocol import render_action
from vagent.agent.scripted.chat import Conversation, read_conversation
from vagent.agent.scripted.choice import (nearest_number_option, nearest_time_option, number_options, part_options,
                                          parts_option, text_option, time_options)
from vagent.agent.scripted.claims import implied_options
from vagent.agent.scripted.counting import CountPlan
from vagent.agent.scripted.evidence import Move
from vagent.agent.scripted.oracle import Oracle
from vagent.agent.scripted.overview import Overview
from vagent.agent.scripted.picture import asked_moment, picture_target
from vagent.agent.scripted.routing import classify_question
from vagent.agent.scripted.reading import ReadPlan
from vagent.agent.scripted.sequence import SequencePlan
from vagent.agent.scripted.survey import SurveyPlan
from vagent.agent.scripted.timeexpr import times_in
from vagent.agent.scripted.when import WhenPlan
from vagent.agent.scripted.where import WherePlan
from vagent.answers import LETTERS, parse_number, parse_spans


class ScriptedPolicy:
    """Tool-using baseline without a language model (see :mod:`vagent.agent.scripted`).

    Args:
        oracle: the task being solved, for "active annotation" (answer + evidence steer the plan;
            see :mod:`vagent.agent.scripted.oracle`).
        seed: seeds the random choices when ``temperature > 0``. Each turn draws from
            ``(seed, episode, turn, question)``, where ``episode`` counts the conversations this
            policy has started; so repeated samples differ and a seeded run replays exactly.
        temperature: 0 is deterministic; > 0 draws among near-tied candidates and skips a
            verification step with probability ``min(0.5, temperature / 2)``.
        use_tools: False answers from the overview frames at once (no tool calls).
    """

    name = "scripted"
    include_schemas = True

    def __init__(self, oracle: Any | None = None, seed: int | None = None, temperature: float = 0.0, use_tools: bool = True):
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        self.oracle = oracle
        self.seed = seed
        self.temperature = float(temperature)
        self.use_tools = use_tools
        self.name = "scripted" if use_tools else "scripted-no-tools"
        self.episodes = 0
        """Conversations started so far (a first turn has no assistant message yet)."""
        self.portable = self.temperature == 0
        """A copy in another process answers exactly as this one (no sampling state): ``vagent eval
        --concurrency`` runs tasks in processes, each with its own copy (``env.evaluate``)."""

    # -------------------------------------------------------------- Policy protocol
    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        started = time.perf_counter()
        if not any(message.get("role") == "assistant" for message in messages):
            self.episodes += 1
        convo = read_conversation(messages)
        names = {(s.get("function") or s).get("name") for s in tools or []}
        move = self._decide(convo, names)
        if move.answer is not None and re.search(r"\bguess", move.think, re.I):
            move.think = f"{move.think} {GUESS_MARK}"
        text = render_action(move.think, move.calls or None, move.answer)
        return Generation(text=text, completion_tokens=len(text.split()), seconds=time.perf_counter() - started)

    # -------------------------------------------------------------- planning
    def _rng(self, convo: Conversation) -> random.Random | None:
        if self.temperature <= 0:
            return None
        key = f"{self.seed}:{self.episodes}:{len(convo.turns)}:{convo.question}"
        return random.Random(zlib.crc32(key.encode()))

    def _decide(self, convo: Conversation, names: set[str]) -> Move:
        implied = None if convo.options else implied_options(convo.question)
        if implied:  # "lighter or darker?" asked without options: its own alternatives are the options, answered in words
            convo.options = implied
            move = self._decide(convo, names)
            if move.answer is not None and move.answer in LETTERS[:len(implied)]:
                word = implied[LETTERS.index(move.answer)]
                move.think = re.sub(rf"\boption {move.answer}\b", f'"{word}"', move.think)
                move.answer = word
            return move
        kind = classify_question(convo.question, convo.options)
        if not self.use_tools or not names:
            if kind in ("sequence", "length") or kind == "when" and picture_target(convo.question):  # measured on the overview frames
                return Plan(convo).conclude(kind, "Without tools I have only the overview frames.")
            return Overview(convo).move(kind)
        plan = Plan(convo, names, self._rng(convo), self.temperature, self.oracle)
        if convo.final:
            return plan.conclude(kind, "The budget is spent, so I answer with what I have seen.")
        return plan.step(kind)


class Plan(WhenPlan, ReadPlan, CountPlan, SequencePlan, WherePlan, SurveyPlan, Oracle):
    """One turn of the tool-using plan, recomputed from the conversation: ``_step_<kind>`` chooses the
    next tool calls (or concludes), ``_answer_<kind>`` answers from the evidence so far."""

    def step(self, kind: str) -> Move:
        move = getattr(self, f"_step_{kind}")()
        if move.calls:
            move.calls = [call for call in move.calls if call.name in self.names]
            if not move.calls:
                return self.conclude(kind, "The tools I need are not available.")
        return move

    def conclude(self, kind: str, why: str = "") -> Move:
        think, answer = getattr(self, f"_answer_{kind}")()
        if self.c.options and answer not in LETTERS[:len(self.c.options)]:
            think, answer = self.to_option(think, answer)
        return Move(f"{why} {think}".strip(), answer=answer)

    def to_option(self, think: str, answer: str) -> tuple[str, str]:
        """A plan's time, span or text answer compared with the options."""
        parts = part_options(self.c.options) is not None
        times = times_in(answer) if time_options(self.c.options) is not None or parts else []
        if parts and times:  # options that name parts of the video: the part that holds the answer's spans
            spans = parse_spans(answer) or [(min(times), max(times))]
            pick = parts_option(self.c.options, spans, self.c.duration)
            if pick is not None:
                return f"{think} That is {self.c.options[pick]!r} of a {self.c.duration:.1f} s video: option {LETTERS[pick]}.", LETTERS[pick]
            return self.unsure_choice(f"{think} That answer ({answer}) does not single out one part of the video")
        spans = parse_spans(answer) if times else []
        moment = asked_moment(self.c.question, spans)[0] if spans else times[0] if times else None  # a span: the moment asked
        number = parse_number(answer) if moment is None and number_options(self.c.options) is not None else None
        pick = (nearest_time_option(self.c.options, moment) if moment is not None else
                nearest_number_option(self.c.options, number) if number is not None else text_option(self.c.options, answer))
        if pick is None:
            return self.unsure_choice(f"{think} That answer ({answer}) does not single out one option")
        return f"{think} Of the options, {self.c.options[pick]!r} is the nearest: option {LETTERS[pick]}.", LETTERS[pick]
