"""Pages that lie about their charset, served by a real local server and read by `tracker check`:
what is stored must be the text a reader sees, not mojibake ("café naďve")."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import LocalSite

from tracker.cli import main
from tracker.store import Store

ENV = {"TRACKER_ALLOW_HOSTS": "127.0.0.1", "TRACKER_PER_HOST_GAP": "0", "TRACKER_RETRIES": "0"}

TEXTS = {
    "fr": (
        "Le café naïve du cœur de Paris a fermé ses portes après trente ans d’activité.",
        "« C’est la fin d’une époque », a déclaré le propriétaire, qui espère rouvrir à l’été.",
    ),
    "de": (
        "Die Brücke über den Fluss wird nächste Woche für Fußgänger gesperrt, sagte die Stadt.",
        "Die Straße bleibt geöffnet; der Bürgermeister erwartet größere Staus am Märzende.",
    ),
    "cs": (
        "Příliš žluťoučký kůň úpěl ďábelské ódy, napsal v úterý místní zpravodaj.",
        "Město oznámilo, že most bude uzavřen kvůli opravám až do září příštího roku.",
    ),
    "ru": (
        "Мост через реку будет закрыт на ремонт в следующем месяце, сообщил мэр города.",
        "Работы продлятся четыре месяца и обойдутся городу примерно в два миллиона евро.",
    ),
    "ja": (
        "市議会は火曜日、古い港の橋を来春修理のため閉鎖することを決めた。",
        "工事には少なくとも四か月かかり、費用はおよそ二百万ユーロになるという。",
    ),
}


def _page(lang: str, meta: str | None) -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    paras = "".join(f"<p>{p}</p>" for p in TEXTS[lang])
    return (
        f"<html><head>{head}<title>News</title></head><body><article><h1>News</h1>"
        f"{paras}</article></body></html>"
    )


# (language, the bytes' real encoding, Content-Type charset, <meta charset>)
CASES = [
    ("fr", "cp1252", "utf-8", None),  # the "café naďve"
    ("fr", "utf-8", None, "iso-8859-1"),
    ("fr", "cp1252", None, "iso-8859-1"),  # latin-1 means windows-1252 (œ, ’, «)
    ("de", "utf-8", "iso-8859-1", None),
    ("cs", "cp1250", None, "iso-8859-1"),
    ("cs", "cp1250", "utf-8", None),
    ("ru", "cp1251", "iso-8859-1", None),
    ("ru", "cp1251", "koi8-r", None),  # the wrong Cyrillic charset
    ("ja", "shift_jis", None, "iso-8859-1"),
    ("ja", "shift_jis", "utf-8", None),
]


def _check(db: Path, site: LocalSite, body: bytes, charset: str | None) -> str:
    ctype = "text/html" + (f"; charset={charset}" if charset else "")
    site.set("/story", body, content_type=ctype)
    with Store(db) as store:
        story_id, _ = store.add_story(site.url("/story"))
    result = CliRunner(env=ENV).invoke(main, ["--db", str(db), "check", str(story_id)])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        return store.get_version(story_id, 1)["text"]


@pytest.mark.parametrize(("lang", "encoding", "header", "meta"), CASES)
def test_a_page_with_a_wrong_charset_is_stored_as_readers_see_it(
    db_path: Path,
    site: LocalSite,
    lang: str,
    encoding: str,
    header: str | None,
    meta: str | None,
) -> None:
    text = _check(db_path, site, _page(lang, meta).encode(encoding), header)
    for paragraph in TEXTS[lang]:
        assert paragraph in text


def test_utf8_with_stray_windows_1252_bytes_keeps_both(db_path: Path, site: LocalSite) -> None:
    """A UTF-8 page with a footer pasted from a Windows-1252 template: browsers show the UTF-8
    and replacement marks; the stray bytes are read as the Windows-1252 they are."""
    page = (
        _page("cs", None)
        .encode("utf-8")
        .replace(
            b"</article>",
            b"<p>\x93Plus\x94 \xa9 2024 \x96 tous droits "
            b"r\xe9serv\xe9s pour le caf\xe9.</p></article>",
        )
    )
    text = _check(db_path, site, page, "utf-8")
    for paragraph in TEXTS["cs"]:
        assert paragraph in text
    assert "“Plus” © 2024 – tous droits réservés pour le café." in text
