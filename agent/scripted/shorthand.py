"""A question as typed into a chat box, in plain words before it is read: chat shorthand ("r", "vid",
"whats", "dont"), contractions ("when's") and a typo one key away from a word the readers look for
("totaly" → "totally", "bakground" → "background"), where the typed word is no English word of the MiniLM
wheel's vocabulary (:func:`~vagent.agent.scripted.spelling.known_words`). Quoted text is left as typed (it
names what is on screen); the video called by its file name ("how does testvideo end", "the fades video")
is the video. Pure functions (doctested).
"""

from __future__ import annotations

import re
import string

from vagent.agent.scripted.spelling import known_words

_SHORT = {"r": "are", "u": "you", "ur": "your", "vid": "video", "vids": "videos", "pic": "picture", "pics": "pictures",
          "bg": "background", "whats": "what is", "wats": "what is", "wat": "what", "hows": "how is", "whens": "when is",
          "wheres": "where is", "dont": "do not", "doesnt": "does not", "didnt": "did not", "isnt": "is not", "cant": "cannot",
          "thru": "through", "abt": "about", "b4": "before", "bc": "because", "txt": "text", "msg": "message", "msgs": "messages",
          "teh": "the", "hte": "the", "smth": "something"}
"""Chat shorthand, apostrophe-less contractions and the commonest short typos, as whole words."""

WORDS = frozenset("""
totally completely fully entirely black white grey gray red green blue yellow orange purple pink brown colour color
colours colors background screen picture frame frames video clip footage shot shots scene scenes cut cuts second seconds
minute minutes bright brighter brightest brightness dark darker darkest darkness fade fades faded fading appear appears
appeared disappear disappears change changes changed switch switches first second third fourth last final middle
beginning start end ending between during after before while until text words written message line lines number
corner bottom top left right half how many much long when where which what does happen happens happened shown
shows visible transition transitions continuous separate different times around roughly approximately exactly
""".split())
"""The words the question readers look for: a typo is put right only into one of these."""


def _edits(word: str) -> set[str]:
    """Every word one deletion, insertion, change or swap of neighbours away from ``word``."""
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b} | {a + c + b for a, b in splits for c in letters}
            | {a + c + b[1:] for a, b in splits if b for c in letters} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1})


def _plain(word: str) -> str:
    low = word.lower()
    if low in _SHORT:
        return _SHORT[low]
    known = known_words()  # an English word ("there") is no typo; without the word list, nothing is put right
    if len(low) < 5 or low in WORDS or not low.isalpha() or not known or low in known:
        return word
    near = _edits(low) & WORDS
    return near.pop() if len(near) == 1 else word


def plain_words(question: str) -> str:
    """``question`` with chat shorthand, contractions and typos of the readers' words in plain words.

    >>> plain_words("how many times does it go totaly black in the vid (dont count the start)")
    'how many times does it go totally black in the video (do not count the start)'
    >>> plain_words("whats the bakground colour? when's the 1st cut")
    'what is the background colour? when is the 1st cut'
    >>> plain_words("what's after 'Possword Entr'?"), plain_words("is it bluish or reddish?")
    ("what is after 'Possword Entr'?", 'is it bluish or reddish?')
    >>> plain_words("how many frames r there?"), plain_words("does teh clip start on red?")
    ('how many frames are there?', 'does the clip start on red?')
    >>> plain_words("don't count 'Brigth' ok")
    "don't count 'Brigth' ok"
    """
    question = re.sub(r"\b(what|when|where|how|who|which|there|it|that)['’]s\b", r"\1 is", question, flags=re.I)
    parts = re.split(r"(?<![A-Za-z])([\"“'‘][^\"”'’]{2,60}[\"”'’])(?![A-Za-z])", question)  # quoted text stays as typed
    return "".join(part if i % 2 else re.sub(r"[A-Za-z][A-Za-z0-9]*", lambda m: _plain(m.group(0)), part) for i, part in enumerate(parts))


_THE_VIDEO = r"(?:video|vid|clip|film|footage|movie|recording)"


def name_as_the_video(question: str, name: str) -> str:
    """``question`` with the video's file name (``name``, without folder and suffix) read as "the video": the
    name's words just before "video" / "clip" go ("the fades video": "the video"), and the whole name
    written alone becomes "the video" when it is no English word ("how does testvideo end"), so a name
    made of a word the readers look for ("fades", "counter") is not read as that word.

    >>> name_as_the_video("how does testvideo end? hard cut or something else", "testvideo")
    'how does the video end? hard cut or something else'
    >>> name_as_the_video("does the fades video start bright or dark? how many fades?", "fades")
    'does the video start bright or dark? how many fades?'
    >>> name_as_the_video("how many shots in the aspect ratio clip", "issue-195-aspect-ratio")
    'how many shots in the clip'
    >>> name_as_the_video("what colour is the background in the counter clip?", "")
    'what colour is the background in the counter clip?'
    """
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if len(w) >= 3 and not w.isdigit()]
    if not words:
        return question
    named = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    question = re.sub(rf"\b(?:(?:{named})[\s_-]+)+(?={_THE_VIDEO}\b)", "", question, flags=re.I)
    whole = re.sub(r"[^a-z0-9]", "", name.lower())
    known = known_words()
    if len(whole) >= 5 and known and whole not in known:
        glued = r"[\s_-]*".join(re.escape(w) for w in re.split(r"[^a-z0-9]+", name.lower()) if w)
        question = re.sub(rf"\b(?:(the|this|that)\s+)?{glued}(?:\.\w{{2,4}})?\b", "the video", question, flags=re.I)
    return question
