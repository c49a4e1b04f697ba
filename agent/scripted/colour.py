"""``look_at``: the colour or brightness of the picture at the time the question names, measured on
frames (crop_clip around that time); also the colour-option choice other plans fall back on.
"""

from __future__ import annotations

import re

from PIL import Image

from vagent.agent.palette import COLOR_HUES
from vagent.agent.scripted.choice import yes_no_options
from vagent.agent.scripted.colour_words import asked_colour, option_colour
from vagent.agent.scripted.evidence import Evidence, Move, fmt_number
from vagent.agent.scripted.changes import flat
from vagent.agent.scripted.picture import asks_level
from vagent.agent.scripted.pixels import brightness, colour_name, colour_shares, median_colour, nearest_colour
from vagent.agent.scripted.timeexpr import TimeRef
from vagent.answers import LETTERS

COVERS = 0.25
"""The share of the picture an option colour must cover to answer by its share; below it, the background's
median colour, matched to the nearest option colour, decides (a muted red is no "red" pixel by the masks)."""
PLAIN = 0.8
"""The share of the picture one colour covers in a plain screen of it (an option naming no colour may be
what is shown otherwise)."""


class ColourPlan(Evidence):
    def _colour_options(self) -> bool:
        """Every option names one colour (or bright / dark), each a different one."""
        words = [option_colour(o) for o in self.c.options]
        return bool(words) and None not in words and len(set(words)) == len(words)

    def _step_look_at(self) -> Move:
        ref = self.tref() or TimeRef(None, 0.0, self.c.duration, "the whole video")
        if self.stage == 0:
            if ref.t is not None:
                call, where = self.crop(ref.t - 0.2, ref.t + 0.2, 3), f"t={ref.t:.2f}s"
            else:
                call, where = self.crop(ref.start, ref.end, 4), f"{ref.start:.2f}s-{ref.end:.2f}s"
            return Move(f'The question points at "{ref.words}"; I look at frames at {where} and measure their colours.', [call])
        return self.conclude("look_at")

    def _window_frames(self) -> list[tuple[float, Image.Image]]:
        """Frames crop_clip returned around the time asked (all of them when none is that close)."""
        ref = self.tref() or TimeRef(None, 0.0, self.c.duration, "the whole video")
        a, b = (ref.t - 0.25, ref.t + 0.25) if ref.t is not None else (ref.start - 0.01, ref.end + 0.01)
        frames = [(t, im) for r in self.ok("crop_clip") for t, im in r.images]
        return [(t, im) for t, im in frames if a <= t <= b] or frames

    def _answer_look_at(self) -> tuple[str, str]:
        frames = self._window_frames()
        if not frames:
            why = "I got no frames at that time (crop_clip gave no result)"
            return self.unsure_choice(why) if self.c.options else (f"{why}; I answer unknown.", "unknown")
        if self.c.options and yes_no_options(self.c.options) is not None:
            return self._answer_yes_no(frames, "at the time asked")
        if self.c.options:
            return self._answer_colour_choice(frames, "at the time asked")
        q = self.c.question.lower()
        if asks_level(q):  # a number on the 0-255 scale of 8-bit video, on the frame nearest the moment asked
            ref = self.tref()
            if ref is not None and ref.t is not None:
                frames = [min(frames, key=lambda f: abs(f[0] - ref.t))]
            level = sum(brightness(im) for _, im in frames) / len(frames) * 255
            return f"The frame(s) at {', '.join(f'{t:.2f}s' for t, _ in frames)} have mean level {level:.1f} on a 0-255 scale.", fmt_number(round(level))
        if re.search(r"\bbright|\bdark", q) and not re.search(r"\bcolou?r", q):
            level = sum(brightness(im) for _, im in frames) / len(frames)
            word = "bright" if level >= 0.5 else "dark"
            return f"The frames there have mean brightness {level:.2f} (0 black, 1 white), so the picture is {word}.", word
        shares = self._shares(frames)
        best = max(shares, key=shares.get)
        if best in COLOR_HUES and shares[best] >= COVERS:
            return f"In the frames there, {best} covers {shares[best]:.0%} of the picture, more than any other colour.", best
        names = [colour_name(im) for _, im in frames]  # a muted background: the colour name nearest its median pixel
        name = max(set(names), key=names.count)
        hsv = median_colour(frames[len(frames) // 2][1])
        return (f"No vivid colour covers much of the frames there; the background measures hue {hsv[0]:.0f}°, saturation "
                f"{hsv[1]:.2f}, value {hsv[2]:.2f}, nearest to {name}.", name)

    def _answer_yes_no(self, frames: list[tuple[float, Image.Image]], where: str) -> tuple[str, str]:
        """A yes/no question about the one colour or brightness the question names, measured on the frames."""
        yes, no = yes_no_options(self.c.options) or (0, 1)
        asked = asked_colour(self.c.question)
        if asked is None:
            return self.unsure_choice("The question does not name exactly one colour or brightness to check")
        if asked in ("bright", "dark"):
            level = sum(brightness(im) for _, im in frames) / len(frames)
            holds = (level >= 0.5) == (asked == "bright")
            seen = f"mean brightness {level:.2f} (0 black, 1 white)"
        else:
            names = [colour_name(im) for _, im in frames]
            holds = names.count(asked) > len(names) / 2
            seen = f"background colour {', '.join(dict.fromkeys(names))}"
        pick = yes if holds else no
        return (f"The frames {where} have {seen}, so {asked!r} {'holds' if holds else 'does not hold'}: "
                f"option {LETTERS[pick]}.", LETTERS[pick])

    def _nearest_colour(self, frames: list[tuple[float, Image.Image]], options: list[str], where: str) -> tuple[str, str]:
        """No option colour covers much of the frames: the option nearest the measured background colour."""
        hsv = median_colour(frames[len(frames) // 2][1])
        seen = f"hue {hsv[0]:.0f}°, saturation {hsv[1]:.2f}, value {hsv[2]:.2f}"
        pick = nearest_colour([hsv], options)
        if pick is None or (all(o in COLOR_HUES for o in options) and hsv[1] < 0.15):  # a gray has no hue
            return self.unsure_choice(f"The background {where} measures {seen}, no clearer one option colour than another")
        return (f"No option colour covers much of the frames {where}; the background measures {seen}, nearest to "
                f"{options[pick]}: option {LETTERS[pick]}.", LETTERS[pick])

    def _plain_screen_choice(self, frames: list[tuple[float, Image.Image]], where: str) -> tuple[str, str]:
        """Options that name colours but one ("Colour bars"): a colour option only when the frames are a plain
        screen of it (:data:`PLAIN` of the picture), since the other option may be what is shown."""
        words = [option_colour(o) for o in self.c.options]
        named = [w for w in words if w is not None]
        if len(named) < len(words) - 1 or len(set(named)) < len(named) or len(named) < 2:
            return self.unsure_choice(f"The options do not each name one colour, so the colours I measure {where} cannot pick one")
        shares = self._shares(frames)
        share, pick = max((shares.get(w, 0.0), i) for i, w in enumerate(words) if w is not None)
        if share < PLAIN and all(flat(im) for _, im in frames):  # a plain screen in a shade the masks do not count (a fade's last frames)
            hsv = median_colour(frames[-1][1])
            nearest = nearest_colour([hsv], [w or "" for w in words])
            if nearest is not None:
                return (f"The frames {where} are one flat shade (hue {hsv[0]:.0f}°, saturation {hsv[1]:.2f}, value {hsv[2]:.2f} "
                        f"on the last), nearest {words[nearest]}: option {LETTERS[nearest]}.", LETTERS[nearest])
        if share < PLAIN:
            return self.unsure_choice(f"One option names no colour, and no option colour covers the frames {where} "
                                      f"(at most {share:.0%}), so they are no plain screen an option names")
        return (f"In the frames {where}, {words[pick]} covers {share:.0%} of the picture, a plain {words[pick]} screen: "
                f"option {LETTERS[pick]}.", LETTERS[pick])

    @staticmethod
    def _shares(frames: list[tuple[float, Image.Image]]) -> dict[str, float]:
        total: dict[str, float] = {}
        for _, im in frames:
            for k, v in colour_shares(im).items():
                total[k] = total.get(k, 0.0) + v / len(frames)
        return total

    def _answer_colour_choice(self, frames: list[tuple[float, Image.Image]], where: str) -> tuple[str, str]:
        if not frames:
            return self.unsure_choice(f"I saw no frame {where}")
        if not self._colour_options():
            return self._plain_screen_choice(frames, where)
        options = [option_colour(o) or "" for o in self.c.options]
        if all(o in ("bright", "dark") for o in options):
            level = sum(brightness(im) for _, im in frames) / len(frames)
            word = "bright" if level >= 0.5 else "dark"
            if word not in options:
                return self.unsure_choice(f"The frames {where} have mean brightness {level:.2f} ({word}), which no option names")
            pick = options.index(word)
            return f"The frames {where} have mean brightness {level:.2f}, so the picture is {word}: option {LETTERS[pick]}.", LETTERS[pick]
        shares = self._shares(frames)
        scored = [(shares.get(o, 0.0), i) for i, o in enumerate(options)]
        share, pick = max(scored)
        grayish = median_colour(frames[len(frames) // 2][1])[1] < 0.15  # a gray background has no hue to decide by
        if share < COVERS and not (grayish and share > 0.02):  # no option colour covers much (a muted background): its colour decides
            return self._nearest_colour(frames, options, where)
        return (f"In the frames {where}, {options[pick]} covers {share:.0%} of the picture, the most of the option "
                f"colours: option {LETTERS[pick]}.", LETTERS[pick])
