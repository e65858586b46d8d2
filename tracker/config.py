"""Settings: every default in one place, overridden by a TOML file and then by `TRACKER_*` env vars.

Precedence (lowest first): the defaults below, the TOML file named by `TRACKER_CONFIG` (or passed
explicitly), then environment variables named `TRACKER_<FIELD>` in upper case. Nothing else in the
project reads the environment, so a test can build a `Settings` by hand and know what it gets.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tracker.hosts import allow_entry


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """All tunables of storydiff. Field names map to `TRACKER_<NAME>` environment variables."""

    db: str = "tracker.db"
    db_timeout: float = 10.0

    # fetching
    user_agent: str = "storydiff/0.1 (+https://github.com/storydiff/storydiff)"
    contact_url: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    respect_robots: bool = True
    per_host_concurrency: int = 2
    per_host_gap: float = 1.0
    archive_raw: bool = False
    extract_timeout: float = 60.0  # per page, in the extraction processes
    extract_processes: int = -1  # -1: one per CPU; 0: in the check's thread, without a budget
    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()
    render_js: tuple[str, ...] = ()  # sites whose pages are rendered in chromium (`js` extra)
    render_timeout: float = 20.0  # seconds one page may take to render
    render_contexts: int = 2  # pages rendered at once
    browser_path: str = "/usr/bin/chromium"

    # scheduling
    workers: int = 4
    min_interval: int = 5 * 60
    max_interval: int = 30 * 24 * 3600
    archive_after_days: int = 90
    gone_after_failures: int = 3
    checks_retention: int = 200

    # the queue (tracker run --queue, tracker worker)
    queue_lease: float = 600.0  # seconds a job may take before its story is due again
    queue_heartbeat: float = 15.0  # a worker silent this long is dead: its jobs go elsewhere

    # web
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = ""
    secret_key: str = field(default="", repr=False)
    admin_password: str = field(default="", repr=False)
    api_token: str = field(default="", repr=False)
    private: bool = False
    trusted_proxies: tuple[str, ...] = ()  # reverse proxies whose X-Forwarded-* headers count
    proxy_hops: int = 1  # how many of them stand in front, one behind the other

    # notifications
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: str = "none"  # none | starttls | ssl
    mail_from: str = "storydiff@localhost"
    delivery_max_attempts: int = 8
    outbox_interval: float = 10.0

    # service
    log_level: str = "warning"  # debug | info | warning | error

    # diff
    diff_budget_ms: float = 200.0

    # web archives (tracker backfill)
    archive_cdx_url: str = "https://web.archive.org/cdx/search/cdx"
    archive_replay_url: str = "https://web.archive.org/web/{timestamp}id_/{url}"
    archive_timemap_url: str = ""
    backfill_limit: int = 50

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_FIELDS = {f.name: f for f in fields(Settings)}


def _coerce(name: str, raw: Any) -> Any:
    """Turn a TOML or env value into the field's type, or raise a ConfigError naming it."""
    kind = _FIELDS[name].type
    try:
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "tuple[str, ...]":
            if isinstance(raw, (list, tuple)):
                return tuple(str(x).strip() for x in raw if str(x).strip())
            return tuple(x.strip() for x in str(raw).split(",") if x.strip())
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} as {kind}") from None


def load(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build Settings from an optional TOML file and the environment."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    path = path or env.get("TRACKER_CONFIG")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"config file {path} is not UTF-8 text") from None
        except RecursionError:  # a value nested thousands deep: [[[[...
            raise ConfigError(f"config file {path} is not valid TOML: nested too deeply") from None
        section = data.get("tracker", data)
        for key, raw in section.items():
            if key not in _FIELDS:
                raise ConfigError(f"config file {path}: unknown setting {key!r}")
            values[key] = _coerce(key, raw)
    for key in _FIELDS:
        env_name = f"TRACKER_{key.upper()}"
        if env_name in env:
            values[key] = _coerce(key, env[env_name])
    settings = Settings(**values)
    _check_ranges(settings)
    return settings


_POSITIVE = (
    "db_timeout",
    "connect_timeout",
    "read_timeout",
    "total_timeout",
    "max_body_bytes",
    "workers",
    "min_interval",
    "max_interval",
    "archive_after_days",
    "gone_after_failures",
    "checks_retention",
    "port",
    "smtp_port",
    "delivery_max_attempts",
    "outbox_interval",
    "extract_timeout",
    "diff_budget_ms",
    "per_host_concurrency",
    "proxy_hops",
    "render_timeout",
    "render_contexts",
    "backfill_limit",
    "queue_lease",
    "queue_heartbeat",
)


def _check_allow_entry(entry: str) -> None:
    """An allow-list entry netguard cannot use is an error now, not an entry that never matches."""
    try:
        allow_entry(entry)
    except ValueError as exc:
        text = entry.strip()
        shown = repr(text if len(text) <= 80 else text[:80] + "...")
        raise ConfigError(f"setting 'allow_hosts': cannot use {shown}: {exc}") from None


def _check_ranges(settings: Settings) -> None:
    """Refuse values no part of storydiff can work with, naming the setting."""
    for name in _POSITIVE:
        value = getattr(settings, name)
        if not 0 < value < 10**12:
            raise ConfigError(f"setting {name!r} must be a positive number, not {value!r}")
    if not -1 <= settings.extract_processes <= 256:
        raise ConfigError("setting 'extract_processes' must be -1 (one per CPU), 0 or a count")
    for name in ("retries", "max_redirects", "per_host_gap"):
        if not 0 <= getattr(settings, name) < 10**6:
            raise ConfigError(f"setting {name!r} must be zero or more")
    if settings.extract_timeout > 86400:
        raise ConfigError("setting 'extract_timeout' must be at most a day (86400 s)")
    if settings.port > 65535 or settings.smtp_port > 65535:
        raise ConfigError("ports must be between 1 and 65535")
    for entry in settings.allow_hosts:
        _check_allow_entry(entry)
    if settings.proxy_hops > 16:
        raise ConfigError("setting 'proxy_hops' must be at most 16")
    for entry in settings.trusted_proxies:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            shown = repr(entry if len(entry) <= 80 else entry[:80] + "...")
            raise ConfigError(
                f"setting 'trusted_proxies': {shown} is not an address or network"
            ) from None
    if settings.log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError("setting 'log_level' must be debug, info, warning or error")
    if settings.smtp_security not in ("none", "starttls", "ssl"):
        raise ConfigError("setting 'smtp_security' must be none, starttls or ssl")
