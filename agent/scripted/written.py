"""The survey's answers from what is written on screen (see :mod:`~vagent.agent.scripted.survey`; lines
placed against another line, a shot or a request are in :mod:`~vagent.agent.scripted.lines`): the
texts a question names or its options order, the order they appear in, a named region's text, whether
there is any text, and a value printed where another printed value reaches a number or where the
picture first turns a colour (counters and clocks run at a steady rate, so a straight line through the
values read places the moment).
"""

from __future__ import annotations

import re

import numpy as np

from vagent.agent.scripted.choice import number_options, yes_no_options
from vagent.agent.scripted.claims import asks_if_any, item_orders
from vagent.agent.scripted.evidence import clean_code, fmt_number
from vagent.agent.scripted.labels import asked_text_colour, pick_value, value_condition
from vagent.agent.scripted.lines import LineAnswers
from vagent.agent.scripted.picture import about_picture, asks_for_colour
from vagent.agent.scripted.pixels import colour_name, nearest_colour, rgb_hsv, rgb_name
from vagent.agent.scripted.question import asks_for_text, named_text, region
from vagent.agent.scripted.timeline import names
from vagent.answers import LETTERS

_TEXT_WORD = re.compile(r"\b(?:text|words?|letters|writing|written|font|caption|title|label|message)\b", re.I)
_VALUE = re.compile(r"\b(?:number|value|reading|digits?|printed|written|displayed|shown|says?)\b", re.I)


class WrittenAnswers(LineAnswers):
    """Mixed into :class:`~vagent.agent.scripted.survey.SurveyPlan`, which gives ``_colour``, ``_number_answer``."""

    def _texts(self) -> list[str]:
        """Texts to find on screen: the items the options order, else the text the question names."""
        orders = item_orders(self.c.options, self.c.question)
        if orders:
            return next(list(o) for o in orders if o)
        named = named_text(self.c.question)
        return [named] if named and len(named) >= 3 else []

    def _asks_value(self) -> bool:
        return bool(_VALUE.search(self.c.question)) and asks_for_text(self.c.question) and (
            not self.c.options or number_options(self.c.options) is not None)

    def _counter_time(self) -> tuple[float, str] | None:
        """When the printed value the question names reaches its number, from the values read so far (a
        straight line through them: counters and clocks run at a steady rate), and how that was found."""
        condition = value_condition(self.c.question)
        if condition is None:
            return None
        _, label, wanted = condition
        pairs = []
        for t, lines in self.reads():
            picked = pick_value(label, lines)
            number = re.search(r"-?\d+(?:\.\d+)?", picked[1]) if picked else None
            if number:
                pairs.append((t, float(number.group(0))))
        exact = [t for t, v in pairs if v == wanted]
        if exact:
            return exact[0], f'{label} reads {fmt_number(wanted)} at {exact[0]:.2f}s'
        if len({t for t, _ in pairs}) < 2:
            return None
        slope, start = np.polyfit([t for t, _ in pairs], [v for _, v in pairs], 1)
        if abs(slope) < 1e-9:
            return None
        t = self.clamp((wanted - start) / slope)
        return t, f"{label} reads {', '.join(f'{fmt_number(v)} at {u:.2f}s' for u, v in pairs[:4])}: {fmt_number(wanted)} near {t:.2f}s"

    def _by_item_order(self) -> tuple[str, str] | None:
        orders = item_orders(self.c.options, self.c.question)
        if not orders:
            return None
        items = next(o for o in orders if o)
        first = {item: self.text_times(item)[0] for item in items}
        seen = {item: times[0] for item, times in first.items() if times}
        said = ", ".join(f'"{item}" first read at {t:.2f}s' for item, t in sorted(seen.items(), key=lambda kv: kv[1]))
        if len(seen) == len(items) and len(set(seen.values())) == 1 and None in orders:  # "they appear at the same time"
            return f"On screen: {said}: together, option {LETTERS[orders.index(None)]}.", LETTERS[orders.index(None)]
        fits = [i for i, order in enumerate(orders) if order and [x for x in order if x in seen] == sorted(seen, key=seen.get)]
        if len(seen) >= len(items) - 1 and len(fits) == 1:
            missing = [x for x in items if x not in seen]
            note = f" ({missing[0]!r} I never read; only one option fits the rest)" if missing else ""
            return f"On screen: {said}{note}. That is the order of option {LETTERS[fits[0]]}.", LETTERS[fits[0]]
        return self.unsure_choice(f"On screen: {said or 'none of the items read'}; that does not single out one order")

    def _by_region_text(self) -> tuple[str, str] | None:
        box = region(self.c.question)
        if box is None or not asks_for_text(self.c.question) and not re.search(r"\bwritten|\bsays?\b|\bshown\b", self.c.question, re.I):
            return None
        lines = [line for _, found in self.reads(box) for line in found]
        if not lines:
            return None
        counts: dict[str, int] = {}
        for line in lines:
            counts[line] = counts.get(line, 0) + 1
        if self.c.options:
            best = self._written_option(lines)
            if best is not None:
                return f'In that region I read "{lines[0]}" ({len(lines)} line(s) in all); option {LETTERS[best]} is written there.', LETTERS[best]
            return None
        common = max(counts, key=counts.get)
        return f'In that region the line read most often is "{common}".', common

    def _by_text_colour(self) -> tuple[str, str] | None:
        """The text written in the colour asked ("what are the yellow texts?"), from the colour of each line's letters."""
        colour = asked_text_colour(self.c.question)
        lines = [text for _, text, rgb in self.coloured_lines() if rgb_name(rgb) == colour] if colour else []
        if not lines:
            return None
        said = f"The lines read in {colour} letters: " + ", ".join(f'"{x}"' for x in dict.fromkeys(lines)) + "."
        return self._lines_answer(said, lines)

    def _asks_colour_of_text(self) -> bool:
        """Whether the question asks what colour a text is written in (not the background's colour)."""
        q = self.c.question
        return asks_for_colour(q) and (bool(_TEXT_WORD.search(q)) or not about_picture(q)) and value_condition(q) is None

    def _by_colour_of_text(self) -> tuple[str, str] | None:
        """The colour a named text is written in ("what colour is the 'Enter Password' text?"), from the
        colour of its letters (``read_text``'s ``colours``), nearest among the options' colours."""
        colours = self.colour_choices()
        if not self._asks_colour_of_text() or None in colours or (text := self._named_line()) is None:
            return None
        rgbs = [rgb for _, line, rgb in self.coloured_lines() if names(line, text)]
        if not rgbs:
            return None
        mean = [round(float(v)) for v in np.mean(rgbs, axis=0)]
        said = f'The letters of "{text}" ({len(rgbs)} read(s)) have mean colour RGB {tuple(mean)}'
        return self.colour_answer(said, nearest_colour([rgb_hsv(rgb) for rgb in rgbs], colours))

    def _by_any_text(self) -> tuple[str, str] | None:
        """Yes or no: is there any text on screen (any line of three or more letters or digits read)?"""
        if not (asks_if_any(self.c.question) and asks_for_text(self.c.question)) or not self.ok("read_text"):
            return None
        reads = self.reads()
        found = [(t, line) for t, lines in reads for line in lines if len(clean_code(line)) >= 3]
        said = (f'I read "{found[0][1]}" at {found[0][0]:.2f}s' if found else
                f"read_text found no line of text in {len(reads)} reads across the video")
        yes = bool(found)
        if (pair := yes_no_options(self.c.options)) is not None:
            pick = pair[0] if yes else pair[1]
            return f"{said}, so option {LETTERS[pick]}.", LETTERS[pick]
        return (f"{said}, so yes." if yes else f"{said}, so no."), ("yes" if yes else "no")

    def _by_value_at_value(self) -> tuple[str, str] | None:
        """The value asked where another printed value reaches the number the question gives."""
        found = self._counter_time()
        if found is None:
            return None
        t, how = found
        lines = [found_lines for u, found_lines in self.reads() if abs(u - t) < 0.011]
        picked = pick_value(value_condition(self.c.question)[0], lines[0]) if lines else None
        if picked is None:
            return None
        return self.shaped(picked[1], f'{how[0].upper()}{how[1:]}; there "{picked[0]}" is read, so')

    def _by_colour_at_value(self) -> tuple[str, str] | None:
        """The picture's colour where a printed value reaches the number the question gives ("what colour is
        the background when the text reads 'Frame = 15'?"); ``_answer_colour_choice`` is the colour plan's."""
        if not asks_for_colour(self.c.question) or (found := self._counter_time()) is None:
            return None
        t, how = found
        near = sorted(self.frames(), key=lambda frame: abs(frame[0] - t))[:1]
        if not near or abs(near[0][0] - t) > 0.2:
            return None
        where = f"at {near[0][0]:.2f}s ({how})"
        if self.c.options:
            return self._answer_colour_choice(near, where)  # type: ignore[attr-defined]
        name = colour_name(near[0][1])
        return f"The picture {where} is {name}.", name

    def _by_value_at_colour(self) -> tuple[str, str] | None:
        colour = self._colour()
        if not self._asks_value() or colour is None or not (runs := self.runs(colour)):
            return None
        at = [lines for t, lines in self.reads() if abs(t - round(runs[0][0], 2)) < 0.011]
        asked = re.split(r"\b(?:when|once|as soon as|on the (?:very )?first)\b", self.c.question, maxsplit=1)[0]
        picked = pick_value(asked, at[0]) if at else None
        if picked is None:
            return None
        line, value = picked
        number = re.search(r"-?\d+(?:\.\d+)?", value)
        think = f'The picture is first {colour} at {runs[0][0]:.2f}s, where the screen reads "{line}".'
        if self.c.options and number:
            return self._number_answer(think, float(number.group(0)))
        return think, number.group(0) if number else value
