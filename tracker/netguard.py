"""The SSRF guard: which URLs and addresses storydiff may connect to, decided before any socket.

A tracked URL is chosen by whoever adds a story, a feed entry or a redirect, so it must never let
them reach the machine's own services, the LAN or a cloud metadata endpoint. `check_url` judges
the URL as written (scheme, spelling, literal addresses in every notation, no DNS); `resolve`
looks the host up once and judges every answer. The fetcher then connects to exactly the address
`resolve` approved, so a second DNS answer cannot swap it (no rebinding). Clients that resolve
for themselves (Apprise's plugins) are pinned instead: inside `pinned`, this thread's
`socket.getaddrinfo` answers only the addresses `judged` returned for each host.

Opt-in: `Settings.allow_private` (env `TRACKER_ALLOW_PRIVATE=1`) allows every address;
`Settings.allow_hosts` lists host names (`intranet.example`, `*.corp.example`), addresses or
networks (`10.1.0.0/16`) that may be private while everything else stays guarded; an entry with a
port (`127.0.0.1:8001`, `[::1]:8001`, `intranet.example:8080`) opens that port only.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from urllib.parse import urlsplit

from tracker.config import Settings
from tracker.hosts import (
    IPAddress,
    Network,
    Port,
    Refused,
    Target,
    allow_entry,
    normalise_host,
    parse_ipv4,
    parse_ipv6,
    parse_url,
)

__all__ = [
    "Refused",
    "Target",
    "check_host",
    "check_url",
    "classify",
    "judged",
    "pinned",
    "resolve",
    "split_url",
]
_HINT = " (set TRACKER_ALLOW_PRIVATE=1 or list it in TRACKER_ALLOW_HOSTS to allow it)"
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPAT = ipaddress.ip_network("::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def check_url(url: str, settings: Settings) -> None:
    """Refuse a URL by its scheme, spelling or literal address, without any DNS lookup."""
    split_url(url, settings)


def split_url(url: str, settings: Settings) -> Target:
    """Check a URL like `check_url` and return its parts in the canonical form the fetcher uses."""
    target = parse_url(url)
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
    name = normalise_host(host)
    literal = parse_ipv4(name) if ":" not in name else parse_ipv6(name)
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


def check_host(host: str, port: Port, settings: Settings) -> Target:
    """Refuse a host that a client other than the fetcher will connect to (Apprise's plugins),
    by its name or literal address, without DNS (`judged` adds the lookup).

    `port` None means the client picks its own (Kodi 8080, syslog 514...): then only an
    allow-list entry without a port lets a private address through.
    """
    target = _host_target(host)
    _judge(target.address, target.host, port, settings, lambda: host)
    return target


def judged(host: str, port: Port, settings: Settings) -> tuple[str, list[str]]:
    """`check_host` with the lookup, returning the host as `pinned` names it and the addresses
    that may be connected to for it (a literal address: itself)."""
    target = check_host(host, port, settings)
    if target.address is not None:
        return target.host, [str(target.address)]
    return target.host, resolve(target.host, port, settings)


def _host_target(host: str) -> Target:
    """A bare host (name or address in any spelling) read the way a URL's host is."""
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return parse_url(f"http://{name}/")


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


def _shown(url: str, target: Target) -> str:
    """How the refusal names the address: as written, and what it means if spelled oddly."""
    raw = (urlsplit(url).hostname or target.host).rstrip(".")
    if raw == target.host or isinstance(target.address, ipaddress.IPv6Address):
        return raw
    return f"{raw} (which means {target.host})"


def _dns_words(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).lower()


# DNS pinning for clients that resolve names themselves (requests/urllib3 and smtplib inside
# Apprise): `socket.getaddrinfo` is wrapped once, process-wide, and the wrapper consults a
# thread-local pin, so only the thread inside `pinned` is affected.
_SYSTEM_GETADDRINFO = socket.getaddrinfo  # used only with AI_NUMERICHOST: never asks DNS
_pin = threading.local()
_install_lock = threading.Lock()
Pins = Mapping[tuple[str, Port], Sequence[str]]


@contextmanager
def pinned(pins: Pins) -> Iterator[list[str]]:
    """While inside, this thread's name lookups answer only what the guard judged.

    `pins` maps (host as `judged` names it, port or None for any port) to the judged addresses.
    A lookup of any other host, or of a pinned host on another port, fails with socket.gaierror,
    and its refusal is appended to the yielded list (for the delivery's error). Other threads,
    and this one once outside, see the normal resolver.
    """
    _install()
    previous = getattr(_pin, "state", None)
    refusals: list[str] = []
    _pin.state = (dict(pins), refusals)
    try:
        yield refusals
    finally:
        _pin.state = previous


def _install() -> None:
    """Wrap `socket.getaddrinfo` once, and again if something replaced the wrapper (a test's
    fake resolver, gevent), so the pin is always consulted first."""
    with _install_lock:
        current = socket.getaddrinfo
        if not getattr(current, "_storydiff_pin", False):
            socket.getaddrinfo = _pinning(current)  # type: ignore[assignment]


def _pinning(inner: Callable[..., list]) -> Callable[..., list]:
    def getaddrinfo(
        host: object, port: object, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list:
        state = getattr(_pin, "state", None)
        if state is None:
            return inner(host, port, family, type, proto, flags)
        return _pinned_answer(state, host, port, family, type, proto, flags)

    getaddrinfo._storydiff_pin = True  # type: ignore[attr-defined]
    return getaddrinfo


def _pinned_answer(
    state: tuple[dict[tuple[str, Port], Sequence[str]], list[str]],
    host: object,
    port: object,
    family: int,
    type: int,
    proto: int,
    flags: int,
) -> list:
    pins, refusals = state
    text = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    number = _port_number(port)
    try:
        name = _host_target(text).host if host is not None else ""
    except Refused:
        name = ""
    addresses = [*pins.get((name, number), ()), *pins.get((name, None), ())]
    if not name or not addresses:
        where = text if number is None else f"{text} port {number}"
        reason = f"refused: the send tried to reach {where}, which the SSRF guard did not judge"
        refusals.append(reason)
        raise socket.gaierror(socket.EAI_NONAME, reason)
    answers: list = []
    for ip in dict.fromkeys(addresses):
        try:
            answers += _SYSTEM_GETADDRINFO(
                ip, port, family, type, proto, flags | socket.AI_NUMERICHOST
            )
        except socket.gaierror:
            continue  # not of the address family asked for
    if not answers:
        raise socket.gaierror(socket.EAI_NONAME, f"{text} has no judged address of that family")
    return answers


def _port_number(port: object) -> Port:
    """The port a lookup asks about, or None when it names no number (a service name)."""
    if isinstance(port, int):
        return port
    text = port.decode("ascii", "replace") if isinstance(port, bytes) else str(port or "")
    return int(text) if text.isascii() and text.isdigit() else None
