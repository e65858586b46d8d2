"""The query language of search: what a person types, as a safe FTS5 expression, and the
expression's terms and groups (which terms a text must hold, and must not, to match).
No SQL: FTS5 decides what matches; these only say what the query means to it."""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.store.base import SNIPPET_END, SNIPPET_START

MAX_TERMS = 20
_LEADING = {
    "NOT": "NOT with nothing before it was ignored: search for what must be there, then NOT "
    "what must not (police NOT army).",
}
_TERM = re.compile(r'"([^"]*)"?|(\S+)')


def terms(fts: str) -> list[tuple[str, str]]:
    """An `fts_query` expression as [(operator before it, term)]: '' before the first."""
    out, op = [], ""
    for part in re.findall(r'"[^"]*"(?: \*)?|AND|OR|NOT', fts):
        if part in ("AND", "OR", "NOT"):
            op = part
        else:
            out.append((op, part))
            op = ""
    return out


def negated(expression: list[tuple[str, str]]) -> bool:
    return any(op == "NOT" for op, _ in expression)


def matches(expression: list[tuple[str, str]], present: dict[str, bool]) -> bool:
    """Whether FTS5 matches a text holding the terms `present` says: NOT and AND bind tighter
    than OR, left to right (`a OR b NOT c` is a or (b and not c); `a NOT b NOT c` is a and not
    b and not c), so the expression is a union of groups whose terms are all required, or,
    after NOT, excluded."""
    any_group, group = False, True
    for op, term in expression:
        if op == "OR":
            any_group, group = any_group or group, True
        group = group and present[term] != (op == "NOT")
    return any_group or group


def groups(expression: list[tuple[str, str]]) -> list[tuple[list[str], list[str]]]:
    """The expression as (terms required, terms excluded) per group: it matches a text when
    some group does (the same precedence as `matches`). A group's first term is never after
    NOT (`fts_query` drops an operator with nothing before it; OR NOT reads as NOT)."""
    out: list[tuple[list[str], list[str]]] = []
    for op, term in expression:
        if not out or op == "OR":
            out.append(([], []))
        out[-1][1 if op == "NOT" else 0].append(term)
    return out


def snippet(text: str, fts: str, words: int = 24) -> str:
    """About `words` words of `text` around the first place the query's terms appear, each term
    between SNIPPET_START and SNIPPET_END (a reading aid: FTS5 decided what matches)."""
    pattern = _shown(fts)
    if pattern is None:
        return " ".join(text.split()[:words])
    found = pattern.search(text)
    start = 0 if found is None else max(0, text.rfind(" ", 0, max(0, found.start() - 80)) + 1)
    window = " ".join(text[start:].split()[:words])
    marked = pattern.sub(lambda m: f"{SNIPPET_START}{m.group(0)}{SNIPPET_END}", window)
    return ("…" if start else "") + marked + ("…" if len(window) < len(text) - start else "")


@lru_cache(maxsize=64)
def _shown(fts: str) -> re.Pattern[str] | None:
    """The pattern of the terms a snippet marks (None: only NOT terms), made once a query
    rather than once a result."""
    shown = []
    for op, term in terms(fts):
        phrase = [re.escape(w) for w in term.strip('"* ').split()]
        if op != "NOT" and phrase:
            shown.append(r"\W+".join(phrase) + (r"\w*" if term.endswith("*") else ""))
    if not shown:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(shown) + r")(?!\w)", re.IGNORECASE)


def fts_query(query: str) -> str:
    """What a person types as a safe FTS5 expression: words, "phrases", prefix*, OR, NOT.

    Every word becomes a quoted string, so FTS5 syntax in the input is never interpreted;
    operators only count between two terms. Empty when nothing searchable is left.
    """
    return _read(query)[0]


def query_notes(query: str) -> list[str]:
    """What a search did with the parts of `query` it could not take as typed, one sentence
    each: a query is never refused, so without these "po*" (searched as the word "po") or a
    leading NOT (ignored) would quietly find something else than what was meant."""
    return _read(query)[1]


_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»＂", '"'))
"""Quotation marks a phone or a word processor types for ": a phrase however it is quoted."""


def _read(query: str) -> tuple[str, list[str]]:
    printable = "".join(ch if ch.isprintable() else " " for ch in query.translate(_QUOTES))
    parts: list[str] = []
    notes: list[str] = []
    pending_op = ""
    for m in _TERM.finditer(printable):
        phrase, word = m.group(1), m.group(2)
        if word in ("OR", "NOT", "AND"):
            if not parts:
                notes.append(_LEADING.get(word, f"{word} with nothing before it was ignored."))
            pending_op = word if parts else ""
            continue
        text = phrase if phrase is not None else word
        term = _term(text, prefix_ok=phrase is None)
        if not term:
            if text == "*":
                notes.append("A * on its own was left out: it goes right after a word (elect*).")
            elif text.strip():
                notes.append(f"“{text}” has no letters or digits, so it was left out.")
            continue
        if len(parts) >= MAX_TERMS * 2:
            notes.append(f"Only the first {MAX_TERMS} words or phrases were searched.")
            break
        notes += _term_notes(text, term, phrase is not None)
        if parts:
            parts.append(pending_op or "AND")
        parts.append(term)
        pending_op = ""
    if pending_op:
        notes.append(f"{pending_op} at the end has nothing after it, so it was ignored.")
    return " ".join(parts), notes


def _term_notes(text: str, term: str, quoted: bool) -> list[str]:
    """Notes on one term: a prefix that could not be one, a Google-style minus, a lowercase
    operator (FTS5's operators are capitals: "or" is a word)."""
    shown = term.strip('"* ')
    if not quoted and text.endswith("*") and not term.endswith("*"):
        if " " in shown:
            return [f"“{text}”: only a single word can end in *, so it was searched as “{shown}”."]
        return [
            f"“{text}”: a prefix needs 3 letters or more before the *, so it was searched as "
            f"the word “{shown}”."
        ]
    if not quoted and text.startswith("-") and len(text) > 1:
        return [f"“{text}” was searched as “{shown}”: to leave a word out, put NOT before it."]
    if not quoted and text in ("or", "not", "and"):
        return [f"“{text}” was searched as a word: write {text.upper()} to use it as an operator."]
    return []


def _term(text: str, *, prefix_ok: bool) -> str:
    prefix = prefix_ok and text.endswith("*")
    words = re.findall(r"\w+", text.rstrip("*"))
    if not words:
        return ""
    quoted = '"' + " ".join(words) + '"'
    if prefix and len(words) == 1 and len(words[0]) >= 3:
        return quoted + " *"
    return quoted
