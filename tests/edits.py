"""Realistic edit histories of the corpus articles, for the storage tests and bench/storage.py.

A newsroom story rarely appears whole: it is published short and grows (paragraphs the final
article has arrive one by one), then gets small fixes: a word, a number, a sentence added to a
paragraph, a paragraph dropped or moved, the headline reworded, an "Update:" line on top. Each
history starts from the first part of a real article body (the corpus's hand-made gold text) and
applies one such edit per version, chosen by a generator seeded with the article's key, so every
run builds the same texts. New sentences come from other articles, never from a fixed phrase, so
that nothing compresses better than real copy would.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import cache

from corpus import CORPUS

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


@dataclass(frozen=True)
class Version:
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@cache
def _articles() -> list[tuple[str, list[str]]]:
    data = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key, value in sorted(data.items()):
        paras = [" ".join(p.split()) for p in value["articleBody"].split("\n")]
        paras = [p for p in paras if len(p) > 1]
        if len(paras) >= 4:
            out.append((key, paras))
    return out


@cache
def _sentences() -> list[str]:
    found = []
    for _, paras in _articles():
        for p in paras:
            found.extend(s for s in _SENTENCE.split(p) if 40 <= len(s) <= 240)
    return found


def article_keys(max_chars: int = 20_000) -> list[str]:
    """Corpus articles long enough to edit (4+ paragraphs), at most `max_chars` of text."""
    return [k for k, paras in _articles() if sum(map(len, paras)) <= max_chars]


def history(key: str, versions: int = 12, seed: int = 0) -> list[Version]:
    """`versions` successive texts of article `key`, each one edit away from the one before
    (`seed` picks another sequence of edits of the same article)."""
    paras_all = dict(_articles())[key]
    rnd = random.Random(f"{key}:{seed}" if seed else key)
    pool = _sentences()
    start = max(2, len(paras_all) * 3 // 5)
    paras, waiting = list(paras_all[:start]), list(paras_all[start:])
    title = _SENTENCE.split(paras_all[0])[0][:90]
    out = [Version(title, tuple(paras))]
    while len(out) < versions:
        edit = rnd.choice(_EDITS)
        changed = edit(rnd, title, list(paras), waiting, pool)
        if changed is None:
            continue
        title, new = changed
        if new and (title, tuple(new)) != (out[-1].title, out[-1].paragraphs):
            paras = new
            out.append(Version(title, tuple(paras)))
    return out


def _grow(rnd, title, paras, waiting, pool):
    if not waiting:
        return None
    paras.insert(rnd.randint(len(paras) // 2, len(paras)), waiting.pop(0))
    return title, paras


def _word(rnd, title, paras, waiting, pool):
    k = rnd.randrange(len(paras))
    words = paras[k].split(" ")
    words[rnd.randrange(len(words))] = rnd.choice(rnd.choice(pool).split(" "))
    paras[k] = " ".join(words)
    return title, paras


def _number(rnd, title, paras, waiting, pool):
    numbered = [i for i, p in enumerate(paras) if re.search(r"\d", p)]
    if not numbered:
        return None
    k = rnd.choice(numbered)
    paras[k] = re.sub(r"\d+", lambda m: str(int(m.group()) + rnd.randint(1, 9)), paras[k], count=1)
    return title, paras


def _sentence(rnd, title, paras, waiting, pool):
    k = rnd.randrange(len(paras))
    paras[k] = f"{paras[k]} {rnd.choice(pool)}"
    return title, paras


def _paragraph(rnd, title, paras, waiting, pool):
    paras.insert(rnd.randrange(len(paras) + 1), " ".join(rnd.sample(pool, 2)))
    return title, paras


def _drop(rnd, title, paras, waiting, pool):
    if len(paras) < 4:
        return None
    paras.pop(rnd.randrange(1, len(paras)))
    return title, paras


def _move(rnd, title, paras, waiting, pool):
    paras.insert(rnd.randrange(len(paras)), paras.pop(rnd.randrange(len(paras))))
    return title, paras


def _headline(rnd, title, paras, waiting, pool):
    return rnd.choice(pool)[:90], paras


def _update_note(rnd, title, paras, waiting, pool):
    note = f"Update: {rnd.choice(pool)}"
    if paras[0].startswith("Update: "):
        paras[0] = note
    else:
        paras.insert(0, note)
    return title, paras


_EDITS = (
    _grow,
    _grow,
    _grow,
    _word,
    _word,
    _number,
    _sentence,
    _sentence,
    _paragraph,
    _drop,
    _move,
    _headline,
    _update_note,
)
