"""``speech``: what is said in the video (a code word, what the speaker says, when a phrase is said).

listen over the whole video (windows of at most :data:`LISTEN_WINDOW` seconds) -> the word after
"code word is" / the lines heard / the span of the words the question quotes. When ``listen``
reports no usable speech (no audio stream, silence, damaged audio), the think text says so.
"""

from __future__ import annotations

import re

from vagent.agent.protocol import ToolCall
from vagent.agent.scripted.evidence import Evidence, Move, fmt_spans

LISTEN_WINDOW = 120.0
"""Longest window one listen call hears (the registry's ``ToolLimits.max_listen_seconds``)."""
MAX_LISTEN_CALLS = 30
"""Windows listened to at most (an hour of video)."""

SPOKEN = re.compile(r"\b(says?|said|saying|speaker|spoken|speaks?|speech|hears?|heard|mentions?|mentioned|narrator|"
                    r"voice|announces?|announced|pronounces?|tells?|told)\b", re.I)
_CODE = re.compile(r"\b(?:code ?word|password|pass ?word|key ?word|secret word)\b\W+(?:is|was|:)?\W*([\w'-]+)", re.I)
_QUOTED = re.compile(r"[\"“']([^\"”']{2,80})[\"”']")


_WRITTEN = (r"(?:notice|sign|caption|text|screen|label|line|title|banner|board|message|box|corner|writing|counter|"
            r"display|overlay|card|plate|logo|clock|pts|watermark|copyright)s?")
_WRITTEN_SAYS = re.compile(rf"\b{_WRITTEN}\b(?:\s+[\w']+){{0,3}}\s+says?\b|\bsays?\b.*\b(?:on (?:the )?screen|written|printed)\b", re.I)
_WRITTEN_THING = re.compile(rf"\b{_WRITTEN}\b", re.I)
_PERSON = re.compile(r"\b(?:man|woman|men|women|he|she|person|people|someone|somebody|guy|girl|boy|kid|child|narrator|speaker|"
                     r"host|presenter|character|they|voice|actor|actress)\b", re.I)


def asks_speech(question: str) -> bool:
    """Whether the question asks about what is said (not what is shown): "what does the copyright notice
    say" asks what is written.

    >>> asks_speech("What does the man say about the weather?"), asks_speech("what year does the copyright notice at the bottom say?")
    (True, False)
    >>> asks_speech("theres a copyright line at the bottom, what year does it say?"), asks_speech("what does the guy in the car say at the end?")
    (False, True)
    """
    spoken = {w.lower() for w in SPOKEN.findall(question)}
    written = _WRITTEN_SAYS.search(question) or _WRITTEN_THING.search(question) and not _PERSON.search(question)
    return bool(spoken) and not (spoken <= {"say", "says"} and written)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


class SpeechPlan(Evidence):
    def heard(self) -> list[tuple[float, float, str, float]]:
        """Every line ``listen`` returned: ``(start, end, text, confidence)``, in time order, each once."""
        seen = {(float(a), float(b), str(t), float(c)) for r in self.c.results if r.name == "listen" and not r.error
                for a, b, t, c in r.data.get("lines") or []}
        return sorted(seen)

    def heard_words(self) -> list[tuple[float, float, str, float]]:
        seen = {(float(a), float(b), str(w), float(p)) for r in self.c.results if r.name == "listen" and not r.error
                for a, b, w, p in r.data.get("words") or []}
        return sorted(seen)

    def _step_speech(self) -> Move:
        if not self.tried("listen"):
            edges = [min(i * LISTEN_WINDOW, self.c.duration) for i in range(MAX_LISTEN_CALLS + 1)]
            calls = [ToolCall("listen", {"start": round(a, 2), "end": round(b, 2)}) for a, b in zip(edges, edges[1:]) if b > a]
            return Move("The question is about what is said, which frames cannot show; I listen to the whole video.", calls)
        return self.conclude("speech")

    def _no_speech(self) -> str:
        notes = [r.data.get("note") or "" for r in self.c.results if r.name == "listen"]
        if not self.tried("listen"):
            return "I could not listen to the video (the listen tool was not available)"
        if any(r.error for r in self.c.results if r.name == "listen") and not self.heard():
            return "listen failed"
        return "listen heard no usable speech" + (f" ({notes[0]})" if notes and notes[0] else "")

    def _answer_speech(self) -> tuple[str, str]:
        lines = self.heard()
        if not lines:
            why = self._no_speech()
            return self.unsure_choice(why) if self.c.options else (f"{why}, so I cannot say; I answer unknown.", "unknown")
        q = self.c.question.lower()
        asks_when = bool(re.search(r"^\s*when\b|\bat what time\b|\bwhich second\b", q))
        if re.search(r"\b(code ?word|password|pass ?word|key ?word|secret word)\b", q):
            for start, end, text, confidence in lines:
                if match := _CODE.search(text):
                    word = match.group(1).strip("'-").lower()
                    if asks_when:
                        return f'The speaker gives the code word ("{text}") at {start:.2f}s-{end:.2f}s.', fmt_spans([(start, end)])
                    return (f'At {start:.2f}s the speaker says "{text}" (confidence {confidence:.2f}); '
                            f'the code word is "{word}".'), word
        if asks_when and (quoted := _QUOTED.search(self.c.question)):
            wanted = _words(quoted.group(1))
            for start, end, word, _ in self.heard_words():
                if _words(word)[:1] == wanted[:1]:
                    return f'"{word.strip()}" is said at {start:.2f}s-{end:.2f}s.', fmt_spans([(start, end)])
        said = " ".join(text for _, _, text, _ in lines)
        return f'The speaker says: "{said}".', said
