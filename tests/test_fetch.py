"""The fetcher against real servers on 127.0.0.1: limits, retries, politeness, robots, pinning."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import socket
import threading
import time
import zlib
from collections.abc import Callable

import brotli
import pytest
from fetch_support import Sleeps, local, quiet, sequence
from netguard_support import FakeDNS
from servers import LocalSite, Request, Response

from tracker.fetch import POST_RESPONSE_CAP, Fetcher, FetchError

# the basics


def test_get_returns_body_headers_and_hash(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    page = "<p>caf\u00e9</p>".encode("latin-1")
    site.set("/story", page, content_type="text/html; charset=ISO-8859-1", headers={"X-A": "1"})
    result = make().get(site.url("/story"))
    assert result.status == 200
    assert result.body == page
    assert result.content_type == "text/html; charset=ISO-8859-1"
    assert result.headers["x-a"] == "1"
    assert result.body_hash == hashlib.sha256(page).hexdigest()
    assert result.url == result.final_url == site.url("/story")
    assert result.redirects == [] and not result.not_modified and not result.unchanged_body


def test_user_agent_names_storydiff_and_the_contact(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/", "ok")
    make(local(contact_url="https://news.example/bot")).get(site.url("/"))
    agent = site.hits("/")[0].headers["User-Agent"]
    assert agent.startswith("storydiff/")
    assert "https://news.example/bot" in agent
    assert site.hits("/")[0].headers["Host"] == f"127.0.0.1:{site.port}"


def test_conditional_get_turns_a_match_into_not_modified(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def handler(req: Request) -> Response:
        if (
            req.headers.get("If-None-Match") == '"v1"'
            or req.headers.get("If-Modified-Since") == stamp
        ):
            return Response(304, b"", None, {"ETag": '"v1"'})
        return Response(200, b"fresh", headers={"ETag": '"v1"', "Last-Modified": stamp})

    site.route("/story", handler)
    fetcher = make()
    first = fetcher.get(site.url("/story"))
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', stamp)
    again = fetcher.get(site.url("/story"), etag=first.etag)
    assert again.not_modified and again.status == 304 and again.body == b""
    by_date = fetcher.get(site.url("/story"), last_modified=first.last_modified)
    assert by_date.not_modified
    assert site.hits("/story")[1].headers["If-None-Match"] == '"v1"'
    assert site.hits("/story")[2].headers["If-Modified-Since"] == stamp


def test_same_body_as_last_time_is_flagged_unchanged(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/story", "same text")
    fetcher = make()
    first = fetcher.get(site.url("/story"))
    second = fetcher.get(site.url("/story"), previous_hash=first.body_hash)
    assert second.unchanged_body and not first.unchanged_body
    site.set("/story", "edited text")
    third = fetcher.get(site.url("/story"), previous_hash=first.body_hash)
    assert not third.unchanged_body


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_arrive_decompressed(
    encoding: str, pack: Callable[[bytes], bytes], site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    text = "<p>The minister resigned on Tuesday.</p>" * 200
    site.set("/story", pack(text.encode()), headers={"Content-Encoding": encoding})
    result = make().get(site.url("/story"))
    assert result.body.decode() == text
    assert encoding in site.hits("/story")[0].headers["Accept-Encoding"]


def test_a_broken_gzip_body_is_an_error_with_a_reason(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/story", b"this is not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as caught:
        make(local(retries=0)).get(site.url("/story"))
    assert "decompressed" in caught.value.reason


def test_hostile_urls_raise_fetch_errors(make: Callable[..., Fetcher]) -> None:
    fetcher = make()
    for url in ("", "no scheme here", "http://exa mple.com/", "http://[::1"):
        with pytest.raises(FetchError) as caught:
            fetcher.get(url)
        assert caught.value.kind == "bad_url", caught.value.reason


# redirects


def test_redirects_are_followed_and_listed(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.set("/old", status=301, headers={"Location": "/older"})
    site.set("/older", status=302, headers={"Location": site.url("/story?id=7")})
    site.set("/story", "the story")
    result = make().get(site.url("/old"))
    assert result.body == b"the story"
    assert result.redirects == [site.url("/older"), site.url("/story?id=7")]
    assert result.final_url == site.url("/story?id=7")
    assert result.url == site.url("/old")


def test_too_many_redirects_stop_after_the_limit(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/loop"))
    assert caught.value.kind == "redirect"
    assert "more than 5 redirects" in caught.value.reason
    assert len(site.hits("/loop")) == 6


def test_redirect_without_location_is_a_redirect_error(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/nowhere", status=302)
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/nowhere"))
    assert caught.value.kind == "redirect"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://0x7f.2/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://evil.example@127.0.0.2/",
        "file:///etc/passwd",
    ],
)
def test_redirect_to_a_refused_address_is_refused_before_connecting(
    location: str,
    site: LocalSite,
    make: Callable[..., Fetcher],
    connects: list[str],
    dns: FakeDNS,
) -> None:
    site.set("/jump", status=302, headers={"Location": location})
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/jump"))
    assert caught.value.kind == "refused"
    assert connects == ["127.0.0.1"]
    assert len(site.requests) == 1


def test_redirect_from_a_listed_name_to_an_unlisted_private_one_is_refused(
    site: LocalSite,
    make: Callable[..., Fetcher],
    connects: list[str],
    dns: FakeDNS,
) -> None:
    dns.set("newsroom.test", ["127.0.0.1"])
    dns.set("sneaky.test", ["127.0.0.1"])
    site.set("/jump", status=302, headers={"Location": f"http://sneaky.test:{site.port}/x"})
    fetcher = make(local(allow_hosts=("newsroom.test",)))
    with pytest.raises(FetchError) as caught:
        fetcher.get(f"http://newsroom.test:{site.port}/jump")
    assert caught.value.reason.startswith("refused: sneaky.test resolves to 127.0.0.1")
    assert connects == ["127.0.0.1"]


def test_an_allow_entry_with_a_port_opens_that_port_only(
    site: LocalSite,
    make: Callable[..., Fetcher],
    connects: list[str],
) -> None:
    other = site.port + 1 if site.port < 65535 else site.port - 1
    site.set("/page", body=b"<p>the story</p>")
    site.set("/jump", status=302, headers={"Location": f"http://127.0.0.1:{other}/admin"})
    fetcher = make(local(allow_hosts=(f"127.0.0.1:{site.port}",)))
    assert fetcher.get(site.url("/page")).body == b"<p>the story</p>"
    with pytest.raises(FetchError) as caught:
        fetcher.get(site.url("/jump"))
    assert caught.value.reason.startswith(
        f"refused: 127.0.0.1 is a loopback address, allowed on port {site.port} only, not {other}"
    )
    assert connects == ["127.0.0.1"]  # one pooled connection to the listed port, none to the other
    assert len(site.requests) == 2


# size and time limits


def test_declared_body_over_the_cap_is_refused_unread(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/big", b"x" * 5000)
    quiet(site)
    with pytest.raises(FetchError) as caught:
        make(local(max_body_bytes=4096)).get(site.url("/big"))
    assert caught.value.kind == "too_large"
    assert "4 KB" in caught.value.reason
    assert len(site.hits("/big")) == 1


def test_body_at_the_cap_is_accepted(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.set("/exact", b"y" * 4096)
    assert len(make(local(max_body_bytes=4096)).get(site.url("/exact")).body) == 4096


class RawServer:
    """A one-purpose TCP server for what LocalSite cannot do: endless or dripping bodies."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.serve = serve
        self.sent = 0
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _run(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            try:
                self.serve(conn)
            except OSError:
                pass
            finally:
                self.finished.set()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)


def test_an_endless_body_is_cut_off_at_the_cap(make: Callable[..., Fetcher]) -> None:
    limit = 64 * 1024 * 1024

    def endless(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
        block = b"z" * 65536
        while server.sent < limit:
            conn.sendall(block)
            server.sent += len(block)

    server = RawServer(endless)
    try:
        with pytest.raises(FetchError) as caught:
            make(local(max_body_bytes=256 * 1024, retries=0)).get(server.url())
        assert caught.value.kind == "too_large"
        assert server.finished.wait(5)
        assert server.sent < limit  # the server was cut off, not drained
    finally:
        server.close()


def test_a_gzip_bomb_is_cut_off_at_the_decompressed_cap(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    site.set("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    quiet(site)
    with pytest.raises(FetchError) as caught:
        make(local(max_body_bytes=1024 * 1024)).get(site.url("/bomb"))
    assert caught.value.kind == "too_large"


def test_a_slow_server_hits_the_read_timeout_and_is_retried(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/slow", "late", delay=1.0)
    with pytest.raises(FetchError) as caught:
        make(local(read_timeout=0.2, retries=1)).get(site.url("/slow"))
    assert caught.value.kind == "timeout"
    assert len(site.hits("/slow")) == 2


def test_a_dripping_body_hits_the_total_timeout(make: Callable[..., Fetcher]) -> None:
    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(200):
            conn.sendall(b".")
            time.sleep(0.05)

    server = RawServer(drip)
    try:
        with pytest.raises(FetchError) as caught:
            make(local(read_timeout=1.0, total_timeout=0.5, retries=0)).get(server.url())
        assert caught.value.kind == "timeout"
        assert "in total" in caught.value.reason
    finally:
        server.close()


# retries


def test_a_500_then_success_is_retried_with_backoff(
    site: LocalSite, make: Callable[..., Fetcher], sleeps: Sleeps
) -> None:
    site.route("/story", sequence(Response(500, b"oops"), Response(503), Response(200, b"ok")))
    result = make().get(site.url("/story"))
    assert result.body == b"ok"
    assert len(site.hits("/story")) == 3
    assert len(sleeps) == 2 and all(0 < s <= 0.02 for s in sleeps)
    assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02


def test_a_lasting_5xx_gives_up_with_the_status(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/down", "down", status=502)
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/down"))
    assert (caught.value.kind, caught.value.status) == ("http", 502)
    assert "502 Bad Gateway" in caught.value.reason
    assert len(site.hits("/down")) == 3


def test_429_waits_as_long_as_retry_after_says(
    site: LocalSite, make: Callable[..., Fetcher], sleeps: Sleeps
) -> None:
    site.route(
        "/story", sequence(Response(429, b"", headers={"Retry-After": "1"}), Response(200, b"ok"))
    )
    assert make().get(site.url("/story")).body == b"ok"
    assert sleeps == [1.0]
    assert len(site.hits("/story")) == 2


def test_429_asking_too_long_a_wait_is_handed_back(
    site: LocalSite, make: Callable[..., Fetcher], sleeps: Sleeps
) -> None:
    site.set("/story", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/story"))
    assert (caught.value.kind, caught.value.status, caught.value.retry_after) == (
        "http",
        429,
        3600.0,
    )
    assert sleeps == [] and len(site.hits("/story")) == 1


def test_retry_after_as_a_date_is_understood(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    stamp = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    site.set("/story", status=503, headers={"Retry-After": stamp})
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/story"))
    assert caught.value.retry_after is not None
    assert 7000 < caught.value.retry_after <= 7200


@pytest.mark.parametrize("status", [404, 410, 403])
def test_client_errors_are_not_retried(
    status: int, site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/gone", "gone", status=status)
    with pytest.raises(FetchError) as caught:
        make().get(site.url("/gone"))
    assert (caught.value.kind, caught.value.status) == ("http", status)
    assert str(status) in caught.value.reason
    assert len(site.hits("/gone")) == 1


def test_a_closed_port_is_a_connection_error_after_retries(
    make: Callable[..., Fetcher], sleeps: Sleeps
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        make().get(f"http://127.0.0.1:{port}/")
    assert caught.value.kind == "connection"
    assert "connection refused" in caught.value.reason
    assert len(sleeps) == 2


# POST for webhooks


def test_post_sends_the_body_and_returns_error_statuses(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/hook", "nope", status=500)
    result = make().post(
        site.url("/hook"), b'{"story": 1}', {"Content-Type": "application/json", "Host": "x"}
    )
    assert result.status == 500 and result.body == b"nope"
    hit = site.hits("/hook")
    assert len(hit) == 1 and hit[0].method == "POST" and hit[0].body == b'{"story": 1}'
    assert hit[0].headers["Host"] == f"127.0.0.1:{site.port}"
    assert hit[0].headers["User-Agent"].startswith("storydiff/")


def test_post_does_not_follow_redirects_and_caps_the_reply(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/hook", status=307, headers={"Location": "http://169.254.169.254/"})
    site.set("/chatty", b"w" * (POST_RESPONSE_CAP * 4))
    quiet(site)
    fetcher = make()
    assert fetcher.post(site.url("/hook"), b"{}", {}).status == 307
    assert len(fetcher.post(site.url("/chatty"), b"{}", {}).body) == POST_RESPONSE_CAP


def test_post_is_guarded_and_times_out(
    site: LocalSite,
    make: Callable[..., Fetcher],
    connects: list[str],
) -> None:
    with pytest.raises(FetchError) as caught:
        make(local(allow_hosts=())).post(site.url("/hook"), b"{}", {})
    assert caught.value.kind == "refused" and connects == []
    site.set("/slow", "late", delay=1.0)
    with pytest.raises(FetchError) as caught:
        make().post(site.url("/slow"), b"{}", {}, timeout=0.2)
    assert caught.value.kind == "timeout"


def test_header_injection_is_refused_or_dropped(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/hook", "ok")
    fetcher = make()
    with pytest.raises(FetchError) as caught:
        fetcher.post(site.url("/hook"), b"{}", {"X-Sig": "a\r\nX-Evil: 1"})
    assert caught.value.kind == "bad_url"
    assert fetcher.get(site.url("/hook"), etag='"v1"\r\nX-Evil: 1').status == 200
    assert all("X-Evil" not in r.headers for r in site.requests)


def test_a_closed_fetcher_refuses_work(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    fetcher = make()
    fetcher.close()
    with pytest.raises(FetchError):
        fetcher.get(site.url("/"))


# --------------------------------------------------------------------------- hostile headers


def test_superscript_digits_in_headers_are_a_fetch_error_not_a_crash(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    """str.isdigit() accepts '²', int() does not: each header must end in FetchError or pass."""
    site.set("/busy", "busy", status=503, headers={"Retry-After": "²"})
    site.set("/length", "<p>hello</p>", headers={"Content-Length": "²", "Connection": "close"})
    site.set("/hop", "", status=302, headers={"Location": "http://127.0.0.1:²/"})
    site.set("/hop6", "", status=302, headers={"Location": "http://[::1/x"})
    fetcher = make(local(retries=0))
    with pytest.raises(FetchError) as busy:
        fetcher.get(site.url("/busy"))
    assert busy.value.status == 503 and busy.value.retry_after is None
    assert fetcher.get(site.url("/length")).body == b"<p>hello</p>"
    with pytest.raises(FetchError) as hop:
        fetcher.get(site.url("/hop"))
    assert hop.value.kind == "bad_url" and "not a port" in hop.value.reason
    with pytest.raises(FetchError) as hop6:
        fetcher.get(site.url("/hop6"))
    assert hop6.value.kind == "redirect" and "unreadable Location" in hop6.value.reason


def test_robots_txt_with_superscript_crawl_delay_is_read(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set(
        "/robots.txt",
        "User-agent: *\nCrawl-delay: ²\nRequest-rate: ²/²\nDisallow: /private\n",
        content_type="text/plain",
    )
    site.set("/story", "<p>ok</p>")
    fetcher = make(local(respect_robots=True))
    assert fetcher.get(site.url("/story")).status == 200
    with pytest.raises(FetchError) as refused:
        fetcher.get(site.url("/private"))
    assert "robots" in refused.value.reason


def test_error_reasons_do_not_carry_the_token_in_a_url(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    """Webhook URLs hold access tokens in the path and query; reasons are shown and stored."""
    site.set("/hooks/T0KEN-path-secret", "nope", status=404)
    site.set("/big/T0KEN-path-secret", "x" * 5000)
    fetcher = make(local(retries=0, max_body_bytes=1024))
    for path in ("/hooks/T0KEN-path-secret?key=T0KEN-query", "/big/T0KEN-path-secret"):
        with pytest.raises(FetchError) as failed:
            fetcher.get(site.url(path))
        assert "T0KEN" not in failed.value.reason
        assert f"127.0.0.1:{site.port}/{path.split('/')[1]}" in failed.value.reason
