"""The failure classes still seen on real pages, each pinned on a small page: generated names that
spell furniture, promos and related lists inside the body, a visible headline under stale
metadata, stamps inside list items. The corpus sweep (test_change_detection) runs them at scale."""

from __future__ import annotations

from tracker.document import Document
from tracker.extract import extract

PARAGRAPHS = (
    "The council voted on Tuesday to close the old harbour bridge for repairs next spring.",
    "Engineers said the work would take at least four months and cost about 2 million euros.",
    "A ferry will run every twenty minutes while the bridge is closed to all traffic.",
    "Shop owners on the quay said they feared a quiet summer without the usual visitors.",
)


def _page(
    *, names: tuple[str, ...] = ("", "", "", ""), between: str = "", title: str = "Bridge to close"
) -> bytes:
    paras = [f'<p class="{n}">{p}</p>' for n, p in zip(names, PARAGRAPHS, strict=True)]
    paras.insert(2, between)
    return (
        "<html><head><title>Bridge to close | Harbour Times</title>"
        '<meta property="og:title" content="Bridge to close">'
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "Bridge to close"}</script>'
        '<link rel="canonical" href="https://harbour.example/news/bridge"></head><body>'
        f'<main><article class="story-body"><h1>{title}</h1>{"".join(paras)}</article></main>'
        "</body></html>"
    ).encode()


def _doc(page: bytes) -> Document:
    return extract(page, "text/html; charset=utf-8", "https://harbour.example/news/bridge")


def test_generated_names_that_spell_furniture_do_not_change_what_is_extracted() -> None:
    plain = _doc(_page(names=("css-1q2w3e",) * 4))
    for names in (
        ("css-k9bar2", "sc-xMetaQ", "Article_p__Nav3x", "jsx-7yin42"),
        ("p-V1St_ad-9", "ember-hidden7", "x9Share-k", "sc-kbarzq"),
        ("p-Gmenu_YX8Zl5S1", "para-gr7up", "Card_text__yin4Q", "story-bar9x"),
    ):
        churned = _doc(_page(names=names))
        assert churned.paragraphs == plain.paragraphs == PARAGRAPHS, names


def test_promos_related_lists_and_teasers_in_the_body_are_not_story() -> None:
    plain = _doc(_page())
    for promo in (
        "<div><p><strong>Get the Morning Briefing.</strong> The day's top stories in your "
        'inbox. <a href="/newsletters">Sign up here.</a></p><input type="email"></div>',
        '<p><strong>Related:</strong></p><ul><li><a href="/news/budget">Council approves '
        'budget after a long night of debate</a></li><li><a href="https://www.harbour.example/'
        'news/storm">Storm warning issued for the coast</a></li></ul>',
        '<p>Download our app to get the latest news. <a href="/app">Get it here</a></p>',
    ):
        assert _doc(_page(between=promo)).fingerprint() == plain.fingerprint(), promo


def test_a_paragraph_about_a_newsletter_linking_elsewhere_is_story() -> None:
    story = (
        '<p>The mayor said residents could sign up for the <a href="https://city.example/'
        "alerts\">city's flood alerts newsletter</a>, which has 3,000 subscribers.</p>"
    )
    doc = _doc(_page(between=story))
    assert any("flood alerts newsletter" in p for p in doc.paragraphs)


def test_the_visible_headline_wins_over_stale_metadata() -> None:
    new = "Bridge closure postponed until the autumn after an outcry"
    page = _page(title=new).replace(b"<title>Bridge to close |", f"<title>{new} |".encode())
    assert _doc(page).title == new
    # A tracking pixel before the <title> ends the head for the parser: the title is still found.
    pixel = page.replace(b"<head>", b'<head><img src="/pixel.gif" alt="">')
    assert _doc(pixel).title == new
    assert _doc(_page()).title == "Bridge to close"


def test_a_stamp_inside_a_list_item_is_not_story_but_an_edit_there_is() -> None:
    items = "<ul><li>Ferries every twenty minutes{}</li><li>Buses over the north bridge</li></ul>"
    plain = _doc(_page(between=items.format("")))
    stamped = _doc(_page(between=items.format("<span>Updated 4:45 PM ET</span>")))
    assert stamped.fingerprint() == plain.fingerprint()
    edited = _doc(_page(between=items.format("").replace("twenty", "thirty")))
    assert edited.fingerprint() != plain.fingerprint()
