"""The reading pages through Flask's test client: what a reader sees on each page."""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from web_support import add_story, doc

from tracker import seeds
from tracker.diff import DocumentDiff, Op, Row, diff_documents
from tracker.store import Store
from web import diffview


def text_of(html: bytes) -> str:
    """Visible-ish text: tags dropped, whitespace folded (enough for 'does the reader see X')."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))


LONG = [f"Unchanged paragraph number {i} about the council budget." for i in range(12)]


def test_stories_list_shows_each_story_with_its_figures(store: Store, client: FlaskClient) -> None:
    sid = seeds.install(store)
    r = client.get("/")
    assert r.status_code == 200
    html = r.data.decode()
    assert f'href="/stories/{sid}"' in html
    assert seeds.SEED_TITLE in html
    assert "storydiff.invalid" in html
    row = html[html.index(seeds.SEED_TITLE) :].split("</li>")[0]
    assert "2 versions" in row
    change = store.list_changes(story_id=sid)[0]
    assert f">+{change['words_added']}<" in row and f">−{change['words_removed']}<" in row
    for kind in change["kinds"][:3]:
        assert f"kind-{kind}" in row  # what kind of change, not only its size
    assert f'href="/stories/{sid}/diff/1..2"' in row  # the latest diff, one click away
    assert "developing" in row  # the seed ends with "(More to come)"


def test_search_finds_text_that_was_later_removed(store: Store, client: FlaskClient) -> None:
    sid = add_story(
        store,
        "https://news.example/a",
        [doc("The minister resigned on Tuesday.", title="Minister"), doc("The minister stayed.")],
    )
    add_story(store, "https://news.example/b", [doc("Nothing about that here.", title="Other")])
    html = client.get("/?q=resigned").data.decode()
    assert f'href="/stories/{sid}/versions/1"' in html
    assert "<mark>resigned</mark>" in html
    assert "/stories/2" not in html.split('class="story-list"')[1]
    assert "No version of any story" in client.get("/?q=zebra").data.decode()


def test_filters_sorting_and_pagination(store: Store, app: Flask, client: FlaskClient) -> None:
    for i in range(120):
        store.add_story(
            f"https://site{i % 2}.example/s{i}", title=f"Story {i:03d}", site=f"site{i % 2}.example"
        )
    store.update_story(5, state="paused")
    first = client.get("/?sort=title").data.decode()
    assert "Page 1 of 3 (120 stories)" in first
    assert first.index("Story 000") < first.index("Story 001")
    last = client.get("/?sort=title&page=3").data.decode()
    assert last.count('class="title"') == 20
    assert 'rel="next"' not in last and 'rel="prev"' in last
    site = client.get("/?site=site1.example&sort=title").data.decode()
    assert "(60 stories)" in site and "Story 001" in site and "Story 000" not in site
    assert 'href="/?site=site1.example&amp;sort=title&amp;page=2"' in site  # filters survive paging
    paused = client.get("/?state=paused").data.decode()
    assert "(1 story)" in paused and "Story 004" in paused
    assert "No stories match" in client.get("/?recent=1").data.decode()


@pytest.mark.parametrize(
    "query", ["page=abc", "page=0", "sort=evil", "state=bogus", "feed=-1", "limit=100000"]
)
def test_bad_list_arguments_get_a_friendly_400(client: FlaskClient, query: str) -> None:
    r = client.get(f"/?{query}")
    assert r.status_code == 400
    assert b"Traceback" not in r.data
    assert b"must be" in r.data and b"<h1>Bad Request</h1>" in r.data


def test_story_page_has_history_log_timeline_and_compare(store: Store, client: FlaskClient) -> None:
    sid = add_story(
        store,
        "https://news.example/quake",
        [
            doc("A quake struck.", title="Quake hits city"),
            doc("A quake struck.", "Ten people were hurt.", title="Quake hits city"),
            doc("A strong quake struck.", "Ten people were hurt.", title="Quake kills two"),
        ],
    )
    html = client.get(f"/stories/{sid}").data.decode()
    history = html[html.index("Headline history") :]
    assert history.index("Quake kills two") < history.index("Quake hits city")
    log = html[html.index("Change log") :]
    assert "headline changed" in log
    assert f'href="/stories/{sid}/diff/2..3"' in log and f'href="/stories/{sid}/diff/1..2"' in log
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<rect") == 2 and svg.count("<circle") == 1
    assert "version 3" in svg and "<title>" in svg
    assert '<select name="a"' in html and f'action="/stories/{sid}/diff"' in html


def test_diff_page_side_by_side_then_inline(store: Store, client: FlaskClient) -> None:
    sid = add_story(
        store,
        "https://news.example/council",
        [
            doc(*LONG, "The mayor said the plan was fine.", title="Budget passes"),
            doc(
                *LONG,
                "The mayor said the plan was a disaster.",
                "A vote follows.",
                title="Budget fails",
            ),
        ],
    )
    r = client.get(f"/stories/{sid}/diff")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/stories/{sid}/diff/1..2")
    html = client.get(f"/stories/{sid}/diff/1..2").data.decode()
    assert "Older:" in html and "Newer:" in html
    assert html.index("version 1") < html.index("version 2")
    assert 'class="diff side"' in html
    assert '<del><span class="vh">[deleted: </span>fine' in html
    assert "a disaster" in html and "<ins>" in html
    assert "Show 11 unchanged paragraphs" in html  # 12 equal, one kept as context
    fields = html.index('class="fields"')
    assert fields < html.index('id="diff"')
    table = html[fields : html.index("</table>", fields)]
    assert "Budget" in table
    assert "[deleted: </span>passes" in table and "[inserted: </span>fails" in table
    assert 'id="change-1"' in html and 'id="change-2"' in html and 'id="change-3"' not in html
    inline = client.get(f"/stories/{sid}/diff/1..2?view=inline").data.decode()
    assert 'class="diff inline"' in inline and 'id="view-inline" aria-current="page"' in inline
    assert "A vote follows." in inline


def test_diff_permalinks_and_version_pickers(store: Store, client: FlaskClient) -> None:
    sid = add_story(store, "https://news.example/x", [doc("one"), doc("two"), doc("three")])
    r = client.get(f"/stories/{sid}/diff?a=1&b=3&view=inline")
    assert r.headers["Location"].endswith(f"/stories/{sid}/diff/1..3?view=inline")
    assert client.get(f"/stories/{sid}/diff/3..1").headers["Location"].endswith("/diff/1..3")
    html = client.get(f"/stories/{sid}/diff/1..3").data.decode()
    assert re.search(r'<option value="1" data-datetime="[^"]+" selected>', html)
    assert re.search(r'<option value="3" data-datetime="[^"]+" selected>', html)
    assert "later revision" not in html and "earlier revision" not in html
    middle = client.get(f"/stories/{sid}/diff/2..2").data.decode()
    assert "Text: no changes" in middle


def test_moved_paragraphs_link_both_ways(app: Flask, store: Store) -> None:
    old, new = (
        doc("Alpha para.", "Beta para.", "Gamma para."),
        doc("Beta para.", "Gamma para.", "Alpha para!"),
    )
    base = diff_documents(old, new)
    rows = [
        Row("moved_from", 0, None, "Alpha para.", None, [], move_id=7),
        Row("equal", 1, 0, "Beta para.", "Beta para."),
        Row("equal", 2, 1, "Gamma para.", "Gamma para."),
        Row(
            "moved_to",
            0,
            2,
            "Alpha para.",
            "Alpha para!",
            [Op("equal", "Alpha "), Op("delete", "para."), Op("insert", "para!")],
            move_id=7,
        ),
    ]
    base.body.rows = rows
    dv = diffview.build(DocumentDiff(base.body, {}))
    sid = add_story(store, "https://news.example/m", [old, new])
    with app.test_request_context(f"/stories/{sid}/diff/1..2"):
        html = render_template(
            "pages/diff.html",
            story=store.get_story(sid),
            old=store.get_version(sid, 1),
            new=store.get_version(sid, 2),
            dv=dv,
            view="side",
            versions=store.list_versions(sid),
            change=None,
            other_view="inline",
        )
    assert 'id="move-7-from"' in html and 'href="#move-7-to"' in html
    assert 'id="move-7-to"' in html and 'href="#move-7-from"' in html
    assert "moved away" in html and "moved here" in html
    assert "[inserted: </span>para!" in html


def test_version_page_and_raw_archive(store: Store, client: FlaskClient) -> None:
    sid = add_story(
        store,
        "https://news.example/v",
        [doc("First para.", "Second para.", title="T", byline="By Ann")],
    )
    html = client.get(f"/stories/{sid}/versions/1").data.decode()
    assert "<p>First para.</p>" in html and "<p>Second para.</p>" in html
    assert "By Ann" in html and "2024-11-10 01:00 UTC" in html
    assert "/raw" not in html
    assert client.get(f"/stories/{sid}/versions/1/raw").status_code == 404
    store.record_version(
        sid, doc("Third."), raw=b"<html><script>alert(1)</script></html>", raw_type="text/html"
    )
    html = client.get(f"/stories/{sid}/versions/2").data.decode()
    assert f'href="/stories/{sid}/versions/2/raw"' in html
    raw = client.get(f"/stories/{sid}/versions/2/raw")
    assert raw.mimetype == "text/plain"
    assert raw.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in raw.headers["Content-Security-Policy"]
    assert raw.data == b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(
    "path",
    [
        "/stories/999",
        "/stories/1/versions/9",
        "/stories/1/diff/1..9",
        "/stories/0",
        "/stories/abc",
        "/stories/123456789012345678901234567890",
        "/stories/1/diff/x..y",
    ],
)
def test_missing_things_are_friendly_404s(store: Store, client: FlaskClient, path: str) -> None:
    add_story(store, "https://news.example/one", [doc("only")])
    r = client.get(path)
    assert r.status_code == 404
    assert b"Back to the stories" in r.data and b"Traceback" not in r.data


def test_story_without_versions(store: Store, client: FlaskClient) -> None:
    sid, _ = store.add_story("https://news.example/new")
    assert b"No version recorded yet" in client.get(f"/stories/{sid}").data
    r = client.get(f"/stories/{sid}/diff")
    assert r.status_code == 404 and b"no versions yet" in r.data
