"""URL validation and normalisation, settings precedence, developing-story markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker import config
from tracker.document import Document
from tracker.markers import developing_markers, is_developing
from tracker.urls import BadURL, normalize, site


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "HTTPS://News.Example.COM:443/a/b?utm_source=tw&id=7#frag",
            "https://news.example.com/a/b?id=7",
        ),
        ("http://news.example:80", "http://news.example/"),
        ("http://news.example:8080/x?fbclid=abc&gclid=1", "http://news.example:8080/x"),
        ("https://news.example/%7Euser/caf%C3%A9", "https://news.example/~user/caf%C3%A9"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://a.example/x%2Fy%25z?12345&utm_medium=m", "https://a.example/x%2Fy%25z?12345"),
        ("https://a.example/café?q=a+b&share=1", "https://a.example/caf%C3%A9?q=a+b&share=1"),
    ],
)
def test_normalize(raw: str, clean: str) -> None:
    assert normalize(raw) == clean


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "ftp://news.example/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://news.example/a b",
        "https://a\\b.example/",
        "https://" + "a" * 3000 + ".example/",
        "https://news.example:99999/",
        "//news.example/x",
        "https://u:p@news.example/",
        "data:text/html,<script>alert(1)</script>",
        "http://[::1",
        "https://news.example/\x00",
    ],
)
def test_bad_urls_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(BadURL) as err:
        normalize(bad)
    assert str(err.value)


def test_site_drops_www() -> None:
    assert site("https://www.reuters.com/world/x") == "reuters.com"


def test_secrets_stay_out_of_settings_repr() -> None:
    s = config.load(env={"TRACKER_API_TOKEN": "tok-123", "TRACKER_SMTP_PASSWORD": "pw-456"})
    assert "tok-123" not in repr(s) and "pw-456" not in repr(s)


def test_settings_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "storydiff.toml"
    toml.write_text('[tracker]\nworkers = 7\nport = 9000\nallow_hosts = ["127.0.0.1"]\n')
    s = config.load(toml, env={"TRACKER_PORT": "9100", "TRACKER_ALLOW_PRIVATE": "yes"})
    assert (s.workers, s.port, s.allow_private, s.allow_hosts) == (7, 9100, True, ("127.0.0.1",))
    assert config.load(env={}).port == 8000


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("workers = 'many'\n", {}, "workers"),
        ("colour = 'blue'\n", {}, "unknown setting 'colour'"),
        ("not toml ===\n", {}, "not valid TOML"),
        ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", {}, "not valid TOML: nested too deeply"),
        ("", {"TRACKER_ALLOW_PRIVATE": "perhaps"}, "allow_private"),
        ("", {"TRACKER_DIFF_BUDGET_MS": "0"}, "diff_budget_ms"),
        ("", {"TRACKER_DB_TIMEOUT": "inf"}, "db_timeout"),
        ("", {"TRACKER_SMTP_SECURITY": "tls"}, "smtp_security"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, toml: str, env: dict, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(config.ConfigError, match=message):
        config.load(path, env=env)


def test_a_config_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"user_agent = 'caf\xe9'\n")  # Latin-1
    with pytest.raises(config.ConfigError, match="is not UTF-8 text"):
        config.load(path, env={})


@pytest.mark.parametrize(
    "text",
    [
        "Peskov said more. (More to come)",
        "This story is developing and will be updated.",
        "UPDATE: police have named the suspect.",
        "UPDATE\n1:35 p.m. Police have named the suspect.",
        "MEHR IN KÜRZE",
        "Em atualização",
        "Developing story: fire downtown",
        "Live updates: election night",
        "Mehr in Kürze.",
        "Noticia en desarrollo",
    ],
)
def test_developing_markers_found(text: str) -> None:
    assert developing_markers(text)
    assert is_developing(Document.build(paragraphs=["Intro.", text]))


def test_no_marker_in_a_finished_story() -> None:
    doc = Document.build(
        title="Treaty signed",
        paragraphs=["The treaty came into force.", "More people came to the rally."],
    )
    assert not is_developing(doc)
