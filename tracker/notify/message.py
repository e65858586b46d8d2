"""What a notification says: the JSON payload, the plain text and the HTML of one or more changes.

Every channel renders from the same `Notice` (a change with its story, versions, diff and links),
so a webhook, an email and a chat message about one change always agree.
"""

from __future__ import annotations

import email.errors
import email.header
import html
import unicodedata
from dataclasses import dataclass
from typing import Any

from tracker import render
from tracker.config import Settings
from tracker.diff import DocumentDiff, diff_documents
from tracker.record import document_of
from tracker.store import CHANGE_STATS, Row, Store

MAX_HTML_ROWS = 20
MAX_TEXT_CHARS = 20_000
INS_STYLE = "background:#d7f5dd;color:#0b4f1c;text-decoration:none;padding:0 1px;"
DEL_STYLE = "background:#fbdcdc;color:#8a1111;text-decoration:line-through;padding:0 1px;"
P_STYLE = "margin:0 0 12px 0;line-height:1.5;font-family:Georgia,serif;font-size:16px;"
LABEL_STYLE = "font:12px Arial,sans-serif;color:#666;text-transform:uppercase;letter-spacing:.5px;"


@dataclass
class Notice:
    """One change, ready to announce."""

    change: Row
    story: Row
    old: Row
    new: Row
    ddiff: DocumentDiff
    links: dict[str, str]

    @property
    def title(self) -> str:
        return self.new.get("title") or self.story.get("title") or self.story["url"]


def links(settings: Settings, story_id: int, old: int, new: int) -> dict[str, str]:
    """The diff page, the JSON API and the story page; absolute when base_url is set."""
    base = settings.base_url.rstrip("/")
    return {
        "diff": f"{base}/stories/{story_id}/diff/{old}..{new}",
        "api": f"{base}/api/stories/{story_id}/diff?from={old}&to={new}",
        "story": f"{base}/stories/{story_id}",
    }


def build_notice(store: Store, settings: Settings, change_id: int) -> Notice:
    """Load a change, its two versions and story, and diff them (raises NotFound if gone)."""
    change = store.get_change(change_id)
    story = store.get_story(int(change["story_id"]))
    old = store.get_version(story["id"], int(change["from_version"]))
    new = store.get_version(story["id"], int(change["to_version"]))
    ddiff = diff_documents(document_of(old), document_of(new), budget_ms=settings.diff_budget_ms)
    return Notice(
        change, story, old, new, ddiff, links(settings, story["id"], old["number"], new["number"])
    )


# --------------------------------------------------------------------------- JSON


def change_json(notice: Notice) -> dict[str, Any]:
    change = notice.change
    return {
        "story": {
            "id": notice.story["id"],
            "url": notice.story["url"],
            "title": notice.title,
            "developing": bool(notice.story.get("developing")),
        },
        "versions": {
            "from": {"number": notice.old["number"], "fetched_at": notice.old["fetched_at"]},
            "to": {"number": notice.new["number"], "fetched_at": notice.new["fetched_at"]},
        },
        "change": {
            "id": change["id"],
            "kind": change["kind"],
            "kinds": list(change.get("kinds") or []),
            "summary": change.get("summary"),
            "detected_at": change["detected_at"],
            "stats": {key: change.get(key) for key in CHANGE_STATS},
        },
        "links": notice.links,
    }


def payload(notices: list[Notice], *, subscription_id: int, mode: str, key: str) -> dict[str, Any]:
    """The webhook body: one change (`story.changed`) or a digest of several (`story.digest`)."""
    head = {"subscription": subscription_id, "idempotency_key": key}
    if mode == "instant" and len(notices) == 1:
        return {"event": "story.changed", **head, **change_json(notices[0])}
    return {
        "event": "story.digest",
        **head,
        "digest": mode,
        "changes": [change_json(n) for n in notices],
    }


# --------------------------------------------------------------------------- text


def subject(notices: list[Notice], mode: str = "instant") -> str:
    if len(notices) == 1 and mode == "instant":
        n = notices[0]
        return _oneline(f"Changed: {n.title} ({n.change.get('summary') or n.change['kind']})", 180)
    stories = {n.story["id"] for n in notices}
    period = {"hourly": "Hourly", "daily": "Daily"}.get(mode, "Story")
    return f"{period} digest: {len(notices)} change(s) in {len(stories)} story(ies)"


# Control characters and line/paragraph separators become spaces; invisible format characters
# (bidi overrides, zero-width ones), surrogates and unassigned ones are dropped.
_SAFE = {"Cc": " ", "Zl": " ", "Zp": " ", "Zs": " ", "Cf": "", "Cs": "", "Co": "", "Cn": ""}


def _oneline(text: str, limit: int) -> str:
    """Page text made safe for a mail header or a chat title: one line, no control or format
    characters, and no RFC 2047 encoded word left for a mail library to decode into CR/LF.

    Encoded words are decoded first (twice-encoded ones too), so what is checked is what a
    reader would see; whatever still looks like one afterwards has its `=?` broken up.
    """
    for _ in range(3):
        if "=?" not in text:
            break
        text = _decode_words(text)
    clean = "".join(_SAFE.get(unicodedata.category(ch), ch) for ch in text)
    flat = " ".join(clean.split()).replace("=?", "= ?")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _decode_words(text: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return text


def _headline(notice: Notice) -> str:
    c = notice.change
    return (
        f"{notice.title}\n{notice.story['url']}\n"
        f"version {notice.old['number']} -> {notice.new['number']}, {c['kind']}, "
        f"+{c.get('words_added') or 0}/-{c.get('words_removed') or 0} words: "
        f"{c.get('summary') or ''}"
    )


def text_body(notices: list[Notice], unsubscribe: str | None = None) -> str:
    """Plain text: per change a headline, the word diff ({+added+} [-removed-]) and links."""
    parts = []
    for n in notices:
        diff = render.terminal(n.ddiff, color=False)
        if len(diff) > MAX_TEXT_CHARS:
            diff = diff[:MAX_TEXT_CHARS].rsplit("\n", 1)[0] + "\n…\n"
        parts.append(f"{_headline(n)}\n\n{diff}\nFull diff: {n.links['diff']}\n")
    text = "\n" + ("\n" + "-" * 60 + "\n\n").join(parts)
    if unsubscribe:
        text += f"\n--\nStop these emails: {unsubscribe}\n"
    return text.lstrip("\n")


def brief(notices: list[Notice], limit: int, mode: str = "instant") -> str:
    """A chat-sized message of at most `limit` characters that always ends with the diff link.

    Cuts at line, then word boundaries, dropping diff lines first so the summary and link survive.
    """
    blocks = []
    for n in notices:
        c = n.change
        lines = [
            f"{n.title}: {c.get('summary') or c['kind']} "
            f"(+{c.get('words_added') or 0}/-{c.get('words_removed') or 0} words)"
        ]
        lines += [ln for ln in render.terminal(n.ddiff, color=False).splitlines() if ln.strip()]
        blocks.append((lines, n.links["diff"]))
    budget = max(limit, 40)
    out: list[str] = []
    for lines, link in blocks:
        tail = f"\n{link}"
        room = budget - sum(len(x) + 2 for x in out) - len(tail)
        if room < 20:
            break
        body = _fit("\n".join(lines), room)
        out.append(body + tail)
    text = "\n\n".join(out)
    if len(out) < len(blocks):
        more = f"\n\n(+{len(blocks) - len(out)} more)"
        if len(text) + len(more) <= budget:
            text += more
    return text[:budget]


def _fit(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    cut = text[: room - 1]
    for sep in ("\n", " "):
        at = cut.rfind(sep)
        if at > room // 3:
            cut = cut[:at]
            break
    return cut.rstrip() + "…"


# --------------------------------------------------------------------------- HTML


def _ops_html(row: Any) -> str:
    out = []
    for op in row.ops:
        text = html.escape(op.text)
        if op.op == "insert":
            out.append(f'<ins style="{INS_STYLE}">{text}</ins>')
        elif op.op == "delete":
            out.append(f'<del style="{DEL_STYLE}">{text}</del>')
        else:
            out.append(text)
    return "".join(out)


def _web_link(url: str) -> str:
    """Only http(s) addresses become links in mail (a `javascript:` story URL does not)."""
    return url if url.lower().startswith(("http://", "https://")) else "#"


def _notice_html(n: Notice) -> str:
    e = html.escape
    c = n.change
    parts = [
        f'<h2 style="font:bold 20px Arial,sans-serif;margin:0 0 4px 0;">'
        f'<a href="{e(_web_link(n.story["url"]))}" style="color:#111;">{e(n.title)}</a></h2>',
        f'<p style="{LABEL_STYLE}margin:0 0 12px 0;">version {n.old["number"]} &rarr; '
        f"{n.new['number']} &middot; {e(c['kind'])} &middot; +{c.get('words_added') or 0} / "
        f"&minus;{c.get('words_removed') or 0} words</p>",
    ]
    if c.get("summary"):
        parts.append(f'<p style="{P_STYLE}font-style:italic;">{e(c["summary"])}</p>')
    for name, (old, new) in n.ddiff.fields.items():
        parts.append(
            f'<p style="{P_STYLE}"><span style="{LABEL_STYLE}">{e(name)}</span><br>'
            f'<del style="{DEL_STYLE}">{e(old or "")}</del> '
            f'<ins style="{INS_STYLE}">{e(new or "")}</ins></p>'
        )
    rows = [r for r in n.ddiff.body.changed_rows() if r.kind != "moved_from"]
    for row in rows[:MAX_HTML_ROWS]:
        label = {"added": "added", "removed": "removed", "moved_to": "moved"}.get(row.kind)
        tag = f'<span style="{LABEL_STYLE}">{label}</span><br>' if label else ""
        parts.append(f'<p style="{P_STYLE}">{tag}{_ops_html(row)}</p>')
    if len(rows) > MAX_HTML_ROWS:
        parts.append(f'<p style="{P_STYLE}">… and {len(rows) - MAX_HTML_ROWS} more.</p>')
    parts.append(
        f'<p style="{P_STYLE}"><a href="{e(n.links["diff"])}" style="color:#1a56b8;">'
        "See the full diff</a></p>"
    )
    return "\n".join(parts)


def html_body(notices: list[Notice], unsubscribe: str | None = None, mode: str = "instant") -> str:
    """A table-free, inline-styled page: survives Gmail, Outlook and clients that strip <style>."""
    sep = '\n<hr style="border:0;border-top:1px solid #ddd;margin:24px 0;">\n'
    body = sep.join(_notice_html(n) for n in notices)
    foot = ""
    if unsubscribe:
        foot = (
            f'<p style="{LABEL_STYLE}margin-top:32px;text-transform:none;">'
            f'<a href="{html.escape(unsubscribe)}" style="color:#666;">Unsubscribe</a> '
            "from these emails.</p>"
        )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(subject(notices, mode))}</title></head>\n"
        '<body style="margin:0;padding:16px;background:#ffffff;color:#111;">\n'
        f'<div style="max-width:640px;margin:0 auto;">\n{body}\n{foot}\n</div>\n</body></html>\n'
    )
