"""The SSRF guard: which URLs and addresses storydiff may connect to, decided before any socket.

A tracked URL is chosen by whoever adds a story, a feed entry or a redirect, so it must never let
them reach the machine's own services, the LAN or a cloud metadata endpoint. `check_url` judges
the URL as written (scheme, spelling, literal addresses in every notation, no DNS); `resolve`
looks the host up once and judges every answer. The fetcher then connects to exactly the address
`resolve` approved, so a second DNS answer cannot swap it (no rebinding).

Opt-in: `Settings.allow_private` (env `TRACKER_ALLOW_PRIVATE=1`) allows every address;
`Settings.allow_hosts` lists host names (`intranet.example`, `*.corp.example`), addresses or
networks (`10.1.0.0/16`) that may be private while everything else stays guarded; an entry with a
port (`127.0.0.1:8001`, `[::1]:8001`, `intranet.example:8080`) opens that port only.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import idna

from tracker.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Port = int | None  # an allow-list entry's port; None opens every port

MAX_URL_LENGTH = 4096
DEFAULT_PORTS = {"http": 80, "https": 443}
_HINT = " (set TRACKER_ALLOW_PRIVATE=1 or list it in TRACKER_ALLOW_HOSTS to allow it)"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPAT = ipaddress.ip_network("::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class Refused(Exception):
    """A URL or address storydiff will not connect to; `.reason` says why in words.

    `.kind` is "refused" (the guard said no), "bad_url" (the URL cannot be understood) or "dns"
    (the host name could not be resolved: a network failure worth retrying, not a verdict).
    """

    def __init__(self, reason: str, kind: str = "refused") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class Target:
    """A checked URL split the way the fetcher uses it: connect to `host`, ask for `target`."""

    scheme: str
    host: str  # ASCII, lower case, no trailing dot, IPv6 without brackets
    port: int
    target: str  # request-target: path and query, percent-encoded
    address: IPAddress | None  # set when the host is an address literal in any spelling

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"

    @property
    def url(self) -> str:
        return self.origin + self.target


def check_url(url: str, settings: Settings) -> None:
    """Refuse a URL by its scheme, spelling or literal address, without any DNS lookup."""
    split_url(url, settings)


def split_url(url: str, settings: Settings) -> Target:
    """Check a URL like `check_url` and return its parts in the canonical form the fetcher uses."""
    target = _parse(url)
    _judge(target.address, target.host, target.port, settings, lambda: _shown(url, target))
    return target


def _judge(
    address: IPAddress | None, host: str, port: Port, settings: Settings, shown: Callable[[], str]
) -> None:
    """Refuse a literal address by what it is, or a name that always means this machine.

    `shown` names the address in the refusal as the user wrote it (asked only on refusal).
    """
    if address is not None:
        verdict = _verdict(address, host, port, settings)
        if verdict:
            raise Refused(f"refused: {shown()} is {verdict}{_HINT}")
    elif _is_local_name(host) and not (
        settings.allow_private or _listed_name(host, port, settings)
    ):
        raise Refused(f"refused: {host} always means this machine (loopback){_HINT}")


def resolve(host: str, port: Port, settings: Settings) -> list[str]:
    """Look `host` up once and return the addresses that may be connected to, in DNS order.

    If any answer is forbidden the whole host is refused: a name that mixes public and private
    answers is a rebinding trick, not a mistake.
    """
    name = _normalise_host(host)
    literal = _parse_ipv4(name) if ":" not in name else _parse_ipv6(name)
    _judge(literal, name, port, settings, lambda: host)
    if literal is not None:
        return [str(literal)]
    try:
        answers = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Refused(f"cannot resolve host {name}: {_dns_words(exc)}", kind="dns") from None
    addresses: list[str] = []
    for family, _type, _proto, _canon, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = str(sockaddr[0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        verdict = _verdict(address, name, port, settings)
        if verdict:
            raise Refused(f"refused: {name} resolves to {address}, {verdict}{_HINT}")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise Refused(f"cannot resolve host {name}: no IPv4 or IPv6 address", kind="dns")
    return addresses


def check_host(host: str, port: Port, settings: Settings, *, lookup: bool = False) -> None:
    """Refuse a host that a client other than the fetcher will connect to (Apprise's plugins).

    `port` None means the client picks its own (Kodi 8080, syslog 514...): then only an
    allow-list entry without a port lets a private address through. With `lookup` the name is
    resolved and every answer judged too.
    """
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    target = _parse(f"http://{name}/")
    _judge(target.address, target.host, port, settings, lambda: host)
    if lookup and target.address is None:
        resolve(target.host, port, settings)


def classify(address: IPAddress) -> str | None:
    """What kind of non-public address this is ("a private address", ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            how, inner = embedded
            kind = classify(inner)
            return f"{inner} ({how}), {kind}" if kind else None
        if address.is_site_local:
            return "a site-local address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a shared (CGNAT) address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address.teredo is not None:
        server, client = address.teredo
        return ("Teredo", client) if classify(client) else ("Teredo server", server)
    if any(address in net for net in _NAT64):
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _COMPAT and int(address) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _verdict(address: IPAddress, host: str, port: Port, settings: Settings) -> str | None:
    """None if the address may be used for `host` on `port`, else what it is, for the refusal.

    `port` None is a port the client picks itself: only an entry without a port allows it.
    """
    kind = classify(address)
    if kind is None or settings.allow_private:
        return None
    allowed_names, allowed_nets = _allow_list(settings.allow_hosts)
    if _name_matches(host, port, allowed_names):
        return None
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    other_ports: set[Port] = set()
    for net, only in allowed_nets:
        if any(c.version == net.version and c in net for c in candidates):
            if only in (None, port):
                return None
            other_ports.add(only)
    other_ports |= {only for name, only in allowed_names if _is_name(host, name)}
    if other_ports:
        listed = ", ".join(str(p) for p in sorted(p for p in other_ports if p is not None))
        which = f"port {listed}" if len(other_ports) == 1 else f"ports {listed}"
        asked = f"not {port}" if port else "not the one its client picks"
        return f"{kind}, allowed on {which} only, {asked}"
    return kind


_WITH_PORT = re.compile(
    r"\[(?P<v6>[^\]]+)\]:(?P<p6>[0-9]{1,5})|(?P<host>[^:\[\]]+):(?P<port>[0-9]{1,5})"
)


def allow_entry(raw: str) -> tuple[str | Network, Port] | None:
    """One allow-list entry read as (name or network, port); None for a blank entry.

    Names are normalised like URL hosts (`*.` for subdomains), addresses in any IPv4 spelling
    become one-address networks, and `:port` (`[v6]:port` for IPv6) scopes the entry to a port.
    ValueError says why an entry cannot be used; config refuses such entries, so that a typo is
    an error at start rather than an entry that never matches.
    """
    text = raw.strip().lower()
    if not text:
        return None
    port: Port = None
    match = _WITH_PORT.fullmatch(text)
    if match:
        text = match.group("v6") if match.group("v6") is not None else match.group("host")
        port = int(match.group("p6") or match.group("port"))
        if not 0 < port < 65536:
            raise ValueError("its port is not between 1 and 65535")
    entry = text.rstrip(".")
    if not entry:
        raise ValueError("it names no host")
    try:
        return ipaddress.ip_network(entry.strip("[]"), strict=False), port
    except ValueError:
        pass
    wildcard = entry.startswith("*.")
    bare = entry[2:] if wildcard else entry
    if not bare or any(ch in bare for ch in ":/[] "):
        raise ValueError(
            "it is not a host name, an address or a network (a port goes after a colon; "
            "an IPv6 address with a port goes in brackets: [::1]:8001)"
        )
    try:
        name = _normalise_host(bare)
    except Refused as exc:
        raise ValueError(exc.reason.split(": ", 1)[-1]) from None  # without "bad URL: "
    literal = _parse_ipv4(name)
    if literal is not None:
        if wildcard:
            raise ValueError("a wildcard needs a host name, not an address")
        return ipaddress.ip_network(literal), port
    return ("*." if wildcard else "") + name, port


@functools.lru_cache(maxsize=32)
def _allow_list(
    entries: tuple[str, ...],
) -> tuple[tuple[tuple[str, Port], ...], tuple[tuple[Network, Port], ...]]:
    names: list[tuple[str, Port]] = []
    nets: list[tuple[Network, Port]] = []
    for raw in entries:
        try:
            parsed = allow_entry(raw)
        except ValueError:
            continue  # settings made in code skip config's check: an unusable entry opens nothing
        if parsed is None:
            continue
        value, port = parsed
        if isinstance(value, str):
            names.append((value, port))
        else:
            nets.append((value, port))
    return tuple(names), tuple(nets)


def _name_matches(host: str, port: Port, names: tuple[tuple[str, Port], ...]) -> bool:
    return any(only in (None, port) and _is_name(host, name) for name, only in names)


def _is_name(host: str, name: str) -> bool:
    """`host` is the listed name, or under a listed `*.` wildcard."""
    return host == name or (name.startswith("*.") and host.endswith(name[1:]))


def _listed_name(host: str, port: Port, settings: Settings) -> bool:
    names, nets = _allow_list(settings.allow_hosts)
    loopback = ipaddress.ip_address("127.0.0.1")
    return _name_matches(host, port, names) or any(
        only in (None, port) and loopback in n for n, only in nets if n.version == 4
    )


def _is_local_name(host: str) -> bool:
    return host in _LOCAL_NAMES or host.endswith(".localhost")


def _parse(url: str) -> Target:
    if not isinstance(url, str):
        raise Refused("bad URL: it must be text", kind="bad_url")
    if not url:
        raise Refused("bad URL: it is empty", kind="bad_url")
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"bad URL: longer than {MAX_URL_LENGTH} characters", kind="bad_url")
    if "\\" in url:
        raise Refused(
            "refused: the URL contains a backslash, which parsers disagree about "
            "(it can hide the real host)"
        )
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise Refused("bad URL: it contains spaces or control characters", kind="bad_url")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise Refused(f"bad URL: {exc}", kind="bad_url") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise Refused(f"refused: only http and https URLs are fetched, not {scheme or 'none'!r}")
    netloc = parts.netloc
    if "@" in netloc:
        raise Refused(
            "refused: the URL carries a user name or password (user@host can hide the real host)"
        )
    if not netloc:
        raise Refused("bad URL: it has no host", kind="bad_url")
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise Refused("bad URL: unclosed [ in the host", kind="bad_url")
        host_text, port_text = netloc[: end + 1], netloc[end + 1 :]
    else:
        host_text, _, rest = netloc.partition(":")
        port_text = ":" + rest if _ else ""
    port = DEFAULT_PORTS[scheme]
    if port_text:
        digits = port_text[1:]
        if not port_text.startswith(":") or (
            digits and not (digits.isascii() and digits.isdigit())
        ):
            raise Refused(f"bad URL: {port_text!r} is not a port", kind="bad_url")
        if digits:
            port = int(digits)
            if not 0 < port < 65536:
                raise Refused(f"bad URL: port {port} is out of range", kind="bad_url")
    host = _normalise_host(host_text)
    address: IPAddress | None
    if ":" in host:
        address = _parse_ipv6(host)
        if address is None:
            raise Refused(f"bad URL: {host_text!r} is not an IPv6 address", kind="bad_url")
    else:
        address = _parse_ipv4(host)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    if address is not None:
        host = str(address)
    return Target(scheme, host, port, path + (f"?{query}" if parts.query else ""), address)


def _normalise_host(text: str) -> str:
    """Lower-case ASCII host: brackets, one trailing dot and IDN spelling resolved."""
    host = text.strip()
    if host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        if "%" in inner:
            raise Refused("refused: IPv6 zone identifiers (%) are not allowed in URLs")
        return inner.lower()
    if ":" in host:
        return host.lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise Refused("bad URL: it has no host", kind="bad_url")
    if "%" in host:
        raise Refused(
            "refused: the host is percent-encoded, which parsers disagree about", kind="refused"
        )
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise Refused(f"bad URL: {text!r} is not a valid host name", kind="bad_url") from None
    host = host.lower()
    labels = host.split(".")
    if any(not label for label in labels):
        raise Refused(f"bad URL: {text!r} has an empty label", kind="bad_url")
    if any(not _label_ok(label) for label in labels):
        raise Refused(f"bad URL: {text!r} is not a valid host name", kind="bad_url")
    if _parse_ipv4(host) is None and _looks_numeric(labels[-1]):
        raise Refused(f"refused: {text!r} looks like an IPv4 address but is not a valid one")
    return host


def _label_ok(label: str) -> bool:
    return len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


def _looks_numeric(label: str) -> bool:
    if label.isascii() and label.isdigit():
        return True
    return label[:2] in ("0x", "0X") and all(c in "0123456789abcdefABCDEF" for c in label[2:])


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any notation a browser or inet_aton accepts, or None.

    Parts may be decimal, octal (leading 0) or hex (0x); one to four parts, the last filling the
    remaining bytes, so 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 all mean 127.0.0.1.
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if part[:2] in ("0x", "0X"):
            digits, base = part[2:], 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        if digits == "" and base == 16:
            numbers.append(0)
            continue
        if not digits or not digits.isascii() or not digits.isalnum():
            return None
        try:
            numbers.append(int(digits, base))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _parse_ipv6(host: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(host.strip("[]"))
    except ValueError:
        return None


def _shown(url: str, target: Target) -> str:
    """How the refusal names the address: as written, and what it means if spelled oddly."""
    raw = (urlsplit(url).hostname or target.host).rstrip(".")
    if raw == target.host or isinstance(target.address, ipaddress.IPv6Address):
        return raw
    return f"{raw} (which means {target.host})"


def _dns_words(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).lower()
