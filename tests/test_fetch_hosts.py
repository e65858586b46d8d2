"""What the fetcher does per host: robots.txt honoured and cached, a gap between requests and a
cap on those in flight, the connection pinned to the address DNS gave once, and TLS checked
for the original name."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from certs import self_signed
from fetch_support import Sleeps, local
from netguard_support import FakeDNS
from servers import LocalSite, Request, Response

from tracker.fetch import Fetcher, FetchError

# robots.txt


def test_robots_disallow_is_honoured_and_cached(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.set("/private/story", "secret")
    site.set("/public", "open")
    fetcher = make(local(respect_robots=True))
    with pytest.raises(FetchError) as caught:
        fetcher.get(site.url("/private/story"))
    assert caught.value.kind == "robots"
    assert "/private/story" in caught.value.reason
    assert fetcher.get(site.url("/public")).body == b"open"
    assert site.hits("/private/story") == []
    assert len(site.hits("/robots.txt")) == 1
    assert fetcher.get(site.url("/private/story"), respect_robots=False).body == b"secret"


def test_robots_groups_for_storydiff_apply_to_it(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set(
        "/robots.txt",
        "User-agent: storydiff\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        content_type="text/plain",
    )
    site.set("/story", "x")
    with pytest.raises(FetchError) as caught:
        make(local(respect_robots=True)).get(site.url("/story"))
    assert caught.value.kind == "robots"


def test_a_missing_robots_txt_allows_and_a_broken_one_forbids(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/story", "x")
    assert make(local(respect_robots=True)).get(site.url("/story")).body == b"x"
    site.set("/robots.txt", "oops", status=503)
    with pytest.raises(FetchError) as caught:
        make(local(respect_robots=True)).get(site.url("/story"))
    assert caught.value.kind == "robots"
    assert "503" in caught.value.reason


def test_robots_txt_expires_after_its_ttl(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.set("/robots.txt", "User-agent: *\nDisallow:\n", content_type="text/plain")
    site.set("/story", "x")
    fetcher = make(local(respect_robots=True), robots_ttl=0.0)
    fetcher.get(site.url("/story"))
    fetcher.get(site.url("/story"))
    assert len(site.hits("/robots.txt")) == 2


def test_robots_off_in_settings_sends_no_robots_request(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    site.set("/story", "x")
    make(local(respect_robots=False)).get(site.url("/story"))
    assert site.hits("/robots.txt") == []


# politeness


def test_requests_to_one_host_keep_the_gap(
    site: LocalSite, make: Callable[..., Fetcher], sleeps: Sleeps
) -> None:
    arrivals: list[float] = []

    def handler(_req: Request) -> Response:
        arrivals.append(time.monotonic())
        return Response(200, b"ok")

    site.route("/story", handler)
    fetcher = make(local(per_host_gap=0.4))
    for _ in range(3):
        fetcher.get(site.url("/story"))
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) == 2 and all(g >= 0.3 for g in gaps), gaps
    assert len(sleeps) == 2


def test_webhook_posts_are_not_held_back_by_the_page_gap(
    site: LocalSite, make: Callable[..., Fetcher], sleeps: Sleeps
) -> None:
    site.set("/hook", "ok")
    fetcher = make(local(per_host_gap=30.0))
    for _ in range(3):
        assert fetcher.post(site.url("/hook"), b"{}", {}).status == 200
    assert sleeps == []


def test_concurrent_requests_to_one_host_are_capped(
    site: LocalSite, make: Callable[..., Fetcher]
) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def handler(_req: Request) -> Response:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.1)
        with lock:
            state["now"] -= 1
        return Response(200, b"ok")

    site.route("/story", handler)
    fetcher = make(local(per_host_concurrency=2))
    threads = [threading.Thread(target=fetcher.get, args=(site.url("/story"),)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(site.hits("/story")) == 6
    assert state["peak"] == 2


# pinning: connect to the address that was checked


def test_the_connection_goes_to_the_address_dns_gave_once(
    site: LocalSite,
    make: Callable[..., Fetcher],
    dns: FakeDNS,
    connects: list[str],
) -> None:
    # the first answer is approved; any later lookup would fail, so only a pinned fetch works
    dns.set("rebind.test", ["127.0.0.1"], None)
    site.set("/story", "pinned")
    fetcher = make(local(allow_hosts=("rebind.test",), retries=0))
    result = fetcher.get(f"http://rebind.test:{site.port}/story")
    assert result.body == b"pinned"
    assert dns.calls.count("rebind.test") == 1
    assert connects == ["127.0.0.1"]
    assert site.hits("/story")[0].headers["Host"] == f"rebind.test:{site.port}"


def test_a_second_dns_answer_cannot_swap_the_address(
    site: LocalSite,
    make: Callable[..., Fetcher],
    dns: FakeDNS,
    connects: list[str],
) -> None:
    dns.set("rebind.test", ["127.0.0.1"], ["169.254.169.254"])
    site.set("/story", "first")
    fetcher = make(local(allow_hosts=("127.0.0.1",), retries=0))
    assert fetcher.get(f"http://rebind.test:{site.port}/story").body == b"first"
    with pytest.raises(FetchError) as caught:
        fetcher.get(f"http://rebind.test:{site.port}/story")
    assert caught.value.kind == "refused"
    assert connects == ["127.0.0.1"]


def test_the_next_approved_address_is_tried_when_one_does_not_answer(
    site: LocalSite,
    make: Callable[..., Fetcher],
    dns: FakeDNS,
    connects: list[str],
) -> None:
    dns.set("multi.test", ["::1", "127.0.0.1"])
    site.set("/story", "second address")
    fetcher = make(local(allow_hosts=("multi.test",), retries=0))
    assert fetcher.get(f"http://multi.test:{site.port}/story").body == b"second address"
    assert connects == ["::1", "127.0.0.1"]


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[LocalSite, Path, list[str | None]]]:
    """LocalSite wrapped in TLS with a certificate for news.test; records the SNI names seen."""
    cert, key = self_signed(tmp_path, "news.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment]
    with LocalSite() as site:
        site.server.socket = context.wrap_socket(site.server.socket, server_side=True)
        site.server.handle_error = lambda *_args: None  # type: ignore[method-assign]
        yield site, cert, names


def test_https_is_pinned_with_sni_and_certificate_for_the_original_name(
    tls_site: tuple[LocalSite, Path, list[str | None]],
    make: Callable[..., Fetcher],
    dns: FakeDNS,
    connects: list[str],
) -> None:
    site, cert, names = tls_site
    dns.set("news.test", ["127.0.0.1"])
    site.set("/story", "over tls")
    fetcher = make(local(allow_hosts=("news.test",)), ca_certs=str(cert))
    result = fetcher.get(f"https://news.test:{site.port}/story")
    assert result.body == b"over tls"
    assert names == ["news.test"]
    assert connects == ["127.0.0.1"]
    assert site.hits("/story")[0].headers["Host"] == f"news.test:{site.port}"


def test_https_to_a_name_the_certificate_does_not_cover_fails(
    tls_site: tuple[LocalSite, Path, list[str | None]],
    make: Callable[..., Fetcher],
    dns: FakeDNS,
) -> None:
    site, cert, _names = tls_site
    dns.set("other.test", ["127.0.0.1"])
    site.set("/story", "over tls")
    fetcher = make(local(allow_hosts=("other.test",), retries=0), ca_certs=str(cert))
    with pytest.raises(FetchError) as caught:
        fetcher.get(f"https://other.test:{site.port}/story")
    assert caught.value.kind == "connection"
    assert "TLS" in caught.value.reason
    assert site.hits("/story") == []
