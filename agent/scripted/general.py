"""The last resort of the survey (:mod:`~vagent.agent.scripted.survey`), for a question about people,
objects or actions that no measurement answers: the option named in the text read on screen, else
the option visual search matches best; with neither, a guess said to be one.
"""

from __future__ import annotations

import re

from vagent.agent.scripted.evidence import Evidence, first_number, fmt_spans
from vagent.agent.scripted.question import key_phrase
from vagent.answers import LETTERS


class GeneralPlan(Evidence):
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
        if re.search(r"\bwhen\b|what time", q):
            if hits:
                return "The best search match is where I place it.", fmt_spans([hits[0][:2]])
            return "Search gave me no match, so I cannot place it; I answer the whole video.", fmt_spans([(0.0, self.c.duration)])
        if re.search(r"\bhow many\b", q):
            number = first_number(ocr_text)
            return ("The text read on screen gives the number." if number else "No tool gave me a count; I guess 1."), (number or "1")
        words = [text for text, _ in sorted(self.ocr(), key=lambda x: -x[1])]
        return ("The text read in the frame answers it." if words else "No tool result answers it; I answer unknown."), (words[0] if words else "unknown")
