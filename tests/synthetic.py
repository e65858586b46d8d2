"""Long synthetic documents for the diff tests and bench/diff.py: random words in paragraphs of
40 to `longest` words, and a copy with a share of its words replaced."""

from __future__ import annotations

import random


def long_document(words: int, *, seed: int, vocabulary: int, longest: int) -> list[str]:
    rnd = random.Random(seed)
    vocab = [f"w{n}" for n in range(vocabulary)]
    paras = []
    while words > 0:
        n = min(words, rnd.randint(40, longest))
        paras.append(" ".join(rnd.choice(vocab) for _ in range(n)) + ".")
        words -= n
    return paras


def edit_words(paras: list[str], share: float, *, seed: int, token: str) -> list[str]:
    """`paras` with `share` of its words replaced by `token` plus a random number."""
    rnd = random.Random(seed)
    out = [p.split(" ") for p in paras]
    total = sum(map(len, out))
    for _ in range(int(total * share)):
        p = rnd.choice(out)
        p[rnd.randrange(len(p))] = f"{token}{rnd.randrange(10**6)}"
    return [" ".join(p) for p in out]
