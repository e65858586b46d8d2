"""What a URL names, read strictly: URLs and host names parsed the way the SSRF guard needs.

No policy and no settings here (that is `netguard`): a URL is split into scheme, host, port and
request-target, a host name is normalised (IDN, case, trailing dot), IPv4 addresses are read in
every notation browsers accept, and allow-list entries are parsed, so that `config` can refuse a
bad entry when settings are read without importing the guard.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Port = int | None  # an allow-list entry's port; None opens every port

MAX_URL_LENGTH = 4096
DEFAULT_PORTS = {"http": 80, "https": 443}


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
        name = normalise_host(bare)
    except Refused as exc:
        raise ValueError(exc.reason.split(": ", 1)[-1]) from None  # without "bad URL: "
    literal = parse_ipv4(name)
    if literal is not None:
        if wildcard:
            raise ValueError("a wildcard needs a host name, not an address")
        return ipaddress.ip_network(literal), port
    return ("*." if wildcard else "") + name, port


def parse_url(url: str) -> Target:
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
    host = normalise_host(host_text)
    address: IPAddress | None
    if ":" in host:
        address = parse_ipv6(host)
        if address is None:
            raise Refused(f"bad URL: {host_text!r} is not an IPv6 address", kind="bad_url")
    else:
        address = parse_ipv4(host)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    if address is not None:
        host = str(address)
    return Target(scheme, host, port, path + (f"?{query}" if parts.query else ""), address)


def normalise_host(text: str) -> str:
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
    if parse_ipv4(host) is None and _looks_numeric(labels[-1]):
        raise Refused(f"refused: {text!r} looks like an IPv4 address but is not a valid one")
    return host


def _label_ok(label: str) -> bool:
    return len(label) <= 63 and all(c.isalnum() or c in "-_" for c in label)


def _looks_numeric(label: str) -> bool:
    if label.isascii() and label.isdigit():
        return True
    return label[:2] in ("0x", "0X") and all(c in "0123456789abcdefABCDEF" for c in label[2:])


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
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


def parse_ipv6(host: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(host.strip("[]"))
    except ValueError:
        return None
