"""The survey's answers about a line of text placed against another line, a shot or a request (see
:mod:`~vagent.agent.scripted.survey`): the line the question names (quoted, or written out as read), the
option written in the lines read, the line under (over) a named one, which option's text came up after
(before) a named line, what happened around a named text, the text new in the scene (or part of it) asked,
and what the screen asks you to enter. :class:`~vagent.agent.scripted.written.WrittenAnswers` builds on it.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.claims import event_options, option_claim, quoted_item
from vagent.agent.scripted.events import scene_part, scene_ref
from vagent.agent.scripted.evidence import clean_code
from vagent.agent.scripted.labels import REQUESTS, prompted_verb, text_beside
from vagent.agent.scripted.question import TYPED, asks_for_text, named_text
from vagent.agent.scripted.spelling import respell
from vagent.agent.scripted.timeline import Timeline, names
from vagent.answers import LETTERS

_AROUND_LINE = re.compile(r"\b(after|before)\s+(?:the\s+)?(?:text|words?|line|message|caption)\s+\w", re.I)


def written_in(lines: list[str], option: str) -> int:
    """How many of ``lines`` write ``option``; an option giving several lines ("Initiate Search Program / Enter
    Password") counts only when each of its parts is read.

    >>> written_in(["Send Spike", "Enter Possword", "Initiate Search Program"], "Initiate Search Program / Enter Password")
    2
    >>> written_in(["Access Denied"], "Access Denied / Try Again"), written_in(["> SEND SPIKE"], "Send Spike.")
    (0, 1)
    >>> written_in(["ENTER YOUR PIN"], "a PIN"), written_in(["ENTER YOUR PIN"], "a password")
    (1, 0)
    """
    parts = [re.sub(r"^(?:an?|the|your|some)\s+", "", p.strip(" ."), flags=re.I) for p in re.split(r"\s+/\s+", option) if p.strip(" .")]
    hits = [sum(names(line, part) for line in lines) for part in parts]
    return sum(hits) if all(hits) else 0


class LineAnswers(Timeline):
    """Answers about lines placed against another line, a shot or a request; each returns ``(think, answer)``
    or None when its shape does not fit."""

    def _written_option(self, lines: list[str]) -> int | None:
        """The one option written in the most of ``lines`` (None when none is, or two tie)."""
        score = [written_in(lines, o) for o in self.c.options]
        best = max(range(len(score)), key=score.__getitem__)
        return best if score[best] and score.count(score[best]) == 1 else None

    def _lines_answer(self, said: str, lines: list[str], key=None) -> tuple[str, str] | None:
        """The answer from ``lines`` read where the question points: with options, the one option written in
        them (None when none is clearly); else the line read most often (or first by ``key``), misreads put right."""
        if self.c.options:
            best = self._written_option(lines)
            return (f"{said} Option {LETTERS[best]} is written there.", LETTERS[best]) if best is not None else None
        return said, respell(max(dict.fromkeys(lines), key=key or lines.count))

    def _named_line(self) -> str | None:
        """The text the question names: quoted or in capitals, else the longest line read that the question
        writes out ("the Enter Password text - what colour is it?")."""
        if named := named_text(self.c.question):
            return named
        written = [line for _, lines in self.reads() for line in lines if len(clean_code(line)) >= 5 and names(self.c.question, line)]
        return max(written, key=len, default=None)

    def around_looks(self) -> list[ToolCall]:
        """Reads across the rest of the scene after (before) the line the question writes out, where the text
        that came up next may blink."""
        if not (m := _AROUND_LINE.search(self.c.question)) or not self.c.options or (text := self._named_line()) is None \
                or not (seen := self.text_times(text)[0]):
            return []
        a, b = next(((a, b) for a, b in self.scenes() if a - 1e-6 <= seen[0] < b), (0.0, self.c.duration))
        a, b = (seen[0], b) if m.group(1).lower() == "after" else (a, seen[0])
        return self.read_calls([a + (b - a) * (i + 0.5) / 6 for i in range(6)])

    def _by_text_after_text(self) -> tuple[str, str] | None:
        """Which option's text came up after (before) a line the question writes out ("what did the screen show
        after the text initiate search program was fully typed?"): read on that side of its first reading, not on the other."""
        q = self.c.question
        if not (m := _AROUND_LINE.search(q)) or not self.c.options or (text := self._named_line()) is None \
                or not (seen := self.text_times(text)[0]):
            return None
        after = m.group(1).lower() == "after"
        reads = self.reads()
        def read_on(option: str, later: bool) -> bool:
            return any((t > seen[0] + 1e-6) == later and any(names(line, option.strip(" .")) for line in lines) for t, lines in reads)
        fits = [i for i, o in enumerate(self.c.options) if not names(o, text) and read_on(o, after) and not read_on(o, not after)]
        said = f'"{text}" is first read at {seen[0]:.2f}s'
        if len(fits) == 1:
            return f"{said}; only option {LETTERS[fits[0]]} is read {'after' if after else 'before'} it and not {'before' if after else 'after'}.", LETTERS[fits[0]]
        return None

    def _by_event_around_text(self) -> tuple[str, str] | None:
        """What happened before (after) a named text appeared, among options that quote a text (was it read on
        that side?) or claim a black or white screen (was one seen there?); others are not measured."""
        q = self.c.question
        text = named_text(q)
        if not self.c.options or not event_options(q, self.c.options) or text is None or not (seen := self.text_times(text)[0]):
            return None
        after = not re.search(r"\b(?:before|prior to)\b", q, re.I)
        at = seen[-1] if after else seen[0]
        side = (at, self.c.duration) if after else (0.0, at)
        reads = [lines for t, lines in self.reads() if side[0] + 1e-6 < t < side[1] - 1e-6]
        held = []
        for i, option in enumerate(self.c.options):
            quoted, claim = quoted_item(option), option_claim(option)
            if quoted != option.strip(" .\"'") and not names(quoted, text):
                held.append((i, any(names(line, quoted) for lines in reads for line in lines)))
            elif claim is not None and claim.kind == "turns" and claim.colour in ("black", "white"):
                held.append((i, any(side[0] <= a < side[1] for a, _ in self.runs(claim.colour))))
        true = [i for i, holds in held if holds]
        said = f'"{text}" is first read at {seen[0]:.2f}s; ' + "; ".join(
            f"option {LETTERS[i]} {'holds' if h else 'does not hold'} {'after' if after else 'before'} it" for i, h in held)
        if len(true) == 1:
            return f"{said}. Option {LETTERS[true[0]]} ({self.c.options[true[0]]!r}).", LETTERS[true[0]]
        return self.unsure_choice(said)  # type: ignore[attr-defined]

    def _prompt_lines(self) -> list[str]:
        """Lines read that begin with the action the question says the screen asks for ("Enter Password")."""
        verb = prompted_verb(self.c.question)
        if verb is None:
            return []
        verbs = REQUESTS if verb == "request" else (verb,)
        return [line for _, lines in self.reads() for line in lines
                if (words := line.split()) and len(words) >= 2 and max(fuzz.ratio(words[0].lower(), v) for v in verbs) >= 80]

    def prompt_looks(self) -> list[ToolCall]:
        """Reads across the video when the screen's request has not been read yet; a second pass between the
        first one's reads (a request may blink)."""
        if prompted_verb(self.c.question) is None or self._prompt_lines():
            return []
        return self.read_calls([self.c.duration * (i + 0.75) / 12 for i in range(12)]) \
            or self.read_calls([self.c.duration * (i + 0.25) / 12 for i in range(12)])

    def _by_prompt(self) -> tuple[str, str] | None:
        """What the screen asks for ("what does the screen ask you to enter?"): the line that begins with that action."""
        if not (lines := [respell(x) for x in self._prompt_lines()]):
            return None
        said = "The screen's request reads " + ", ".join(f'"{x}"' for x in dict.fromkeys(lines)) + "."
        return self._lines_answer(said, lines, key=lambda x: (lines.count(x), len(x)))

    def scene_part_looks(self) -> list[ToolCall]:
        """Reads across the part of a scene the question names ("at the end of the second shot")."""
        which, part, scenes = scene_ref(self.c.question), scene_part(self.c.question), self.scenes()
        if which is None or part is None or not asks_for_text(self.c.question) or not -len(scenes) <= which < len(scenes):
            return []
        a, b = scenes[which]
        return self.read_calls([a + (b - a) * (part[0] + (part[1] - part[0]) * (i + 0.5) / 5) for i in range(5)])

    def _by_scene_text(self) -> tuple[str, str] | None:
        """The text that comes up in the scene asked ("after the first cut, what line gets typed?", "what is typed
        in the middle of the video?": the scene there): lines
        read there and in no earlier scene; of those, the one most other reads there begin (typed text
        grows), then the one read most often, then the longest."""
        which, scenes, ref = scene_ref(self.c.question), self.scenes(), self.tref()
        if which is None and TYPED.search(self.c.question) and ref is not None:  # "typed in the middle of the video": that scene
            at = ref.t if ref.t is not None else (ref.start + ref.end) / 2
            which = next((i for i, (a, b) in enumerate(scenes) if a - 1e-6 <= at < b), None)
        if which is None and TYPED.search(self.c.question) and ref is None and scenes:  # "what is typed?": where a line grows
            which = max(range(len(scenes)), key=lambda i: self._growth(*scenes[i]))
        if which is None or not asks_for_text(self.c.question) or len(scenes) <= which or len(scenes) < -which:
            return None
        start, end = scenes[which]
        earlier = [line for t, lines in self.reads() if t < start - 1e-6 for line in lines]
        if (part := scene_part(self.c.question)) is not None:  # "at the end of the second shot": that part of it
            start, end = start + part[0] * (end - start), start + part[1] * (end - start)
        new = [line for t, lines in self.reads() if start - 1e-6 <= t < end - 1e-6 for line in lines
               if not any(fuzz.ratio(clean_code(line), clean_code(old)) >= 80 for old in earlier)]  # the same line, small misreads allowed
        if not new:
            return None
        def weight(line: str) -> tuple[int, int, int]:
            grown = sum(clean_code(other) != clean_code(line) and clean_code(line).startswith(clean_code(other)) for other in new)
            return grown, new.count(line), len(line)
        said = f"In the scene {start:.2f}s-{end:.2f}s I read, new there: " + ", ".join(f'"{x}"' for x in dict.fromkeys(new)) + "."
        return self._lines_answer(said, new, key=weight)

    def _growth(self, start: float, end: float) -> int:
        """How many lines read in ``[start, end)`` another line read there grows out of (text being typed)."""
        lines = {clean_code(line) for t, lines in self.reads() if start - 1e-6 <= t < end - 1e-6 for line in lines}
        return sum(any(a != b and b.startswith(a) for b in lines) for a in lines if len(a) >= 2)

    def _lines_beside(self) -> list[str]:
        """In each read showing the text the question names, the nearest line under (over) it that overlaps it
        sideways (see :func:`~vagent.agent.scripted.labels.text_beside`)."""
        below, anchor = text_beside(self.c.question) or (True, "")
        found = []
        for _, placed in self.placed_reads():
            boxes = [box for text, box in placed if anchor and names(text, anchor)]
            if not boxes:
                continue
            a = boxes[0]
            height, middle = a[3] - a[1], (a[1] + a[3]) / 2  # OCR boxes are padded: lines are placed by their middles
            near = [((box[1] + box[3]) / 2 - middle if below else middle - (box[1] + box[3]) / 2, text) for text, box in placed
                    if not names(text, anchor) and box[0] < a[2] and box[2] > a[0]]
            gap, text = min(((g, t) for g, t in near if g > height / 2), default=(1.0, ""))
            if text and gap <= 2.5 * height:  # the next line or so, not a label further down the screen
                found.append(text)
        return found

    def _by_text_beside(self) -> tuple[str, str] | None:
        """The line shown under (over) a named text ("what message appears below 'Initiate Search Program'?")."""
        if (beside := text_beside(self.c.question)) is None or not (lines := self._lines_beside()):
            return None
        said = f"Under \"{beside[1]}\" I read " if beside[0] else f"Over \"{beside[1]}\" I read "
        said += ", ".join(f'"{x}"' for x in dict.fromkeys(lines)) + "."
        return self._lines_answer(said, lines)
