"""A question about people, objects or actions that no measurement answers, and the survey's last
resort (:mod:`~vagent.agent.scripted.survey`): search_clips + detect_scenes -> crop_clip and read_text
at the best hit (+ search_clips per option) -> the option named in the text read on screen, else the
option visual search matches best; with neither, a guess said to be one.
"""

from __future__ import annotations

import re

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.evidence import Evidence, Move, first_number, fmt_spans
from vagent.agent.scripted.picture import SECONDS_IN
from vagent.agent.scripted.question import key_phrase
from vagent.answers import LETTERS


class GeneralPlan(Evidence):
    def _step_search(self) -> Move:
        """Search for the question's moments, list the scenes, look and read at the best hit (and search
        each option): a question about people, objects or actions, which no measurement answers."""
        phrase = key_phrase(self.c.question)
        if self.stage == 0:
            calls = [ToolCall("search_clips", {"query": phrase, "top_k": 5}), ToolCall("detect_scenes", {})]
            return Move(f'I search for the moments matching "{phrase}" and list the scenes to know the structure.', calls)
        if self.stage == 1:
            spans = self.evidence()
            if spans:
                a, b = spans[0]
                why = f"The relevant moment should be {a:.2f}s-{b:.2f}s"
            else:
                hits = self.hits(phrase)
                a, b = (hits[0][0], hits[0][1]) if hits else (0.0, self.c.duration)
                why = (f"The best match is {a:.2f}s-{b:.2f}s" if hits else
                       "Search gave no match" + ("" if self.ok("search_clips") or not self.tried("search_clips") else
                                                 " (visual search is not available)") + ", so I take the whole video")
            t = (a + b) / 2
            calls = [self.crop(a - 1, b + 1, 6), ToolCall("read_text", {"time": self.clamp(t)})]
            calls += [ToolCall("search_clips", {"query": o[:200], "top_k": 1}) for o in self.c.options[:6]]
            return Move(f"{why}; I look at frames there and read any text" +
                        ("; I also search each option to compare how well it matches." if self.c.options else "."), calls)
        return self.conclude("general")

    def _answer_by_search(self) -> tuple[str, str]:
        ocr_text = " ".join(text for text, _ in self.ocr()).lower()
        if self.c.options:
            for i, option in enumerate(self.c.options):
                if option.lower() in ocr_text:
                    return f'The text in the frame mentions "{option}".', LETTERS[i]
            if not self.ok("search_clips"):
                why = ("visual search gave no result" if self.tried("search_clips") else "I did not search")
                return self.unsure_choice(f"No option is written in the text I read (if any), and {why}")
            scores = [(self.hits(o[:200]) or [(0, 0, -1.0, 0)])[0][2] for o in self.c.options]
            best = max(range(len(scores)), key=lambda i: scores[i])
            if self.rng is not None:
                near = [i for i, s in enumerate(scores) if s >= scores[best] - 0.01 * self.temperature]
                best = self.rng.choice(near)
            return f"No option is written on screen; option {LETTERS[best]} matches the video best in search.", LETTERS[best]
        q = self.c.question.lower()
        hits = self.hits(key_phrase(self.c.question))
        if re.search(r"\bwhen\b|what time", q) or SECONDS_IN.search(q):
            if hits:
                return "The best search match is where I place it.", fmt_spans([hits[0][:2]])
            return "Search gave me no match, so I cannot place it; I guess the whole video.", fmt_spans([(0.0, self.c.duration)])
        if re.search(r"\bhow many\b", q):
            number = first_number(ocr_text)
            return ("The text read on screen gives the number." if number else "No tool gave me a count; I guess 1."), (number or "1")
        words = [text for text, _ in sorted(self.ocr(), key=lambda x: -x[1])]
        return ("The text read in the frame answers it." if words else "No tool result answers it; I answer unknown."), (words[0] if words else "unknown")
