"""The SSRF guard: every forbidden address class and spelling is refused before any socket opens."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from netguard_support import FakeDNS

from tracker import config, hosts, netguard
from tracker.config import Settings
from tracker.fetch import Fetcher, FetchError
from tracker.netguard import Refused, check_url, resolve, split_url

GUARDED = Settings(respect_robots=False, retries=0, per_host_gap=0.0)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(GUARDED, backoff=0.01) as f:
        yield f


ADDRESS_CLASSES = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10:8080/x", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/admin", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://100.127.255.254/", "CGNAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
    ("http://[::ffff:a9fe:a9fe]/", "link-local"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[::127.0.0.1]/", "IPv4-compatible"),
    ("http://[2002:a9fe:a9fe::1]/", "6to4"),
    ("http://[64:ff9b::7f00:1]/", "NAT64"),
    ("http://[2001:0:808:808::f5ff:fffe]/", "Teredo"),
]

SPELLINGS = [
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0177.0.0.1/",  # octal
    "http://0x7f.0.0.1/",  # hex part
    "http://0x7f000001/",  # hex whole
    "http://0x7f.1/",  # hex, short form
    "http://127.1/",  # short form
    "http://127.0.1/",
    "http://0177.1/",
    "http://017700000001/",  # octal whole
    "http://0/",  # 0.0.0.0
    "http://0x0/",
    "http://2852039166/",  # 169.254.169.254
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://127.0.0.1./",  # trailing dot
    "http://127.000.000.001/",
    "http://LOCALHOST/",
    "http://localhost./",
    "http://api.localhost/",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",  # full-width digits (IDN mapping)
    "http://127\u30020\u30020\u30021/",  # ideographic full stops
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://[::FFFF:127.0.0.1]/",
    "HTTP://127.0.0.1/",
]

CONFUSIONS = [
    "http://example.com@127.0.0.1/",
    "http://user:pass@10.0.0.1/",
    "http://127.0.0.1%2f@example.com/",
    "http://example.com\\@127.0.0.1/",
    "http://127.0.0.1\\.example.com/",
    "http:\\\\127.0.0.1\\",
    "http://%31%32%37.0.0.1/",
    "http://1.2.3.4.5/",
    "http://0x7g.1/",
    "http://999.0.0.1/",
    "http://[fe80::1%25eth0]/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:25/",
    "ftp://example.com/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "//127.0.0.1/",
]

BAD_URLS = [
    "",
    "not a url",
    "http://",
    "http:///path",
    "http://a..b/",
    "http://example.com:99999/",
    "http://example.com:0/",
    "http://example.com:abc/",
    "http://exa mple.com/",
    "http://example.com/\n",
    "http://[::1/",
    "http://" + "a" * 5000 + ".com/",
]


@pytest.mark.parametrize(("url", "words"), ADDRESS_CLASSES)
def test_every_address_class_is_refused_before_any_connection(
    url: str, words: str, fetcher: Fetcher, dns: FakeDNS, connects: list[str]
) -> None:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url)
    assert caught.value.kind == "refused"
    assert words in caught.value.reason
    assert caught.value.reason.startswith("refused: ")
    assert connects == [] and dns.calls == []


@pytest.mark.parametrize("url", SPELLINGS)
def test_every_spelling_of_a_local_address_is_refused(
    url: str, fetcher: Fetcher, dns: FakeDNS, connects: list[str]
) -> None:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url)
    assert caught.value.kind == "refused", caught.value.reason
    assert connects == [] and dns.calls == []


@pytest.mark.parametrize("url", CONFUSIONS)
def test_parser_confusion_and_other_schemes_are_refused(
    url: str, fetcher: Fetcher, dns: FakeDNS, connects: list[str]
) -> None:
    with pytest.raises(FetchError) as caught:
        fetcher.get(url)
    assert caught.value.kind == "refused", caught.value.reason
    assert caught.value.reason.startswith("refused: ")
    assert connects == [] and dns.calls == []


@pytest.mark.parametrize("url", BAD_URLS)
def test_malformed_urls_get_a_sentence_not_a_traceback(url: str, dns: FakeDNS) -> None:
    with pytest.raises(Refused) as caught:
        check_url(url, GUARDED)
    assert caught.value.kind == "bad_url", caught.value.reason
    assert caught.value.reason.startswith("bad URL: ") and len(caught.value.reason) > 10
    assert dns.calls == []


def test_refusal_names_what_the_odd_spelling_means() -> None:
    with pytest.raises(Refused) as caught:
        check_url("http://0x7f.1/secret", GUARDED)
    assert "0x7f.1" in caught.value.reason
    assert "127.0.0.1" in caught.value.reason
    assert "loopback" in caught.value.reason
    assert "TRACKER_ALLOW_PRIVATE" in caught.value.reason


def test_public_addresses_pass_in_any_spelling_and_are_canonicalised() -> None:
    assert split_url("http://134744072/", GUARDED).host == "8.8.8.8"
    assert split_url("http://0x08.0x08.0x08.0x08/", GUARDED).host == "8.8.8.8"
    assert split_url("http://8.8.8.8./", GUARDED).host == "8.8.8.8"
    check_url("https://[2606:4700::1111]/", GUARDED)


def test_idn_hosts_are_sent_as_punycode() -> None:
    target = split_url("https://B\u00fccher.Example./caf\u00e9?q=\u00e9", GUARDED)
    assert target.host == "xn--bcher-kva.example"
    assert target.target == "/caf%C3%A9?q=%C3%A9"
    assert target.host_header == "xn--bcher-kva.example"


def test_resolve_refuses_a_name_pointing_at_a_private_address(dns: FakeDNS) -> None:
    dns.set("internal.test", ["10.1.2.3"])
    with pytest.raises(Refused) as caught:
        resolve("internal.test", 80, GUARDED)
    assert caught.value.reason.startswith("refused: internal.test resolves to 10.1.2.3")
    assert "private" in caught.value.reason


def test_resolve_refuses_when_any_answer_is_forbidden(dns: FakeDNS) -> None:
    dns.set("mixed.test", ["93.184.215.14", "169.254.169.254"])
    with pytest.raises(Refused) as caught:
        resolve("mixed.test", 443, GUARDED)
    assert "169.254.169.254" in caught.value.reason
    dns.set("mapped.test", ["::ffff:127.0.0.1"])
    with pytest.raises(Refused):
        resolve("mapped.test", 443, GUARDED)


def test_resolve_returns_public_answers_in_order(dns: FakeDNS) -> None:
    dns.set("news.test", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    assert resolve("news.test", 443, GUARDED) == [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]
    assert resolve("0x5db8d70e", 80, GUARDED) == ["93.184.215.14"]


def test_resolve_failure_is_a_dns_refusal_with_a_reason(dns: FakeDNS) -> None:
    dns.set("nowhere.test", None)
    with pytest.raises(Refused) as caught:
        resolve("nowhere.test", 80, GUARDED)
    assert caught.value.kind == "dns"
    assert "cannot resolve host nowhere.test" in caught.value.reason


def test_resolve_refuses_literals_and_localhost_without_dns(dns: FakeDNS) -> None:
    for host in ("127.0.0.1", "2130706433", "[::1]", "localhost", "LOCALHOST."):
        with pytest.raises(Refused):
            resolve(host, 80, GUARDED)
    assert dns.calls == []


def test_allow_private_opens_every_local_address() -> None:
    opened = GUARDED.replace(allow_private=True)
    assert resolve("127.0.0.1", 80, opened) == ["127.0.0.1"]
    check_url("http://169.254.169.254/", opened)
    check_url("http://localhost:8000/", opened)
    check_url("http://0x7f.1/", opened)


def test_allow_private_comes_from_the_environment() -> None:
    settings = config.load(env={"TRACKER_ALLOW_PRIVATE": "1"})
    assert resolve("10.0.0.7", 80, settings) == ["10.0.0.7"]
    listed = config.load(env={"TRACKER_ALLOW_HOSTS": "10.0.0.0/8, intranet.test"})
    assert resolve("10.9.8.7", 80, listed) == ["10.9.8.7"]
    with pytest.raises(Refused):
        resolve("192.168.0.1", 80, listed)


def test_allow_hosts_networks_open_only_those_networks() -> None:
    settings = GUARDED.replace(allow_hosts=("10.1.0.0/16", "fd00::/8", "127.0.0.1"))
    assert resolve("10.1.200.3", 80, settings) == ["10.1.200.3"]
    assert resolve("[fd00::5]", 80, settings) == ["fd00::5"]
    check_url("http://127.0.0.1:5000/", settings)
    check_url("http://[::ffff:127.0.0.1]/", settings)
    for url in ("http://10.2.0.1/", "http://127.0.0.2/", "http://169.254.169.254/"):
        with pytest.raises(Refused):
            check_url(url, settings)


def test_allow_hosts_names_may_be_private_others_may_not(dns: FakeDNS) -> None:
    settings = GUARDED.replace(allow_hosts=("intranet.test", "*.corp.test"))
    dns.set("intranet.test", ["10.0.0.5"])
    dns.set("wiki.corp.test", ["192.168.3.4"])
    dns.set("evil.test", ["10.0.0.5"])
    assert resolve("intranet.test", 80, settings) == ["10.0.0.5"]
    assert resolve("Wiki.Corp.Test.", 80, settings) == ["192.168.3.4"]
    with pytest.raises(Refused):
        resolve("evil.test", 80, settings)
    with pytest.raises(Refused):
        check_url("http://10.0.0.5/", settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.65535", "10.1.255.255"),
        ("4294967295", "255.255.255.255"),
        ("4294967296", None),
        ("256.0.0.1", None),
        ("08.0.0.1", None),
        ("example.com", None),
    ],
)
def test_ipv4_notations_match_what_inet_aton_accepts(text: str, expected: str | None) -> None:
    parsed = hosts.parse_ipv4(text)
    assert (str(parsed) if parsed else None) == expected
    if expected is not None:
        assert socket.inet_ntoa(socket.inet_aton(text)) == expected


def test_browser_only_notations_are_understood_too() -> None:
    """WHATWG URL parsing reads a bare `0x` as 0; inet_aton does not, but a browser would."""
    assert str(hosts.parse_ipv4("0x")) == "0.0.0.0"
    with pytest.raises(Refused):
        check_url("http://0x.0x.0x.0x/", GUARDED)


@pytest.mark.parametrize("url", ["http://h.example:²/", "http://h.example:１２/", "http://h:8²/"])
def test_non_ascii_digits_in_a_port_are_refused_not_a_crash(url: str) -> None:
    with pytest.raises(Refused) as refused:
        check_url(url, Settings())
    assert refused.value.kind == "bad_url" and "not a port" in refused.value.reason


def test_allow_hosts_entry_with_a_port_opens_that_port_only(dns: FakeDNS) -> None:
    settings = GUARDED.replace(
        allow_hosts=("127.0.0.1:8001", "[::1]:8002", "intranet.test:8080", "localhost:8003")
    )
    check_url("http://127.0.0.1:8001/story", settings)
    check_url("http://[::1]:8002/", settings)
    check_url("http://localhost:8003/", settings)
    dns.set("intranet.test", ["10.0.0.5"])
    assert resolve("intranet.test", 8080, settings) == ["10.0.0.5"]
    for url in (
        "http://127.0.0.1/",
        "http://127.0.0.1:8002/",
        "http://[::1]:8001/",
        "http://localhost:8004/",
        "http://[::ffff:127.0.0.1]:22/",
    ):
        with pytest.raises(Refused, match="refused"):
            check_url(url, settings)
    with pytest.raises(Refused, match="10.0.0.5"):
        resolve("intranet.test", 80, settings)


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1:70000",
        "host:",
        "host:abc",
        "127.0.0.1: 8001",
        "[]:80",
        "[fd00::]/8:443",
        "h:0",
        "host::8080",
        "http://host:8080",
        "10.0.0.0/33",
        "999.1.1.1",
        "a..b",
        "*",
    ],
)
def test_an_unreadable_allow_hosts_entry_is_a_config_error(entry: str) -> None:
    """Whatever the guard could not use is refused at start, not left to never match."""
    with pytest.raises(config.ConfigError, match="allow_hosts"):
        config.load(env={"TRACKER_ALLOW_HOSTS": f"intranet.test,{entry}"})
    with pytest.raises(ValueError):
        netguard.allow_entry(entry)


def test_a_long_bad_port_is_a_config_error_not_a_crash() -> None:
    with pytest.raises(config.ConfigError, match=r"allow_hosts.*\.\.\."):
        config.load(env={"TRACKER_ALLOW_HOSTS": "host:" + "9" * 5000})
