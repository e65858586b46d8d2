"""Queries with NOT: each term is followed through a story's versions on its own, and the
expression is evaluated from which terms a version holds. That must be what FTS5 answers for
the whole expression: on any text (the precedence of NOT, AND and OR), and over random
histories (when the query entered and left equals probing every version whole)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.document import Document
from tracker.store import Store, chains, search_streams
from tracker.store import search as search_module
from tracker.store.search import _scanned, fts_query, matches, terms
from tracker.store.search_streams import TermRows, page_rows, scan, select

WORDS = ["red", "blue", "green", "grey", "gold", "the"]
TERMS = [*WORDS, "red blue", "the green", "gre*", "gol*", "_"]  # phrases, prefixes, no token

word_list = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
texts = st.lists(st.tuples(word_list, word_list), min_size=1, max_size=12)
expressions = st.tuples(
    st.sampled_from(TERMS),
    st.lists(
        st.tuples(st.sampled_from(["AND", "OR", "NOT", ""]), st.sampled_from(TERMS)), max_size=3
    ),
)


def query_text(first: str, rest: list[tuple[str, str]]) -> str:
    quote = lambda term: f'"{term}"' if " " in term else term  # noqa: E731
    return " ".join([quote(first), *(f"{op} {quote(term)}".strip() for op, term in rest)])


@settings(max_examples=300, deadline=None)
@given(texts, st.lists(expressions, min_size=1, max_size=8))
def test_the_terms_a_text_holds_decide_the_expression_as_fts5_does(
    docs: list[tuple[str, str]], queries: list[tuple[str, list[tuple[str, str]]]]
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, text, content='')")
    conn.executemany(
        "INSERT INTO t (rowid, title, text) VALUES (?, ?, ?)",
        [(i, title, text) for i, (title, text) in enumerate(docs, 1)],
    )

    def rows(fts: str) -> set[int]:
        return {i for (i,) in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [fts])}

    for first, rest in queries:
        fts = fts_query(query_text(first, rest))
        expression = terms(fts)
        assert len(expression) == len(rest) + 1
        holding = {term: rows(term) for _, term in expression}
        evaluated = {
            i
            for i in range(1, len(docs) + 1)
            if matches(expression, {term: i in found for term, found in holding.items()})
        }
        assert evaluated == rows(fts), fts
        assert select(expression, holding) == evaluated, fts


def _sentence(rnd: random.Random) -> str:
    """Words between markers no query has, so no query phrase spans two sentences."""
    return "Zed " + " ".join(rnd.choices(WORDS[:5], k=rnd.randint(1, 3))) + " qux."


def _history(rnd: random.Random, count: int) -> list[Document]:
    title, sentences = _sentence(rnd), [_sentence(rnd) for _ in range(rnd.randint(1, 4))]
    out = []
    for _ in range(count):
        out.append(Document.build(title=title, paragraphs=list(sentences)))
        for _ in range(rnd.randint(1, 2)):
            move = rnd.random()
            if move < 0.3 and len(sentences) > 1:
                sentences.pop(rnd.randrange(len(sentences)))
            elif move < 0.6:
                sentences.insert(rnd.randrange(len(sentences) + 1), _sentence(rnd))
            elif move < 0.9:
                sentences[rnd.randrange(len(sentences))] = _sentence(rnd)
            else:
                title = _sentence(rnd)
    return out


def _probe_every_version(store: Store, story_id: int, fts: str) -> tuple | None:
    """The reference: every version from the first whose added text matches, probed whole with
    the whole expression (how queries with NOT were answered before they were split in terms)."""
    ((added, _),) = store._events([story_id], fts).values()
    if not added:
        return None
    texts = chains.StoryTexts(store.conn, story_id)
    checked = [n for n in sorted(texts.ids) if n >= min(added)]
    found = store._probe(texts, fts, {n: texts.ids[n] for n in checked}, [len(checked)])
    entered, left, was = [], [], False
    for n in checked:
        now = n in found
        if now and not was:
            entered.append(n)
        elif was and not now:
            left.append(n)
        was = now
    return (entered, left, was) if entered else None


def _random_not_query(rnd: random.Random, negated: bool = True) -> str:
    parts = [rnd.choice(TERMS[:-1])]
    ops = [rnd.choice(["AND", "OR", "NOT"]) for _ in range(rnd.randint(1, 3))]
    if negated:
        ops[rnd.randrange(len(ops))] = "NOT"
    for op in ops:
        parts += [op, rnd.choice(TERMS[:-1])]
    return " ".join(f'"{p}"' if " " in p else p for p in parts)


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("not") / "histories.db"
    rnd = random.Random(11)
    with Store(db) as store:
        for s in range(12):
            story_id, _ = store.add_story(f"https://news{s}.example/story")
            store.load_history(
                story_id,
                [
                    (d, f"2024-06-01T{n // 60:02d}:{n % 60:02d}:00Z", None, None)
                    for n, d in enumerate(_history(rnd, rnd.randint(6, 16)))
                ],
            )
    return db


def _not_queries(seed: int, count: int = 40) -> Iterator[tuple[str, str]]:
    """(query, its FTS5 expression) for `count` random queries with NOT."""
    rnd = random.Random(seed)
    for _ in range(count):
        query = _random_not_query(rnd)
        yield query, fts_query(query)


def test_not_queries_answer_as_probing_every_version_whole(histories: Path) -> None:
    seen_left = seen = 0
    with Store(histories) as store:
        for query, fts in _not_queries(5):
            expected = {}
            for story_id in range(1, 13):
                found = _probe_every_version(store, story_id, fts)
                if found:
                    expected[story_id] = found
            hits = store.search(query, limit=100)
            got = {h["id"]: (h["entered"], h["left"], h["present"]) for h in hits}
            assert got == expected, query
            assert all(h["complete"] for h in hits)
            seen += len(hits)
            seen_left += sum(bool(h["left"]) for h in hits)
    assert seen > 100 and seen_left > 20  # the histories do make queries come and go


def test_a_not_query_cut_by_the_probe_budget_says_so_and_what_it_says_holds(
    histories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "PROBE_LIMIT", 6)
    cut = whole = 0
    with Store(histories) as store:
        for query, fts in _not_queries(6):
            for hit in store.search(query, limit=100):
                entered, left, present = _probe_every_version(store, hit["id"], fts) or ([], [], 0)
                assert hit["present"] == present, query
                if hit["complete"]:
                    whole += 1
                    assert (hit["entered"], hit["left"]) == (entered, left), query
                else:
                    cut += 1
                    assert hit["entered"] == entered[: len(hit["entered"])], query
                    assert hit["left"] == left[: len(hit["left"])], query
    assert cut > 10 and whole > 10, (cut, whole)


def test_a_long_not_query_checks_fewer_texts_and_what_it_says_holds(
    histories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each text a NOT query checks is asked about every term: a query of many terms gets
    fewer texts (PROBE_LIMIT x TERM_SHARE / terms), so its cost stays that of a short one."""
    query = "red OR blue OR green OR grey OR gold OR the NOT red NOT blue NOT gre* NOT gol* NOT zed"
    fts = fts_query(query)
    assert len(terms(fts)) == 11
    with Store(histories) as store:
        inserted: list[str] = []
        store.conn.set_trace_callback(
            lambda sql: inserted.append(sql) if "INTO temp.search_probe (rowid" in sql else None
        )
        monkeypatch.setattr(search_module, "PROBE_LIMIT", 40)
        hits = store.search(query, limit=100)
        store.conn.set_trace_callback(None)
        # the budget, plus the first version of a story and the newest of a cut one, forced
        assert len(inserted) <= 40 * search_module.TERM_SHARE // 11 + 2 * len(hits)
        assert any(not h["complete"] for h in hits)
        for hit in hits:
            entered, left, present = _probe_every_version(store, hit["id"], fts) or ([], [], 0)
            assert hit["present"] == present
            assert hit["entered"] == entered[: len(hit["entered"])]
            assert hit["left"] == left[: len(hit["left"])]


@pytest.mark.parametrize("limit", [3, 60])
def test_the_entries_of_a_not_query_worked_out_from_its_terms_are_the_index_answer(
    histories: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """A query with NOT takes the versions where it entered from its terms' rows, not from an
    index query of the whole expression: the same versions, cut at EVENT_LIMIT alike."""
    monkeypatch.setattr(search_module, "EVENT_LIMIT", limit)
    rnd = random.Random(8)
    stories = list(range(1, 13))
    compared = cut = 0
    with Store(histories) as store:
        for k in range(90):
            fts = fts_query(_random_not_query(rnd, negated=k % 3 > 0))
            expression = terms(fts)
            rows = store._term_rows(stories, expression)
            expected = store._events(stories, fts)
            assert store._events_of_terms(stories, expression, rows) == expected, fts
            compared += sum(bool(found) for found, _ in expected.values())
            cut += sum(not complete for _, complete in expected.values())
    assert compared > 100 and (cut > 10 or limit == 60)


@pytest.mark.parametrize("range_rows", [0, 4000])
def test_the_rows_of_a_page_are_those_of_its_stories_tokens(
    histories: Path, monkeypatch: pytest.MonkeyPatch, range_rows: int
) -> None:
    """A page's rows are kept by its versions' id range when it is narrow (`_among`), by its
    `story` tokens when wide: either way, exactly what an index query by the tokens finds."""
    monkeypatch.setattr(search_module, "RANGE_ROWS", range_rows)
    rnd = random.Random(9)
    compared = 0
    with Store(histories) as store:
        for _ in range(30):
            stories = rnd.sample(range(1, 13), rnd.randint(1, 5))
            expression = terms(fts_query(_random_not_query(rnd)))
            tokens = " OR ".join(f"s{s}" for s in stories)
            for term, found in store._term_rows(stories, expression).items():
                expected = {
                    i
                    for (i,) in store.conn.execute(
                        "SELECT rowid FROM versions_search WHERE versions_search MATCH ?",
                        [f"{{added}} : ({term}) AND story : ({tokens})"],
                    )
                }
                assert found == expected, (term, stories)
                compared += len(expected)
    assert compared > 100


def test_a_search_reads_in_its_own_savepoint_and_leaves_a_caller_s_transaction_alone(
    histories: Path, tmp_path: Path
) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(histories.read_bytes())
    with Store(db) as store:
        expected = store.search("red OR blue NOT gre*")
        assert expected and not store.conn.in_transaction
        with pytest.raises(RuntimeError), store.write() as conn:
            conn.execute("DELETE FROM stories WHERE id = ?", [expected[0]["id"]])
            assert store.search("red OR blue NOT gre*") != expected  # sees its own write
            raise RuntimeError
        assert store.search("red OR blue NOT gre*") == expected  # the write rolled back


@pytest.mark.parametrize("window", [1, 7, 512])
def test_reading_each_term_once_finds_the_page_and_its_rows_as_the_index_queries_do(
    histories: Path, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """A query with a prefix reads each term's rows once, newest first (`search_streams`):
    the stories it finds (cut at `wanted` stories or the scan limit) and the page's rows of
    each term are what the index query of the whole expression and of each term answer."""
    monkeypatch.setattr(search_streams, "FIRST_WINDOW", window)
    rnd = random.Random(12)
    found = rows_compared = 0
    with Store(histories) as store:
        for k in range(60):
            fts = fts_query(_random_not_query(rnd, negated=k % 2 == 0))
            expression = terms(fts)
            wanted, limit = rnd.randint(1, 14), rnd.choice([3, 20, 5000])
            monkeypatch.setattr(search_module, "SCAN_LIMIT", limit)
            streams = TermRows(store.conn, expression)
            try:
                order = scan(streams, wanted, limit)
                cursor = store._scan_cursor(f"{{added}} : ({fts})", None)
                assert order == _scanned(cursor, wanted)[0], fts  # the index's own scan
                cursor.close()
                versions = {
                    i
                    for (i,) in store.conn.execute(
                        "SELECT id FROM version_rows "
                        "WHERE story_id IN (SELECT value FROM json_each(?))",
                        [json.dumps(order)],
                    )
                }
                if order:
                    assert page_rows(streams, versions) == store._term_rows(order, expression)
            finally:
                streams.close()
            found += len(order)
            rows_compared += len(versions)
    assert found > 150 and rows_compared > 300


def test_a_search_answers_the_same_when_its_one_pass_is_cut(
    histories: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query with NOT and a prefix reads its terms' rows once (READ_LIMIT rows at most, less
    when its matches are sparse); any other query reads its page's entries on from the scan's
    cursor (FOLLOW_ROWS at most).
    Past either the search asks the index again: the answer is the same (only its cost
    differs), for every page."""
    rnd = random.Random(13)
    queries = [_random_not_query(rnd, negated=k % 2 == 0) for k in range(30)]
    pages = [(0, 100), (0, 4), (3, 4), (7, 3)]

    def answers() -> list[list[dict]]:
        return [store.search(q, limit=n, offset=o) for q in queries for o, n in pages]

    with Store(histories) as store:
        whole = answers()
        for limit, sparse in ((-1, 4000), (20, 4000), (40, 0)):
            monkeypatch.setattr(search_streams, "READ_LIMIT", limit)
            monkeypatch.setattr(search_streams, "SPARSE_ROWS", sparse)
            monkeypatch.setattr(search_module, "FOLLOW_ROWS", limit)
            assert answers() == whole
    assert sum(map(len, whole)) > 200
