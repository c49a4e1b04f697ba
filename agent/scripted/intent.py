"""What a question asks, by meaning: the question's all-MiniLM-L6-v2 embedding
(:mod:`~vagent.agent.scripted.embedder`) compared with short descriptions of each intent, nearest
wins. The descriptions are the only table; they describe what is asked, not the words a person
uses, so a new phrasing lands by similarity. The descriptions' embeddings are stored beside this
module (``intent_table.npz``, written by ``python -m vagent.agent.scripted.intent``; a test checks it
against :data:`INTENTS`), so a question costs one sentence embedding.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

INTENTS: dict[str, list[str]] = {
    "colour": ["What colour is the picture or the background at a given time?",
               "Which colour covers most of the frame?", "What is the main colour of the screen at that moment?"],
    "brightness": ["Is the picture bright or dark at a given time?", "Is the screen black or white at that moment?",
                   "How light or dark is the frame?"],
    "count_changes": ["How many times does the picture change?", "How many scene cuts or shots are there?",
                      "How many times does the background colour switch?", "How many transitions does the clip have?"],
    "when_change": ["When does the picture change?", "At which second does the scene cut happen?",
                    "During which second does the background colour switch?"],
    "read_value": ["What number or value is printed next to a label on screen?", "What does the text on screen say?",
                   "What year appears in the copyright notice?", "Which web address is written on the screen?",
                   "What name is written in the caption?", "What is the counter reading shown in the corner?"],
    "text_when": ["When does a piece of text first appear on screen?", "At what time is the title shown?"],
    "order": ["Which of these appears first in the video?", "In what order are the things shown?",
              "Which comes last?"],
    "where": ["Where is the object located in the frame?", "In which part of the picture is it?"],
    "general": ["What is the person doing?", "Why did the man do that?", "What happens after the woman stands up?",
                "How does the child react?", "What kind of animal is in the video?", "What is the video about?",
                "Who is speaking?", "What will the person do next?", "How many people are in the room?",
                "How many objects of some kind can be seen?", "How many times does a person do an action?",
                "What colour are the clothes someone wears?", "What colour is an object that a person holds or uses?",
                "What is shown in each scene, and how do the scenes differ?"],
}
"""Each intent, described by a few plain questions."""
FLOOR = 0.3
"""Below this similarity to every description, a question is ``general``."""
MARGIN = 0.05
"""A specific intent must come nearer than every ``general`` description by this much: a question about
people or actions that merely shares a word with a video-measuring intent stays ``general``."""


TABLE = Path(__file__).with_name("intent_table.npz")


def descriptions() -> tuple[list[str], list[str]]:
    """Every description and its intent's name, in table order."""
    pairs = [(name, text) for name, texts in INTENTS.items() for text in texts]
    return [n for n, _ in pairs], [t for _, t in pairs]


@functools.lru_cache(maxsize=1)
def _table() -> tuple[list[str], np.ndarray]:
    stored = np.load(TABLE)
    names, texts = descriptions()
    if list(stored["texts"]) != texts:
        raise RuntimeError(f"{TABLE.name} is stale: run python -m vagent.agent.scripted.intent")
    return names, stored["vectors"]


def write_table() -> None:
    """Embed every description and store the table beside this module."""
    from vagent.agent.scripted.embedder import embedder

    _, texts = descriptions()
    np.savez(TABLE, texts=np.array(texts), vectors=embedder().encode(texts).astype(np.float32))



@functools.lru_cache(maxsize=4096)
def intent(question: str) -> tuple[str, float]:
    """The nearest intent and its cosine similarity: ``general`` below :data:`FLOOR`, or when the
    nearest specific intent is not :data:`MARGIN` nearer than the nearest ``general`` description."""
    from vagent.agent.scripted.embedder import embedder

    names, table = _table()
    sims = table @ embedder().encode([question])[0]
    nearest: dict[str, float] = {}
    for name, sim in zip(names, sims):
        nearest[name] = max(nearest.get(name, -1.0), float(sim))
    general = nearest.pop("general", -1.0)
    name = max(nearest, key=nearest.get)
    if nearest[name] < FLOOR or nearest[name] < general + MARGIN:
        return "general", max(general, nearest[name])
    return name, nearest[name]


if __name__ == "__main__":
    write_table()
