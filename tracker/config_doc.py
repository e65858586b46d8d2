"""Every setting explained: the commented example config, and the effective settings shown by
`tracker config` (secrets masked).

The example is generated from `Settings` and `DOCS` below, and a test compares it with the
checked-in docs/config.example.toml and checks every setting has its line here: a setting
added without a word for users fails the suite.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from tracker.config import Settings

SECTIONS = {
    "db": "database",
    "user_agent": "fetching",
    "workers": "scheduling",
    "queue_lease": "the queue (tracker run --queue, tracker worker)",
    "host": "web",
    "smtp_host": "notifications",
    "log_level": "service",
    "diff_budget_ms": "diff",
    "archive_cdx_url": "web archives (tracker backfill)",
}
DOCS = {
    "db": "SQLite file holding everything (also --db and TRACKER_DB).",
    "db_timeout": "Seconds to wait for another writer before giving up.",
    "user_agent": "User-Agent sent with every request.",
    "contact_url": "A URL or mailto: added to the User-Agent so site owners can reach you.",
    "connect_timeout": "Seconds to connect to a site.",
    "read_timeout": "Seconds to wait for the next bytes of a response.",
    "total_timeout": "Seconds one fetch may take in all, redirects and retries included.",
    "max_body_bytes": "Largest response body read; bigger pages are refused.",
    "max_redirects": "Redirects followed per fetch.",
    "retries": "Retries after a network error or 5xx, with backoff.",
    "respect_robots": "Obey robots.txt (false only for sites you own).",
    "per_host_concurrency": "Requests in flight to one host at a time.",
    "per_host_gap": "Seconds between the starts of two requests to one host.",
    "archive_raw": "Keep each version's fetched page, compressed (for WARC export).",
    "extract_processes": "Processes that read pages: -1 one per CPU, 0 in the check's own thread "
    "(then without a time budget).",
    "extract_timeout": "Seconds a page may take to read in extraction processes.",
    "allow_private": "Let fetching and webhooks reach private and local addresses.",
    "allow_hosts": "Names, addresses or networks (optionally :port) let past the SSRF guard.",
    "render_js": "Sites (or story URLs) whose pages are rendered in chromium (the `js` extra).",
    "render_timeout": "Seconds one page may take to render.",
    "render_contexts": "Pages rendered at once.",
    "browser_path": "The chromium binary used for rendering.",
    "workers": "Checks run at once.",
    "min_interval": "Shortest adaptive check interval, in seconds.",
    "max_interval": "Longest adaptive check interval, in seconds.",
    "archive_after_days": "Stop checking a story this many days after its last change.",
    "gone_after_failures": "Consecutive 404/410 answers before a story is marked gone.",
    "checks_retention": "Check log rows kept per story.",
    "queue_lease": "Seconds a queued check may take before its story is due again.",
    "queue_heartbeat": "Seconds a silent worker is given before its jobs go to another.",
    "host": "Address the web server listens on.",
    "port": "Port the web server listens on.",
    "base_url": "Public URL of the site, for links in notifications and feeds.",
    "secret_key": "Signs sessions and unsubscribe links (default: generated into <db>.secret).",
    "admin_password": "Admin sign-in password (or `tracker set-password`).",
    "api_token": "Bearer token for the API's write calls (or `tracker create-token`).",
    "private": "Reading the web site needs sign-in too.",
    "trusted_proxies": "Reverse proxies (addresses or networks) whose X-Forwarded-* headers count.",
    "proxy_hops": "How many of those proxies stand in front, one behind the other.",
    "smtp_host": "Mail server for email notifications.",
    "smtp_port": "Its port.",
    "smtp_user": "User name, if the server wants one.",
    "smtp_password": "Its password.",
    "smtp_security": "none, starttls or ssl.",
    "mail_from": "From address of notification mail.",
    "delivery_max_attempts": "Attempts before a notification is given up (dead).",
    "outbox_interval": "Seconds between outbox runs.",
    "log_level": "debug, info, warning or error: how much `tracker run` logs.",
    "diff_budget_ms": "Milliseconds one diff may take before it degrades to paragraph level.",
    "archive_cdx_url": "Wayback CDX API that `tracker backfill` asks for a URL's captures.",
    "archive_replay_url": "Where one capture is fetched: {timestamp} and {url} are filled in "
    "(id_ asks the Wayback Machine for the page as captured, without its toolbar).",
    "archive_timemap_url": "A Memento TimeMap (link format) to ask instead of the CDX API, "
    "{url} filled in, e.g. https://timetravel.mementoweb.org/timemap/link/{url}.",
    "backfill_limit": "Most captures `tracker backfill` records per story (spread over time).",
}
SECRETS = frozenset(f.name for f in fields(Settings) if not f.repr)
MASK = "********"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def example() -> str:
    """The example config: every setting, commented out at its default, with what it does."""
    out = [
        "# storydiff settings (TOML). Generated from tracker/config.py by `tracker config",
        "# --example`; every line is the default. Use with --config FILE or TRACKER_CONFIG;",
        "# each setting can also be given as TRACKER_<NAME> in the environment, which wins.",
        "",
        "[tracker]",
    ]
    for f in fields(Settings):
        if f.name in SECTIONS:
            out += ["", f"# --- {SECTIONS[f.name]}"]
        out.append(f"# {DOCS.get(f.name, 'UNDOCUMENTED')}")
        out.append(f"# {f.name} = {_toml(f.default)}")
    return "\n".join(out) + "\n"


def effective(settings: Settings) -> dict[str, Any]:
    """Every setting's value as in force, secrets masked (shown set or empty, never shown)."""
    shown: dict[str, Any] = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if f.name in SECRETS:
            value = MASK if value else ""
        shown[f.name] = list(value) if isinstance(value, tuple) else value
    return shown


def changed(settings: Settings) -> set[str]:
    return {f.name for f in fields(Settings) if getattr(settings, f.name) != f.default}
