"""Search over what each version introduced: every phrase ever present is found, one result per
story says when it entered and left, by site too, on the CLI (--json), the page and the API."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import main
from tracker.document import Document
from tracker.record import record
from tracker.store import Store

SENTENCE = "The bridge will close for repairs on Monday."


def doc(*paras: str, title: str = "Bridge works") -> Document:
    return Document.build(title=title, paragraphs=list(paras))


def add(store: Store, url: str, docs: list[Document]) -> int:
    story_id, _ = store.add_story(url, site=url.split("/")[2].removeprefix("www."))
    for i, d in enumerate(docs):
        store.record_version(story_id, d, fetched_at=f"2024-05-01T00:0{i}:00Z")
    return story_id


def flipping(store: Store) -> int:
    """A story whose sentence enters in v2, leaves in v4, comes back in v5 (edited elsewhere)."""
    return add(
        store,
        "https://news.example/bridge",
        [
            doc("Traffic is heavy in the city."),
            doc("Traffic is heavy in the city.", SENTENCE),
            doc("Traffic is very heavy in the city.", SENTENCE),
            doc("Traffic is very heavy in the city."),
            doc("Traffic eased.", SENTENCE),
            doc("Traffic eased by noon.", SENTENCE),
        ],
    )


def test_a_result_says_when_a_sentence_entered_and_left(store: Store) -> None:
    story_id = flipping(store)
    add(store, "https://other.example/x", [doc("Nothing about repairs or bridges.")])
    (hit,) = store.search(f'"{SENTENCE}"')
    assert hit["id"] == story_id
    assert (hit["entered"], hit["left"], hit["present"]) == ([2, 5], [4], True)
    assert hit["match_version"] == 6 and "\x02The bridge will close" in hit["match_snippet"]
    (hit,) = store.search("very heavy")  # removed in v5, never back
    assert (hit["entered"], hit["left"], hit["present"]) == ([3], [5], False)
    assert [h["id"] for h in store.search("repai*")] == [story_id + 1, story_id]  # newest first
    assert [h["id"] for h in store.search("repairs NOT Monday")] == [story_id + 1]
    assert [h["id"] for h in store.search("nowhere OR bridges")] == [story_id + 1]


def test_search_by_site_pages_and_hostile_queries(store: Store) -> None:
    ids = [add(store, f"https://www.site{i % 2}.example/{i}", [doc(SENTENCE)]) for i in range(6)]
    add(store, "https://news.site0.example/sub", [doc(SENTENCE)])
    assert len(store.search("bridge", site="site0.example")) == 4  # with the subdomain
    assert [h["id"] for h in store.search("bridge", site="news.site0.example")] == [7]
    newest_first = [h["id"] for h in store.search("bridge", limit=3)]
    assert newest_first == [7, ids[5], ids[4]]
    assert [h["id"] for h in store.search("bridge", limit=3, offset=3)] == ids[3:0:-1]
    for hostile in ['"', "NEAR(a b)", "*", "a:b", "{added}: x", "bridge)", "'; DROP TABLE x", "^"]:
        assert isinstance(store.search(hostile), list)
    assert store.counts()["stories"] == 7


def test_cli_search_json(db_path: Path) -> None:
    with Store(db_path) as store:
        story_id = flipping(store)
    result = CliRunner().invoke(main, ["--db", str(db_path), "search", "very", "heavy", "--json"])
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.output)
    assert hit["id"] == story_id and (hit["entered"], hit["left"]) == ([3], [5])
    assert "\x02" not in hit["match_snippet"] and "very heavy" in hit["match_snippet"]
    result = CliRunner().invoke(main, ["--db", str(db_path), "search", SENTENCE])
    assert "v2–v3, v5–now" in result.output


def test_page_and_api_show_entered_and_left(store: Store, client) -> None:
    story_id = flipping(store)
    data = client.get("/api/stories?q=very+heavy").get_json()
    (hit,) = data["stories"] if "stories" in data else data["items"]
    assert hit["id"] == story_id and (hit["entered"], hit["left"]) == ([3], [5])
    html = client.get("/?q=very+heavy").data.decode()
    assert f'entered in <a href="/stories/{story_id}/versions/3">v3</a>' in html
    assert f'left in <a href="/stories/{story_id}/versions/5">v5</a>' in html


def test_entered_and_left_match_every_version_over_long_histories(store: Store) -> None:
    """Where a sentence left is found by probing versions after it entered: over long random
    histories the answer must equal reading every version."""
    import random

    rnd = random.Random(7)
    for trial in range(6):
        presence = []
        on = False
        for _ in range(45):
            if rnd.random() < 0.15:
                on = not on
            presence.append(on)
        if not any(presence):
            presence[rnd.randrange(45)] = True
        docs = [
            doc(f"Update {n} of the day, trial {trial}.", *([SENTENCE] if here else []))
            for n, here in enumerate(presence)
        ]
        story_id = add(store, f"https://news.example/t{trial}", docs)
        expected_in = [
            n + 1 for n, p in enumerate(presence) if p and (n == 0 or not presence[n - 1])
        ]
        expected_out = [n + 1 for n, p in enumerate(presence) if not p and n and presence[n - 1]]
        (hit,) = [h for h in store.search(f'"{SENTENCE}"', limit=50) if h["id"] == story_id]
        assert (hit["entered"], hit["left"], hit["present"]) == (
            expected_in,
            expected_out,
            presence[-1],
        )
        assert presence[hit["match_version"] - 1]  # the snippet is from a version that has it


def test_a_page_of_flickering_stories_costs_a_bounded_number_of_checks(
    store: Store, monkeypatch
) -> None:
    """Where a phrase left is found by reading versions; a page of long live stories whose
    phrase comes and goes must not read them all: past PROBE_LIMIT texts the remaining stories
    say `complete: False`, and what they do say (first entry, present now) is still right."""
    from tracker.store import search as search_module

    ids = []
    for s in range(4):
        docs = [
            doc(f"Update {n} in story {s}.", *([SENTENCE] if (n // 2) % 2 == 0 else []))
            for n in range(24 + s)
        ]
        ids.append(add(store, f"https://live{s}.example/blog", docs))
    full = {h["id"]: h for h in store.search(f'"{SENTENCE}"')}
    assert all(full[i]["complete"] for i in ids) and len(full[ids[0]]["left"]) == 6
    monkeypatch.setattr(search_module, "PROBE_LIMIT", 12)
    cut = {h["id"]: h for h in store.search(f'"{SENTENCE}"')}
    assert set(cut) == set(full)
    assert not all(cut[i]["complete"] for i in ids)
    for i in ids:
        assert cut[i]["entered"][0] == full[i]["entered"][0] == 1
        assert cut[i]["present"] == full[i]["present"]
        if cut[i]["complete"]:
            assert (cut[i]["entered"], cut[i]["left"]) == (full[i]["entered"], full[i]["left"])


def test_a_long_story_does_not_hide_the_others_on_its_page(store: Store) -> None:
    """A live blog whose sentence came and went 125 times is read up to EVENT_LIMIT versions;
    its oldest matches must not take the page's whole share, or a story matched once (newer)
    vanished from the results, and a NOT query failed outright."""
    blog, _ = store.add_story("https://news.example/live")
    store.load_history(
        blog,
        [
            (
                doc(f"Update {n}.", *([SENTENCE] if n % 2 == 0 else [])),
                f"2024-04-{1 + n // 24:02d}T{n % 24:02d}:00:00Z",
                None,
                None,
            )
            for n in range(250)
        ],
    )
    once = add(store, "https://other.example/bridge", [doc("Roads are quiet.", SENTENCE)])
    for query in (f'"{SENTENCE}"', f'"{SENTENCE}" NOT tunnel'):
        found = {h["id"]: h for h in store.search(query, limit=2)}
        assert set(found) == {blog, once}, query
        assert (found[once]["entered"], found[once]["present"], found[once]["complete"]) == (
            [1],
            True,
            True,
        )
        assert (found[blog]["present"], found[blog]["complete"]) == (False, False)


def test_an_older_version_backfilled_into_a_long_story_is_where_it_entered(store: Store) -> None:
    """A story read up to EVENT_LIMIT matching versions must read its first ones by number: a
    version backfilled before the others (a newer id, version 1) is where the sentence entered."""
    blog, _ = store.add_story("https://news.example/live")
    store.load_history(
        blog,
        [
            (
                doc(f"Update {n}.", *([SENTENCE] if n % 2 == 0 else [])),
                f"2024-05-{1 + n // 24:02d}T{n % 24:02d}:00:00Z",
                None,
                None,
            )
            for n in range(130)
        ],
    )
    record(store, blog, doc("Early news.", SENTENCE), fetched_at="2024-01-01T00:00:00Z")
    (hit,) = store.search(f'"{SENTENCE}"')
    assert store.get_version(blog, 1)["text"].endswith(SENTENCE)
    assert (hit["entered"][:2], hit["left"][:1], hit["complete"]) == ([1, 4], [3], False)
