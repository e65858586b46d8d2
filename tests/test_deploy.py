"""storydiff as the deployment docs run it: behind the shipped nginx and Caddy configs.

Real proxies on 127.0.0.1 with TLS, a real `tracker run`, and clients speaking from different
loopback addresses: the sign-in limit is per person, cookies are Secure over https, and headers a
client forges (talking to storydiff directly, or through the proxy) change nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from deploy_support import PASSWORD, Client, caddy, nginx, tracker_run
from servers import wait_for

PROXIES: dict[str, Callable[[Path, int], AbstractContextManager[int]]] = {
    "nginx": nginx,
    "caddy": caddy,
}
TRUSTED = {"TRACKER_TRUSTED_PROXIES": "127.0.0.1"}


def _have(name: str) -> bool:
    return bool(shutil.which(name) or Path(f"/usr/sbin/{name}").exists())


@pytest.fixture(params=sorted(PROXIES))
def proxied(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, int]]:
    """(proxy port, storydiff port): `tracker run` trusting 127.0.0.1, behind the proxy."""
    name = request.param
    if not _have(name):  # scripts/system-deps installs both; CI always has them
        pytest.skip(f"{name} is not installed: run scripts/system-deps")
    with (
        tracker_run(tmp_path / "tracker.db", **TRUSTED) as app,
        PROXIES[name](tmp_path, app) as port,
    ):
        yield port, app


def _fail_five_times(client: Client) -> None:
    for _ in range(5):
        status, _ = client.sign_in("wrong password")
        assert status == 401


def test_signin_limit_is_per_client_through_the_proxy(
    proxied: tuple[int, int], tmp_path: Path
) -> None:
    port, _ = proxied
    mallory = Client(port, source="127.0.0.2")
    _fail_five_times(mallory)
    assert mallory.sign_in(PASSWORD)[0] == 429  # locked out, even with the right password
    alice = Client(port, source="127.0.0.3")
    status, headers = alice.sign_in(PASSWORD)
    assert status == 302, "one person's failures locked everyone out"
    (cookie,) = [c for c in headers["set-cookie"] if c.startswith("storydiff_session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie
    log = (tmp_path / "tracker-run.log").read_text()
    assert log.count("sign-in failed from 127.0.0.2") == 5, log  # the person, not the proxy
    assert "sign-in refused from 127.0.0.2" in log and "from 127.0.0.1" not in log


def test_forged_forwarded_for_through_the_proxy_does_not_escape_the_limit(
    proxied: tuple[int, int],
) -> None:
    port, _ = proxied
    mallory = Client(port, source="127.0.0.4")
    for n in range(5):
        mallory.headers["X-Forwarded-For"] = f"203.0.113.{n}"
        assert mallory.sign_in("wrong password")[0] == 401
    mallory.headers["X-Forwarded-For"] = "203.0.113.99"
    assert mallory.sign_in(PASSWORD)[0] == 429


def test_every_answer_to_a_form_arrives_whole_through_the_proxy(proxied: tuple[int, int]) -> None:
    """Answers to POSTs come through complete. Caddy 2.6 with `flush_interval -1` sent the headers
    of a quick answer while it was still passing the request body on, then cut the body off (a
    few in a hundred, more on a busy machine); the shipped Caddyfile no longer sets it."""
    port, _ = proxied
    client = Client(port, source="127.0.0.6")
    status, _, page = client.request("GET", "/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert status == 200 and token
    form = {"csrf_token": token.group(1), "password": "wrong password"}
    answers = [client.request("POST", "/signin", form) for _ in range(120)]
    assert [status for status, _, _ in answers] == [401] * 5 + [429] * 115
    assert all("</html>" in page for _, _, page in answers)


def test_links_for_readers_say_https_and_the_public_host(proxied: tuple[int, int]) -> None:
    port, _ = proxied
    status, _, feed = Client(port, source="127.0.0.5").request("GET", "/feeds/changes.atom")
    assert status == 200
    links = re.findall(r'href="([^"]+)"', feed)
    assert links and all(link.startswith(f"https://127.0.0.1:{port}/") for link in links), links


def test_a_client_talking_to_storydiff_directly_cannot_pose_as_the_proxy(tmp_path: Path) -> None:
    """Forwarded headers sent straight to storydiff, from an address that is not a trusted proxy,
    are dropped: no other client address, no https, no other host."""
    with tracker_run(tmp_path / "tracker.db", **TRUSTED) as app:
        forger = Client(app, source="127.0.0.2", tls=False)
        forger.headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
        for n in range(5):
            forger.headers["X-Forwarded-For"] = f"198.51.100.{n}"
            status, headers = forger.sign_in("wrong password")
            assert status == 401
        forger.headers["X-Forwarded-For"] = "198.51.100.77"
        assert forger.sign_in(PASSWORD)[0] == 429
        _, _, feed = forger.request("GET", "/feeds/changes.atom")
        assert "evil.example" not in feed and "https://" not in feed
        status, headers = Client(app, source="127.0.0.3", tls=False).sign_in(PASSWORD)
        assert status == 302
        (cookie,) = [c for c in headers["set-cookie"] if c.startswith("storydiff_session=")]
        assert "Secure" not in cookie  # plain http stays usable on 127.0.0.1


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    """The default: nothing is trusted, so a client cannot choose its address by a header."""
    with tracker_run(tmp_path / "tracker.db") as app:
        forger = Client(app, source="127.0.0.1", tls=False)
        for n in range(5):
            forger.headers["X-Forwarded-For"] = f"192.0.2.{n}"
            assert forger.sign_in("wrong password")[0] == 401
        assert forger.sign_in(PASSWORD)[0] == 429


UNIT = Path(__file__).resolve().parent.parent / "deploy" / "storydiff.service"


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    """The shipped unit, its ExecStart pointed at this checkout's `tracker`."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed: run scripts/system-deps")
    tracker = Path(sys.executable).with_name("tracker")
    text = UNIT.read_text()
    assert "/opt/storydiff/.venv/bin/tracker" in text
    copy = tmp_path / "storydiff.service"
    copy.write_text(text.replace("/opt/storydiff/.venv/bin/tracker", str(tracker)))
    return copy


def test_systemd_unit_is_valid_and_sandboxed(unit: Path) -> None:
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert verify.returncode == 0, verify.stderr
    assert "storydiff.service" not in verify.stderr, verify.stderr  # no warnings about it
    # systemd's own score of the sandbox: 0 (locked down) to 10 (exposed); "OK" is below 2
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert security.returncode == 0, security.stdout[-2000:]
    options = dict(
        line.split("=", 1) for line in unit.read_text().splitlines() if re.match(r"^\w+=", line)
    )
    assert options["User"] == "storydiff"  # a dedicated user, never root
    assert options["ProtectSystem"] == "strict"  # the whole system read-only...
    assert options["StateDirectory"] == "storydiff"  # ...but /var/lib/storydiff
    assert "Environment=TRACKER_DB=/var/lib/storydiff/tracker.db" in unit.read_text()
    assert options["KillSignal"] == "SIGTERM"


def test_under_journald_each_line_carries_its_level_and_sigterm_stops_cleanly(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "TRACKER_DB": str(tmp_path / "tracker.db"),
        "TRACKER_LOG_LEVEL": "info",
        "JOURNAL_STREAM": "8:12345",  # what systemd sets when output goes to the journal
    }
    env.pop("TRACKER_CONFIG", None)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracker", "run", "--no-web"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
            text=True,
        )
        try:  # the announcement comes once the scheduler runs: then it has something to stop
            try:
                wait_for(lambda: "Ctrl-C stops" in log.read_text(), timeout=60, proc=proc)
            except AssertionError as exc:  # its output went to the log, not to a pipe
                raise AssertionError(f"{exc}\n{log.read_text()[-3000:]}") from None
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    lines = log.read_text().splitlines()
    logged = [line for line in lines if line.startswith("<")]
    assert any(re.match(r"^<6>apscheduler\.scheduler: Scheduler started$", x) for x in logged), (
        lines
    )
    assert all(re.match(r"^<[0-7]>[\w.]+: ", line) for line in logged), logged
    assert "stopped" in lines
