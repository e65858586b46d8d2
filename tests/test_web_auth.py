"""Credentials: hashing, constant-time checks, the admin CLI commands and `tracker serve`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import free_port
from web_support import PASSWORD, make_app

from tracker import auth
from tracker.cli import main
from tracker.config import Settings
from tracker.store import Store


def test_password_hashes_are_salted_scrypt() -> None:
    one, two = auth.hash_password("hunter2 hunter2"), auth.hash_password("hunter2 hunter2")
    assert one != two and one.startswith("scrypt$") and "hunter2" not in one
    assert auth.verify_password("hunter2 hunter2", one)
    assert not auth.verify_password("hunter2 hunter3", one)
    for broken in ("", "scrypt$", "md5$a$b$c$d$e", "scrypt$x$8$1$AA$AA", one[:-4]):
        assert not auth.verify_password("hunter2 hunter2", broken)
    with pytest.raises(auth.AuthError, match="at least 8"):
        auth.hash_password("short")


def test_checks_accept_setting_or_stored_secret(store: Store) -> None:
    settings = Settings(admin_password="from the env", api_token="env-token")
    assert auth.check_password(store, settings, "from the env")
    assert not auth.check_password(store, settings, "from the env ")
    assert not auth.check_password(store, Settings(), "")
    auth.set_password(store, "stored password")
    assert auth.check_password(store, settings, "stored password")
    assert auth.check_password(store, settings, "from the env")
    token = auth.new_token(store)
    assert store.get_secret(auth.TOKEN_SECRET) != token and token not in str(
        store.get_secret(auth.TOKEN_SECRET)
    )
    assert auth.check_token(store, settings, token) and auth.check_token(
        store, settings, "env-token"
    )
    assert not auth.check_token(store, settings, token[:-1])
    assert not auth.check_token(store, Settings(), "x" * 5000)


def run(db: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], input=input)
    return result.exit_code, result.output


def test_set_password_reads_a_prompt_or_stdin(db_path: Path, store: Store) -> None:
    code, out = run(db_path, "set-password", input="first passphrase\nfirst passphrase\n")
    assert code == 0, out
    assert "first passphrase" not in out
    client = make_app(db_path, admin_password="").test_client()
    from web_support import sign_in

    assert sign_in(client, "first passphrase").status_code == 302
    code, out = run(db_path, "set-password", input="one passphrase\nanother one\n")
    assert code != 0
    code, out = run(db_path, "set-password", "--stdin", input="tiny\n")
    assert code == 1 and "at least 8 characters" in out
    code, _ = run(db_path, "set-password", "--stdin", input="second passphrase\n")
    assert code == 0
    assert auth.check_password(store, Settings(), "second passphrase")
    assert not auth.check_password(store, Settings(), "first passphrase")


def test_create_token_then_the_api_accepts_it(db_path: Path) -> None:
    code, out = run(db_path, "create-token", "--json")
    assert code == 0
    token = json.loads(out)["token"]
    client = make_app(db_path, api_token="").test_client()
    r = client.post(
        "/api/stories",
        json={"url": "https://news.example/t"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201
    code, newer = run(db_path, "create-token")
    assert code == 0 and newer.strip() != token
    r = client.post(
        "/api/stories",
        json={"url": "https://news.example/u"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 401  # replaced


def test_serve_runs_the_site_with_waitress(db_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", str(db_path), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stories", timeout=2) as r:
                    assert json.load(r)["total"] == 0
                    assert r.headers["Server"] == "storydiff"
                    break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_with_a_bad_database_fails_in_one_line(tmp_path: Path) -> None:
    code, out = run(tmp_path / "missing" / "x.db", "serve")
    assert code == 1 and "does not exist" in out and "Traceback" not in out


def _keyless_app(db_path: Path, **settings: object):  # noqa: ANN202
    from web import create_app

    return create_app(
        {
            "DATABASE": str(db_path),
            "SETTINGS": Settings(db=str(db_path), admin_password=PASSWORD, **settings),
        }
    )


def test_session_key_lives_beside_the_database_never_in_it(store: Store, db_path: Path) -> None:
    """With the key and the stored password hash a copy of the db could forge an admin session:
    so the key goes to `<db>.secret` (0600), and every app over that db signs with it."""
    from web_support import sign_in

    first = _keyless_app(db_path)
    key_file = Path(f"{db_path}.secret")
    key = first.config["SECRET_KEY"]
    assert key_file.read_text().strip() == key and len(key) >= 32
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert store.get_secret("session_key") is None
    store.close()
    assert key.encode() not in db_path.read_bytes()
    second = _keyless_app(db_path)
    assert second.config["SECRET_KEY"] == key
    client = first.test_client()
    sign_in(client)
    cookie = client.get_cookie("storydiff_session")
    other = second.test_client()
    other.set_cookie("storydiff_session", cookie.value)
    assert other.get("/manage/").status_code == 200


def test_session_key_from_the_setting_makes_no_file(db_path: Path) -> None:
    app = _keyless_app(db_path, secret_key="k" * 40)
    assert app.config["SECRET_KEY"] == "k" * 40
    assert not Path(f"{db_path}.secret").exists()


def test_racing_apps_agree_on_one_session_key(db_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from web import session_key

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: session_key.file_key(db_path), range(16)))
    assert len(keys) == 1
    assert sorted(p.name for p in db_path.parent.iterdir() if ".secret" in p.name) == [
        f"{db_path.name}.secret"
    ]


def test_a_broken_session_key_file_is_a_clear_error(db_path: Path) -> None:
    from web import session_key

    Path(f"{db_path}.secret").write_text("short\n")
    with pytest.raises(session_key.KeyFileError, match="delete it to make a new one"):
        _keyless_app(db_path)
