"""The web's diff cache is bounded by the text it holds, not only by its number of diffs:
anyone may ask for the diff of any two versions, and a few huge versions must not fill memory."""

from __future__ import annotations

from web.diffview import DiffCache


def _version(n: int, words: int) -> dict:
    return {"title": f"Story {n}", "text": " ".join(f"w{n}x{k}" for k in range(words))}


def test_the_cache_keeps_no_more_text_than_its_budget_and_still_answers() -> None:
    cache = DiffCache(size=256, chars=20_000)
    pairs = [(_version(n, 300), _version(n + 1, 300)) for n in range(40)]  # ~4,800 chars a pair
    for old, new in pairs:
        assert cache.diff(old, new).changed
        assert cache.held <= 20_000
    assert cache.held > 10_000  # it does cache what fits
    last = pairs[-1]
    assert cache.diff(*last) is cache.diff(*last)  # the newest pairs are served from it
    huge = (_version(1, 5_000), _version(2, 5_000))  # more than the whole budget
    held = cache.held
    first, second = cache.diff(*huge), cache.diff(*huge)
    assert first is not second and first.changed and cache.held == held
