"""A scripted, tool-using baseline policy: no language model, just a plan and honest looking.

:class:`ScriptedPolicy` reads the question (and options) from the first user message and each tool
result's structured ``data`` from the tool messages, then decides its next turn state-machine
style, writing exactly the text a model would (``render_action``): a ``<think>`` saying why, then
tool calls or the answer. It is stateless: every turn is recomputed from the messages, so a
trajectory can be replayed, checkpointed or resumed.

"Looking" means pixel heuristics on the images the tools returned (colour masks, a white box,
text-like corners) and the scene lists, search hits and OCR lines the tools returned; the policy
never opens the video or the task file itself. Every think sentence names only what a tool
returned in this episode; when evidence is missing it says so and how it chose.

The package, one module per job:

``policy``    dispatch: :class:`ScriptedPolicy` and :class:`~vagent.agent.scripted.policy.Plan`
``chat``      reading the messages: question, overview, tool results (their ``data``), budget spent
``question``  reading the question: order words, named text, region, coloured object, answer type
``routing``   which plan answers a question: the survey's shapes, rules, then intent by meaning
``picture``   what the question asks of the picture as a whole: colour, brightness, change, when, how long, order
``pixels``    colour masks, boxes, text-likeness, colour shares, brightness
``evidence``  the plans' base: results so far, tool calls within limits, answers in the question's type
``when``      when a coloured object, or the picture as a colour or bright / dark, is on screen (a span)
``reading``   a code somewhere (``read``); the text at a time (``read_at``)
``counting``  how many cuts / scenes (``count``); is there a cut, when (``change``)
``colour``    colour or brightness at a time (``look_at``)
``order``     which colour / text comes first or last; what is on screen after / before a text
``sequence``  which option's course of colours ("From gray to red.") the picture goes through
``where``     a coloured object's box at a time
``survey``    ``general``, anything else: scenes, frames and reads across the whole video, answered in the
              shape of the question and options (``claims``: what options claim, what a count counts;
              ``timeline``: colours, brightness, cuts and texts in time); ``general``: its search fallback
``overview``  ``use_tools=False``: answers from the overview frames alone
``oracle``    ``oracle=task``: active annotation for training data (see there)

``temperature > 0`` with ``seed`` makes it stochastic: near-tied candidates are drawn at random
and verification steps are sometimes skipped.

>>> classify_question("How many cuts are there in the first 2 seconds?")
'count'
"""

from vagent.agent.scripted.chat import Conversation, Result, read_conversation, succeeded
from vagent.agent.scripted.policy import ScriptedPolicy
from vagent.agent.scripted.question import asked_type
from vagent.agent.scripted.routing import classify_question
from vagent.agent.scripted.timeexpr import time_ref

__all__ = ["Conversation", "Result", "ScriptedPolicy", "asked_type", "classify_question", "read_conversation",
           "succeeded", "time_ref"]
