"""Made-up host names for the SSRF guard's tests: FakeDNS answers them, any real lookup fails
the test; `connects` records every address a socket was opened to. Both are fixtures in
conftest.py."""

from __future__ import annotations

import ipaddress
import socket

import pytest
import urllib3.util.connection


class FakeDNS:
    """Answers for made-up names; any real lookup of a name fails the test."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str] | None]] = {}
        self.calls: list[str] = []

    def set(self, host: str, *answers: list[str] | None) -> None:
        """Each call to getaddrinfo for `host` takes the next answer; the last one repeats."""
        self.answers[host] = list(answers)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host: object, port: object, *args: object, **kwargs: object) -> list:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in fake.answers:
            fake.calls.append(name)
            queue = fake.answers[name]
            ips = queue.pop(0) if len(queue) > 1 else queue[0]
            if ips is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port, 0, 0) if ":" in ip else (ip, port),
                )
                for ip in ips
            ]
        try:
            ipaddress.ip_address(name)
        except ValueError:
            raise AssertionError(f"the test tried a real DNS lookup of {name!r}") from None
        fake.calls.append(name)
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address urllib3 opened a socket to."""
    seen: list[str] = []
    real = urllib3.util.connection.create_connection

    def create_connection(address: tuple[str, int], *args: object, **kwargs: object) -> object:
        seen.append(address[0])
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return seen
