"""The reverse proxies the deployment docs ship, run for real on 127.0.0.1: nginx and Caddy.

Each reads the repository's own file (deploy/nginx.conf, deploy/Caddyfile) with only its
addresses, ports and certificate paths changed, terminates TLS with a certificate made here, and
forwards to a `tracker run` on another port. A client can speak from any address of 127.0.0.0/8
(`source`), which is how the tests are several different people on one machine.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from certs import self_signed
from servers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the shipped config no longer holds {old!r}"
    return text.replace(old, new)


@contextmanager
def nginx(folder: Path, upstream: int) -> Iterator[int]:
    """deploy/nginx.conf's https server, on a free port, in front of 127.0.0.1:`upstream`."""
    port = free_port()
    cert, key = self_signed(folder, "127.0.0.1")
    site = (DEPLOY / "nginx.conf").read_text()
    site = _replace(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    site = _replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = _replace(site, "/etc/ssl/certs/storydiff.pem", str(cert))
    site = _replace(site, "/etc/ssl/private/storydiff.key", str(key))
    site = _replace(site, "listen 80;", f"listen 127.0.0.1:{free_port()};")
    temp = folder / "nginx-temp"
    temp.mkdir()
    main = f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{site}
}}
"""
    conf = folder / "nginx.conf"
    conf.write_text(main)
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with _serving(
        [binary, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
        port,
        folder / "nginx.log",
        timeout=20,
    ):
        yield port


@contextmanager
def caddy(folder: Path, upstream: int) -> Iterator[int]:
    """deploy/Caddyfile's site, on a free port with Caddy's own local CA, in front of `upstream`."""
    port = free_port()
    site = (DEPLOY / "Caddyfile").read_text()
    site = _replace(site, "storydiff.example.org {", f"https://127.0.0.1:{port} {{")
    site = _replace(site, "reverse_proxy 127.0.0.1:8000", f"reverse_proxy 127.0.0.1:{upstream}")
    glob = (
        "{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n"
        f"\tstorage file_system {folder / 'caddy-data'}\n\tlocal_certs\n}}\n\n"
    )
    conf = folder / "Caddyfile"
    conf.write_text(glob + site)
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "xdg")}
    binary = shutil.which("caddy") or "/usr/bin/caddy"
    with _serving(
        [binary, "run", "--config", str(conf), "--adapter", "caddyfile"],
        port,
        folder / "caddy.log",
        env=env,
        timeout=30,
        ready=_tls_ready,
    ):
        yield port


@contextmanager
def _serving(
    cmd: list[str],
    port: int,
    log: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float,
    ready: Callable[[int], bool] | None = None,
) -> Iterator[None]:
    """Run a server until the block ends (SIGTERM, then SIGKILL after 20 s), once `ready(port)`
    (default: the port accepts connections). Its output goes to `log`, never to a pipe nobody
    reads: a full pipe would stall a chatty server mid-test."""
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, text=True)
        try:
            wait_for(lambda: (ready or _listening)(port), timeout=timeout, proc=proc)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _tls_ready(port: int) -> bool:
    """A TLS handshake succeeds: Caddy listens before its local CA has issued the site's
    certificate, and a handshake until then ends in an internal-error alert."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=2) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def tracker_run(db: Path, **env: str) -> Iterator[int]:
    """`tracker run` as a real process on a free port; stopped with SIGTERM on the way out.

    What it logs goes to `tracker-run.log` beside the database."""
    port = free_port()
    environ = {**os.environ, "TRACKER_DB": str(db), "TRACKER_ADMIN_PASSWORD": PASSWORD, **env}
    environ.pop("TRACKER_CONFIG", None)
    cmd = [sys.executable, "-m", "tracker", "run", "--port", str(port)]
    with _serving(cmd, port, db.parent / "tracker-run.log", env=environ, timeout=60):
        yield port


PASSWORD = "correct horse battery"


@dataclass
class Client:
    """One person: their own source address, their own cookies; https to a proxy or http direct."""

    port: int
    source: str = "127.0.0.1"
    tls: bool = True
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, list[str]], str]:
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=20, context=ctx, source_address=(self.source, 0)
            )
        else:
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=20, source_address=(self.source, 0)
            )
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            got: dict[str, list[str]] = {}
            for name, value in resp.getheaders():
                got.setdefault(name.lower(), []).append(value)
        finally:
            conn.close()
        for line in got.get("set-cookie", []):
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, got, text

    def sign_in(self, password: str) -> tuple[int, dict[str, list[str]]]:
        status, _, page = self.request("GET", "/signin")
        assert status == 200, page[:300]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        status, headers, _ = self.request(
            "POST", "/signin", {"csrf_token": token.group(1), "password": password}
        )
        return status, headers
