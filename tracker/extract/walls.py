"""Walls: pages in front of the story (consent, paywall, bot challenge, login, not found).

A wall served in place of the article must not become a version: it would announce the story's
text as deleted, then announce it back. A page is a wall only when it is short (under
`SHORT_WORDS` words of article, or under `COLLAPSE` of the previous version's length) *and*
carries a marker of one kind: its title or headline, its structure (challenge scripts, the
vendors' element ids, a password form) or a phrase only walls use ("subscribe to continue
reading", "please enable JavaScript to view"). A long page is never a wall, so an article that
talks about cookies, subscriptions, 404 errors or JavaScript is recorded as usual.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracker.document import Document, tidy

SHORT_WORDS = 120
BARE_WORDS = 30
COLLAPSE = 0.4
_SCAN_CHARS = 400_000


@dataclass(frozen=True)
class Wall:
    """What stood in front of the story: `kind` and a sentence saying how it was recognised."""

    kind: str
    reason: str


# Markers in the markup: (kind, words for people, pattern). The bot-challenge ones appear only
# on the challenge pages themselves (the vendors' scripts that run on every page are not here);
# the others can sit on an ordinary page too (a consent overlay, a site-wide sign-in box), so
# they count only for a page left nearly bare.
_CHALLENGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a bot challenge (Cloudflare)",
        re.compile(
            r"/cdn-cgi/challenge-platform/h/|\bcf_chl_opt\b|\bcf-chl-\w|id=[\"']challenge-"
            r"(?:form|running|body-text|stage)|class=[\"'][^\"']*\bcf-browser-verification",
            re.I,
        ),
    ),
    ("a bot challenge (DataDome)", re.compile(r"captcha-delivery\.com", re.I)),
    (
        "a bot challenge (Akamai)",
        re.compile(r"errors\.edgesuite\.net|/_sec/cp_challenge/|\bbm-verify\b", re.I),
    ),
    ("a bot challenge (PerimeterX / HUMAN)", re.compile(r"id=[\"']px-captcha", re.I)),
    ("a bot challenge (Imperva)", re.compile(r"Incapsula incident ID", re.I)),
)
_OVERLAYS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "consent",
        "a consent wall",
        re.compile(
            r"consent\.(?:google|yahoo|youtube)\.com|guce\.(?:yahoo|oath)\.com"
            r"|id=[\"'](?:sp_message_container|qc-cmp2-ui|didomi-host|cmpbox)"
            r"|class=[\"'][^\"']*\b(?:consent-wall|cookie-wall|gdpr-wall)\b",
            re.I,
        ),
    ),
    (
        "paywall",
        "a paywall",
        re.compile(
            r"class=[\"'][^\"']*\b(?:paywall|piano-(?:offer|paywall)|tp-modal|meteredContent)\b"
            r"|id=[\"'](?:paywall|piano-paywall)",
            re.I,
        ),
    ),
    ("login", "a sign-in form", re.compile(r"<input\b[^>]*type=[\"']?password", re.I)),
)

# Titles and headlines that name the wall itself (the part before a " | Site" suffix, in a few
# words: "Sign in with Apple comes to Android" is a story, "Page not found" is not).
_TITLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "challenge",
        re.compile(
            r"^(?:just a moment|one moment,? please|please wait|checking your browser"
            r"|attention required|access denied|are you a (?:robot|human)|verify you are (?:a )?"
            r"human|security check|bot verification|ddos-guard|pardon our interruption"
            r"|you have been blocked|request (?:blocked|unsuccessful))\b",
            re.I,
        ),
    ),
    (
        "consent",
        re.compile(
            r"^(?:before you continue|we value your privacy|your privacy choices"
            r"|cookie (?:consent|settings|preferences)|privacy (?:settings|consent))\b",
            re.I,
        ),
    ),
    ("login", re.compile(r"^(?:sign ?in|log ?in|login|sign in required|login required)$", re.I)),
    (
        "not_found",
        re.compile(
            r"^(?:(?:error )?404(?: error| page| not found)?|(?:page|file)? ?not found"
            r"|page (?:does not|doesn't) exist|(?:oops|sorry)\W*(?:page not found|not found)?"
            r"|(?:sorry,? )?(?:we|this page) (?:can(?:no|')t|could(?:n't| not)) (?:be )?f(?:ou|i)nd"
            r".{0,30}|article not found|story not found|content (?:not found|unavailable)"
            r"|this page (?:is no longer available|has been removed|isn't available))\W*$",
            re.I,
        ),
    ),
)
_TITLE_WORDS = 8
_SHORT_KINDS = ("challenge", "not_found")

# Phrases only a wall says, matched in the page's visible text.
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "challenge",
        re.compile(
            r"enable (?:javascript|js) and cookies to continue|checking (?:if the site connection"
            r" is secure|your browser before accessing)|verify(?:ing)? (?:that )?you are (?:a )?"
            r"human|unusual traffic from your (?:computer|network)|press (?:&|and) hold"
            r"|needs to review the security of your connection",
            re.I,
        ),
    ),
    (
        "javascript",
        re.compile(
            r"(?:please |you (?:need|must) (?:to )?)?(?:enable|turn on) javascript"
            r"(?: in your browser)? to (?:view|see|read|use|run|continue|access)"
            r"|(?:this (?:site|page|app)|we) requires? javascript"
            r"|javascript is (?:disabled|required|not enabled)",
            re.I,
        ),
    ),
    (
        "consent",
        re.compile(
            r"(?:accept|agree to) (?:all )?(?:cookies|the use of cookies) to (?:continue|"
            r"access|read|view)|we and our (?:\d+ )?partners (?:store|use|process)"
            r"|manage (?:your )?(?:cookie|privacy) (?:settings|preferences|choices)"
            r"|reject all\W+accept all|accept all\W+reject all",
            re.I,
        ),
    ),
    (
        "paywall",
        re.compile(
            r"subscribe (?:now )?to (?:continue|keep) reading|(?:to )?continue reading,? "
            r"(?:please )?(?:subscribe|sign in|log in|become a)|(?:this (?:article|story|content)"
            r" is )?(?:available |reserved )?(?:only |exclusively )?for (?:paying )?subscribers"
            r"(?: only)?\W|already a subscriber\?|you(?:'ve| have) (?:reached|used) (?:your|all)"
            r" (?:\w+ )?(?:free|complimentary) (?:articles|stories)|subscriber[- ]only content"
            r"|unlock (?:this|the full) (?:article|story)",
            re.I,
        ),
    ),
    (
        "login",
        re.compile(
            r"(?:sign|log) ?in to (?:continue|read|view|access|see)|please (?:sign|log) ?in"
            r"|create a free account to (?:continue|read)|you must be logged in",
            re.I,
        ),
    ),
)

_WORDS = {
    "challenge": "a bot challenge",
    "javascript": "a page that needs JavaScript to show the story",
    "consent": "a consent wall",
    "paywall": "a paywall teaser",
    "login": "a sign-in page",
    "not_found": "a 'not found' page (soft 404)",
}

_RAW_TEXT = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | re.I)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)


def _visible(html: str) -> str:
    import html as htmllib

    return tidy(htmllib.unescape(_TAG.sub(" ", _RAW_TEXT.sub(" ", html))))


def _plain(raw: str) -> str:
    import html as htmllib

    return tidy(htmllib.unescape(_TAG.sub(" ", raw)))


def _lost_path(url: str | None, final_url: str | None) -> bool:
    """Redirected from an article's address to the site's front page: the article is gone."""
    if not url or not final_url:
        return False
    before, after = urlsplit(url), urlsplit(final_url)
    return len(before.path.strip("/")) > 0 and after.path.strip("/") == "" and not after.query


def _head(raw: str) -> str:
    """A title without its " | Site name" or " - Site name" suffix."""
    return re.split(r"\s[|–—-]\s|\s\|", _plain(raw), maxsplit=1)[0].strip()


def detect_wall(
    html: str | Callable[[], str],
    doc: Document | None,
    previous: Document | None = None,
    *,
    url: str | None = None,
    final_url: str | None = None,
) -> Wall | None:
    """The wall this page is, or None when it may be the story.

    `html` may be a function that decodes the page: most pages are articles, and are told
    apart by their word count without reading it.
    `doc` is what extraction made of the page (None when it found no article at all);
    `previous` the story's last recorded version, for the length collapse. A bot challenge or
    a "not found" page is recognised on a short page (under SHORT_WORDS words); everything
    else (consent, paywall, sign-in, JavaScript-only, a redirect to the front page) only on a
    bare page (under BARE_WORDS) or one that collapsed against the previous version.
    """
    words = doc.word_count if doc is not None else 0
    before = previous.word_count if previous is not None else 0
    collapsed = before >= SHORT_WORDS and words < before * COLLAPSE
    if words >= SHORT_WORDS and not collapsed:
        return None
    bare = collapsed or words < BARE_WORDS
    html = (html() if callable(html) else html)[:_SCAN_CHARS]
    how = f"{words} words of article" + (f" where the last version had {before}" if before else "")
    title = _TITLE.search(html)
    heads = [_head(title.group(1))] if title else []
    heads += [_head(m.group(1)) for m in _H1.finditer(html)][:3]
    for kind, pattern in _TITLES:
        if kind not in _SHORT_KINDS and not bare:
            continue
        for head in heads:
            if head and len(head.split()) <= _TITLE_WORDS and pattern.search(head):
                return Wall(kind, f"{_WORDS[kind]}: titled {head!r}, {how}")
    for words_for, pattern in _CHALLENGES:
        if m := pattern.search(html):
            return Wall("challenge", f"{words_for}: {m.group(0)[:60]!r} in the page, {how}")
    if not bare:
        return None
    for kind, words_for, pattern in _OVERLAYS:
        if m := pattern.search(html):
            return Wall(kind, f"{words_for}: {m.group(0)[:60]!r} in the page, {how}")
    text = _visible(html)
    for kind, pattern in _PHRASES:
        if m := pattern.search(text):
            return Wall(kind, f"{_WORDS[kind]}: it says {tidy(m.group(0))[:80]!r}, {how}")
    if _lost_path(url, final_url):
        return Wall("not_found", f"{_WORDS['not_found']}: redirected to the front page, {how}")
    return None
