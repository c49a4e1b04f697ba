"""Which plan answers a question: the survey's question shapes (:func:`survey_shape`), then the rules and the
intent by meaning (:func:`classify_question`), over the readers of :mod:`~vagent.agent.scripted.question`
and :mod:`~vagent.agent.scripted.picture`. Pure functions on the question text (doctested).
"""

from __future__ import annotations

import re

from vagent.agent.scripted.areas import area_options, asks_brightest
from vagent.agent.scripted.changes import change_options, shots_claimed
from vagent.agent.scripted.choice import number_options, yes_no_options
from vagent.agent.scripted.colour_words import bare_colour, sequence_options
from vagent.agent.scripted.claims import (ENDING, EVER, Claim, asks_if_any, claim_options, event_options, item_orders, next_colour_asked, option_claim, picture_colour,
                                          steady_claim)
from vagent.agent.scripted.events import asks_each_part, between_events, compared_shots, counted, ordinal, scene_ref, shot_ordinal
from vagent.agent.scripted.labels import asked_text_colour, asks_printed, prompted_verb, text_beside, value_condition
from vagent.agent.scripted.picture import (ASKS_WHEN, BECOMES, OBJECT, SECONDS_IN, about_picture, asks_for_change, asks_for_colour, asks_how_long,
                                           asks_order, asked_video_fact, asks_video_length, asks_when, claimed_order, counts_picture, picture_target)
from vagent.agent.scripted.timeexpr import time_ref
from vagent.agent.scripted.tone import asks_tone, picture_claim, screen_options, tone_claim
from vagent.agent.scripted.question import TIME_IN_Q, TYPED, asks_for_text, named_text, names_screen_text, order_word, orders_written, region


_VIDEO_COURSE = re.compile(r"\b(?:the|this)\s+(?:video|clip|footage|film)\s+(?:begin|start|open|end|finish|close|chang|progress)\w*", re.I)
"""The video itself as the subject of how it begins, ends or changes: its picture."""
_THINGS_COLOUR = re.compile(r"\bcolou?rs?\s+(?:of|is|are|was|were)\s+(?:the|a|an|his|her|their|its|each|every|that|this)\s+"
                            r"(?!video|clip|footage|picture|screen|background|backdrop|frame|image|scene|shot)\w+", re.I)
"""A thing's colour ("the colour of the car", "what colour is the bus"), which the picture's colours do not answer."""


def survey_shape(question: str, options: list[str] | None) -> str | None:
    """What makes a question one for the survey (:mod:`~vagent.agent.scripted.survey`), which answers
    from a timeline of the whole video, rather than for a plan that measures one thing: options
    that claim changes or order the same items, an option saying the thing never appears, a count of
    picture parts or of times a colour shows, how long a colour lasts, the n-th cut (or the one
    before / after a time), the value printed when a colour starts, the text of a region among options.

    >>> survey_shape("How many video clips were used to compose this video?", None)
    'count of parts'
    >>> survey_shape("When was the third scene change in the video?", ["0:01", "0:03"]), survey_shape("When is the first cut?", None)
    ('n-th cut', None)
    >>> survey_shape("how is the screen changed in the middle", ["became darker", "turned red", "cut to another scene"])
    'options claim changes'
    """
    options = options or []
    if change_options(options) is not None or sum(shots_claimed(o) is not None for o in options) >= 2:
        return "options name kinds of change or how it is edited"
    colour = picture_colour(question)
    courses = sequence_options(options, asks_order(question)) or []
    if claim_options(options, question) is not None and sum(len(c) >= 2 for c in courses) < len(options) - 1:  # courses: the sequence plan
        return "options claim changes"
    if (orders := item_orders(options, question)) and not all(bare_colour(x) for x in next(o for o in orders if o)):
        return "options order items"
    if asks_tone(question) and {"gray", "colour"} <= {tone_claim(o) for o in options}:
        return "whether it has colour at all"
    if {"plain", "footage"} <= {picture_claim(o) for o in options}:
        return "whether it shows a picture at all"
    if screen_options(options) is not None and time_ref(question, 1e9) is not None:
        return "what is shown at a moment, one option a plain screen"
    if between_events(question) is not None:
        return "time between two events"
    if options and event_options(question, options):
        return "what happened before or after a named text"
    if options and re.search(r"\b(?:after|before)\s+(?:the\s+)?(?:text|words?|line|message|caption)\s+\w", question, re.I) \
            and all(len(o.split()) <= 6 for o in options):
        return "which text came up before or after a line written out"
    if next_colour_asked(question) is not None:
        return "the colour after a coloured part"
    if options and ENDING.search(question):
        return "how the video ends"
    if asked_text_colour(question) is not None:
        return "text in a colour"
    if (scene_ref(question) is not None or TYPED.search(question) and not _AFTER_TEXT_EVENT.search(question)
            and not (options and re.search(r"\b(?:first|last|earliest|latest)\b", question, re.I))) and asks_for_text(question):
        return "text in a scene"  # not "what appears after 'Send Spike' is typed" (text_event), "what was typed first?" (text_order)
    if text_beside(question) is not None:
        return "text under or over a named text"
    if prompted_verb(question) is not None and asks_for_text(question) or prompted_verb(question) in ("enter", "type", "input", "write", "request"):
        return "what the screen asks for"
    if asks_how_long(question) and re.search(r"\bfad\w*", question, re.I):
        return "how long a fade takes"
    if compared_shots(question) is not None and options:
        return "one shot brighter than another"
    if shot_ordinal(question) is not None and asks_how_long(question) and not asks_video_length(question):
        return "how long a shot lasts"
    if asks_how_long(question) and asks_each_part(question):
        return "how long each part lasts"
    if area_options(options) is not None and asks_brightest(question) is not None:
        return "the brightest part of the frame"
    if any((c := option_claim(o)) is not None and c.kind == "never" for o in options):
        return "an option says it never appears"
    if (what := counted(question)) == "parts" and not re.search(r"\b(?:cuts?|transitions?)\b", question, re.I) \
            and (colour is not None or not counts_picture(question)) \
            or what == "times" and colour is not None and (not asks_for_change(question)  # "go to a black screen": entries
                                                           or re.search(r"\b(?:go|goes|went|cuts?)\s+(?:\w+\s+){0,2}to\b|\b(?:go|goes|went)\s+(?:fully |completely |totally |all )?(?:black|white)\b", question, re.I)):
        return f"count of {what}"
    if what == "times" and colour is None and not counts_picture(question) and (named_text(question) or asks_for_text(question)
                                                                              or re.search(r"\b(?:pops?|flash\w*|blink\w*)\b", question, re.I)):
        return "count of times a text shows"  # "how many times does ping ok pop up?"
    into = BECOMES.search(question)
    cut_words = re.search(r"\b(?:cuts?|transitions?|scene changes?|shot changes?)\b", question, re.I) \
        and not (into and re.match(r"cuts?\b", into.group(0), re.I))  # "cuts back to black": into a colour, no n-th cut
    moment = (ref := time_ref(question, 1e9)) is not None and ref.t is not None
    if cut_words and (ordinal(question) not in (None, 1, -1) or moment and re.search(r"\b(?:before|after)\b", question, re.I)):
        return "n-th cut"
    if colour is not None and (ordinal(question) or 1) not in (1, -1) and (asks_when(question, options) or re.search(r"\bwhen\b", question, re.I)):
        return "n-th time the picture is a colour"
    if asks_how_long(question) and not asks_video_length(question) and picture_target(question) is None \
            and (colour is not None or named_text(question)) \
            and not SECONDS_IN.search(question):
        return "how long it lasts"
    if colour is not None and re.search(r"\bfirst\b", question, re.I) and asks_for_text(question) \
            and (not options or number_options(options) is not None):
        return "value when a colour starts"
    if options and region(question) is not None and asks_for_text(question) and time_ref(question, 1e9) is None:
        return "text of a region"
    if value_condition(question) is not None and asks_for_text(question):
        return "a value when another reaches a number"
    if value_condition(question) is not None and asks_for_colour(question):
        return "the colour when a value reaches a number"
    if (not options or yes_no_options(options)) and asks_if_any(question) and asks_for_text(question) and time_ref(question, 1e9) is None:
        return "asks whether there is any text"
    if yes_no_options(options) and colour is not None and time_ref(question, 1e9) is None \
            and EVER.search(question):
        return "asks whether the picture is ever a colour"
    quoted = re.search(r"[\"“'‘]([^\"”'’]{3,40})[\"”'’]", question)
    if not options and quoted and len(quoted.group(1).split()) <= 5 and not names_screen_text(question) and (re.search(
            r"\b(?:pop|show|come)s? up\b|^\s*(?:roughly |about )?when\b", question, re.I) or SECONDS_IN.search(question)):
        return "when a quoted text comes up"
    if yes_no_options(options) and option_claim(question) in (Claim("no_cut"), Claim("darker"), Claim("brighter")):
        return "asks whether it is one shot"
    if yes_no_options(options) and steady_claim(question):
        return "asks whether the picture stays as it is"
    return None


_AFTER_TEXT_EVENT = re.compile(r"\b(?:after|before)\s+(?:the\s+)?(?:\w+\s+)?[\"“'‘][^\"”'’]{2,60}[\"”'’]\s+"
                               r"(?:is|was|has been|gets|got|appears?|shows?|comes? up|pops? up)\b", re.I)
"""After (before) a quoted text shows: "after the message 'Send Spike' is typed" (not "typed after 'Send' in the box")."""

_AT_ONCE = re.compile(r"\b(?:at the same time|at once|simultaneous\w*|together)\b", re.I)
"""An option saying the things asked about come together, beside options that each name one."""


def classify_question(question: str, options: list[str] | None = None) -> str:
    """``when``, ``where``, ``count``, ``first``, ``sequence``, ``length``, ``text_event``, ``text_order``,
    ``read_at``, ``change``, ``look_at``, ``read`` or ``general``: which plan answers the question.

    >>> classify_question("When does the red triangle appear in the video?")
    'when'
    >>> classify_question("Which colour appears first?", ["red", "blue"])
    'first'
    >>> classify_question("What number is shown at 2.0 seconds?")
    'read_at'
    >>> classify_question('What is on screen after "READY" appears?', ["a", "b"])
    'text_event'
    """
    q = question.lower()
    if survey_shape(question, options) is not None:
        return "general"
    colours = [bare_colour(o) for o in options or []]
    picture = about_picture(question) or _VIDEO_COURSE.search(question) or (_intent(question) != "general"
                                                                             and not _THINGS_COLOUR.search(question))
    named = [c for c in colours if c]
    if len(named) >= 2 and len(set(named)) == len(named) and re.search(r"\b(first|earliest|last|final)\b", q) and picture \
            and all(c or _AT_ONCE.search(o) for c, o in zip(colours, options or [])) and colours.count(None) <= 1:
        return "first"  # one option may say they all show at once
    if asked_video_fact(question):
        return "length"  # the video's own duration, frame count, frame rate or size
    if counts_picture(question):
        return "count"  # of picture changes, or of colours (counting.py tells which)
    if re.search(r"\bwhere\b", q) and TIME_IN_Q.search(question) and OBJECT.search(question):
        return "where"
    if options and (sequence_options(options, asks_order(question)) is not None or yes_no_options(options) and claimed_order(question)) \
            and picture:
        return "sequence"  # each option is a course of the picture's colours ("From gray to red."), or yes / no to an order
    if ASKS_WHEN.search(q) and OBJECT.search(question):  # "when" as the question word, not "what happens when"
        return "when"
    if ((asks_when(question, options) or asks_how_long(question) or SECONDS_IN.search(question)) and picture_target(question)
            and not re.search(r"\bchang|\bswitch|\bfrom\b", q) and (not BECOMES.search(q) or ASKS_WHEN.search(q) or SECONDS_IN.search(q))):
        return "when"  # when (or how long) the picture is a colour: a span, placed among the options' times or parts
    if asks_printed(question, options):  # a web address, an e-mail: printed text, read where asked (or found, for "when")
        return "text_event" if ASKS_WHEN.search(q) else "read_at" if time_ref(question, 1e9) is not None else "read"
    if names_screen_text(question) and order_word(question) and (asks_for_text(question) or order_word(question) != "when"
                                                          or re.search(r"^\s*when\b", q)):
        return "text_event"
    if re.search(r"\b(first|earlier|earliest|last|later|latest)\b", q) and orders_written(question, options):
        return "text_order"
    has_time = time_ref(question, 1e9) is not None
    colour_asked = asks_for_colour(question) and colours and None not in colours  # "what colour is ... the counter video?"
    if asks_for_text(question) and not colour_asked and (has_time or picture_target(question) and re.search(r"\b(?:when|once|while|as soon as)\b", q)):
        return "read_at"  # text at a time, or at the moment the picture is a colour ("when the background is green")
    when_options = asks_when("", options)  # options that are times or parts of the video ask "when"
    if asks_for_change(question) and (when_options or re.search(r"^\s*when\b|\bwhat (time|second)\b|\bat what\b|\bwhich second\b|\bis there\b|\bdoes the (picture|shot|scene)\b", q)):
        return "change"
    if has_time and len(named) >= max(2, len(colours) - 1) and not _THINGS_COLOUR.search(question) and not asks_for_text(question):
        return "look_at"  # "does it end on black or white?": the options are colours the picture may have then
    if has_time and asks_for_colour(question) and (by_meaning(question, options) == "look_at" or colour_asked
                                                   and not _THINGS_COLOUR.search(question)):
        return "look_at"  # the colour of the picture ("which of these colours shows more at 1 s"), not of a thing in it
    if not options and re.search(r"\b(code|text|written|word|read|caption|sign|label|says?)\b", q):
        return "read"
    return by_meaning(question, options)


def _intent(question: str) -> str:
    from vagent.agent.scripted.intent import intent

    return intent(question)[0]


def by_meaning(question: str, options: list[str] | None) -> str:
    """The plan for a question no rule above placed: its intent by similarity
    (:func:`~vagent.agent.scripted.intent.intent`), where the question carries what that plan needs."""
    name = _intent(question)
    has_time = time_ref(question, 1e9) is not None
    colours = bool(options) and all(bare_colour(o) for o in options or [])
    if name in ("colour", "brightness") and about_picture(question):
        return "look_at"
    if name == "count_changes" and (asks_for_change(question) or re.search(r"\bcolou?rs?\b", question, re.I) and about_picture(question)):
        return "count"  # the count plan counts picture changes and background colours, not cars or people
    if name == "when_change" and asks_for_change(question):
        return "change"
    if name == "read_value":
        return "read_at" if has_time else "read"
    if name == "text_when" and names_screen_text(question):
        return "text_event"
    if name == "order" and options:
        return "first" if colours else "text_order" if orders_written(question, options) else "general"
    if name == "where" and has_time and OBJECT.search(question):
        return "where"
    return "general"
