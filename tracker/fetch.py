"""URL -> response, safely and politely: the one HTTP client storydiff uses (what it returns and
the words for its failures are in `responses.py`).

Every request goes through the SSRF guard (`netguard`): the URL is checked as written, the host is
resolved once, every answer is judged, and the connection goes to the approved address with the
original host name in the Host header, TLS SNI and certificate check, so DNS cannot be swapped
between check and use. Redirects are followed by hand (at most `max_redirects`), each hop checked
the same way. Bodies are streamed and cut off past `max_body_bytes` (after decompression, so a
gzip bomb is cut too). Politeness: robots.txt honoured, a cap on concurrent requests per host and
a minimum gap between request starts to one host. Retries with exponential backoff and jitter on
timeouts, connection errors, 429 (honouring Retry-After) and 5xx.

Decoding bytes to text is `extract`'s job; this module reports the Content-Type with its charset.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
)

from tracker import deadline, robots
from tracker.config import Settings
from tracker.deadline import DeadlineHTTPConnection, DeadlineHTTPSConnection
from tracker.netguard import Refused, Target, resolve, split_url
from tracker.responses import (
    RETRY_AFTER_CAP,
    FetchError,
    FetchResult,
    digits,
    header_safe,
    http_error,
    network_error,
    parse_retry_after,
    plain,
    refusal_kind,
    timeout_error,
    too_large_error,
    why,
)
from tracker.urls import redact

__all__ = ["RETRY_AFTER_CAP", "FetchError", "FetchResult", "Fetcher", "parse_retry_after"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
POST_RESPONSE_CAP = 64 * 1024
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate, br"
_CHUNK = 64 * 1024


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class _Budget:
    """The time left for one call: total_timeout, not counting politeness waits."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def extend(self, seconds: float) -> None:
        self.deadline += seconds


class _Gate:
    """Per-host politeness: at most `limit` requests in flight and a gap between their starts."""

    def __init__(self, limit: int) -> None:
        self.slots = threading.BoundedSemaphore(max(1, limit))
        self.lock = threading.Lock()
        self.next_start = 0.0
        self.users = 0


class Fetcher:
    """One pooled, thread-safe HTTP client per process; see the module docstring for the rules.

    The keyword arguments exist for tests and unusual deployments: `backoff` is the first retry
    delay in seconds (doubled each retry, with jitter), `max_retry_after` the longest Retry-After
    we wait for in-process (longer ones are raised so the scheduler can wait instead), `ca_certs`
    a CA bundle for intranet TLS, `sleep` the function used to wait.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        robots_ttl: float = robots.DEFAULT_TTL,
        ca_certs: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_pools: int = 256,
        shared_gate: Callable[[str, float], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.settings = settings
        # politeness kept elsewhere (Redis, for workers on many machines) instead of in-process
        self.shared_gate = shared_gate
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.ca_certs = ca_certs
        self.sleep = sleep
        self.max_pools = max_pools
        agent = settings.user_agent
        if settings.contact_url:
            agent = f"{agent} (+{settings.contact_url})"
        self.user_agent = agent
        self.robots = robots.RobotsCache(robots_ttl)
        self._pools: OrderedDict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = (
            OrderedDict()
        )
        self._gates: dict[str, _Gate] = {}
        self._lock = threading.Lock()
        self._closed = False

    # public API

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
        respect_robots: bool | None = None,
        final: Callable[[FetchError], bool] | None = None,
    ) -> FetchResult:
        """Fetch `url` with a conditional GET; raises FetchError. A 304 comes back not_modified.

        `final` tells an error status that asking again cannot mend (the checker knows a bot
        challenge served as 503 when it sees one; the fetcher does not): it is not retried.
        """
        started = time.monotonic()
        budget = _Budget(self.settings.total_timeout)
        obey = self.settings.respect_robots if respect_robots is None else respect_robots
        target = self._split(url)
        headers = {"Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        if etag and header_safe(etag):
            headers["If-None-Match"] = etag
        if last_modified and header_safe(last_modified):
            headers["If-Modified-Since"] = last_modified
        hops: list[str] = []
        while True:
            delay = self._robots_delay(target, budget) if obey else 0.0
            reply = self._with_retries(target, headers, budget, delay, final)
            location = reply.headers.get("location", "").strip()
            if reply.status not in REDIRECT_STATUSES:
                break
            if not location:
                raise FetchError(
                    "redirect", f"{redact(target.url)} answered {reply.status} without a Location"
                )
            if len(hops) >= self.settings.max_redirects:
                raise FetchError(
                    "redirect",
                    f"more than {self.settings.max_redirects} redirects, starting at {redact(url)}",
                    status=reply.status,
                )
            try:
                joined = urljoin(target.url, location.replace(" ", "%20"))
            except ValueError:
                raise FetchError(
                    "redirect", f"{redact(target.url)} redirected to an unreadable Location"
                ) from None
            target = self._split(joined)
            hops.append(target.url)
        status = reply.status
        if status >= 400 or status < 200 or (300 <= status < 400 and status != 304):
            raise http_error(target, status, reply.headers, reply.body)
        result = self._result(url, hops[-1] if hops else url, reply, started, hops)
        result.not_modified = status == 304
        result.unchanged_body = bool(previous_hash) and previous_hash == result.body_hash
        return result

    def post(
        self, url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None
    ) -> FetchResult:
        """POST `body` (webhooks): guarded and pinned, no redirects, no retries, small reply.

        HTTP error statuses come back in `.status`; only network failures and refusals raise.
        """
        started = time.monotonic()
        budget = _Budget(timeout if timeout is not None else self.settings.total_timeout)
        target = self._split(url)
        send = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        bad = [k for k, v in send.items() if not (header_safe(k) and header_safe(v)) or not k]
        if bad:
            raise FetchError("bad_url", f"header {bad[0]!r} has a line break or no name")
        ips = self._resolve(target)
        with self._gate(target, gap=0.0, budget=budget):
            reply = self._exchange(target, ips, "POST", send, body, budget, POST_RESPONSE_CAP, True)
        return self._result(url, url, reply, started, [])

    def close(self) -> None:
        """Close every pooled connection; the fetcher is unusable afterwards."""
        with self._lock:
            self._closed = True
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # the steps of a request

    def _split(self, url: str) -> Target:
        try:
            return split_url(url, self.settings)
        except Refused as exc:
            raise FetchError(refusal_kind(exc), exc.reason) from None

    def _resolve(self, target: Target) -> list[str]:
        if target.address is not None:
            return [str(target.address)]
        try:
            return resolve(target.host, target.port, self.settings)
        except Refused as exc:
            raise FetchError(refusal_kind(exc), exc.reason) from None

    def _with_retries(
        self,
        target: Target,
        headers: dict[str, str],
        budget: _Budget,
        gap: float,
        final: Callable[[FetchError], bool] | None = None,
    ) -> _Reply:
        """One hop, retried on timeouts, connection errors, 429 and 5xx."""
        attempt = 0
        while True:
            error: FetchError
            try:
                ips = self._resolve(target)
                with self._gate(target, max(gap, self.settings.per_host_gap), budget):
                    reply = self._exchange(
                        target, ips, "GET", headers, None, budget, self.settings.max_body_bytes
                    )
            except FetchError as exc:
                if exc.kind not in ("timeout", "connection"):
                    raise
                error, wait = exc, self._backoff(attempt)
            else:
                if reply.status != 429 and not 500 <= reply.status < 600:
                    return reply
                error = http_error(target, reply.status, reply.headers, reply.body)
                asked = error.retry_after
                if asked is not None and asked > self.max_retry_after:
                    raise error
                if final is not None and final(error):
                    raise error
                wait = asked if asked is not None else self._backoff(attempt)
            if attempt >= self.settings.retries or wait >= budget.remaining():
                raise error
            self.sleep(wait)
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with 'equal jitter': half fixed, half random."""
        delay = min(self.max_backoff, self.backoff * (2**attempt))
        return delay / 2 + random.uniform(0, delay / 2)

    @contextmanager
    def _gate(self, target: Target, gap: float, budget: _Budget) -> Iterator[None]:
        """Hold one of the host's concurrency slots; the next start waits `gap` after this one."""
        if self.shared_gate is not None:
            waited_from = time.monotonic()
            with self.shared_gate(target.host, gap):
                budget.extend(time.monotonic() - waited_from)
                yield
            return
        with self._lock:
            gate = self._gates.get(target.host)
            if gate is None:
                if len(self._gates) > 10_000:
                    self._prune_gates()
                gate = self._gates[target.host] = _Gate(self.settings.per_host_concurrency)
            gate.users += 1
        waited_from = time.monotonic()
        try:
            gate.slots.acquire()
            try:
                with gate.lock:
                    now = time.monotonic()
                    start = max(now, gate.next_start)
                    gate.next_start = max(gate.next_start, start + gap)
                if start > now:
                    self.sleep(start - now)
                budget.extend(time.monotonic() - waited_from)
                yield
            finally:
                gate.slots.release()
        finally:
            with self._lock:
                gate.users -= 1

    def _prune_gates(self) -> None:
        now = time.monotonic()
        self._gates = {host: g for host, g in self._gates.items() if g.users or g.next_start > now}

    def _pool(self, target: Target, ip: str) -> urllib3.HTTPConnectionPool:
        key = (target.scheme, ip, target.port, target.host)
        with self._lock:
            if self._closed:
                raise FetchError("connection", "the fetcher has been closed")
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            size = max(1, self.settings.per_host_concurrency)
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    ip,
                    target.port,
                    maxsize=size,
                    block=False,
                    retries=False,
                    cert_reqs="CERT_REQUIRED",
                    ca_certs=self.ca_certs,
                    server_hostname=None if target.address is not None else target.host,
                )
                pool.ConnectionCls = DeadlineHTTPSConnection
            else:
                pool = urllib3.HTTPConnectionPool(
                    ip, target.port, maxsize=size, block=False, retries=False
                )
                pool.ConnectionCls = DeadlineHTTPConnection
            self._pools[key] = pool
            evicted = []
            while len(self._pools) > self.max_pools:
                evicted.append(self._pools.popitem(last=False)[1])
        for old in evicted:
            old.close()
        return pool

    def _exchange(
        self,
        target: Target,
        ips: list[str],
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        budget: _Budget,
        cap: int,
        truncate: bool = False,
    ) -> _Reply:
        """One request to the approved addresses (next address only if connecting fails),
        ended at the budget's deadline whatever phase it is in (see `deadline`)."""
        with deadline.watching(budget.deadline) as watch:
            try:
                reply = self._attempt(target, ips, method, headers, body, budget, cap, truncate)
            except FetchError as exc:
                if watch.fired and exc.kind != "too_large":
                    raise timeout_error(target, self.settings.total_timeout) from None
                raise
            if watch.fired:  # the shut socket may have looked like the end of the body
                raise timeout_error(target, self.settings.total_timeout)
            return reply

    def _attempt(
        self,
        target: Target,
        ips: list[str],
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        budget: _Budget,
        cap: int,
        truncate: bool,
    ) -> _Reply:
        send = {"User-Agent": self.user_agent, **headers, "Host": target.host_header}
        failure: FetchError | None = None
        for ip in ips:
            remaining = budget.remaining()
            if remaining <= 0:
                raise timeout_error(target, self.settings.total_timeout)
            timeout = urllib3.Timeout(
                connect=min(self.settings.connect_timeout, remaining),
                read=min(self.settings.read_timeout, remaining),
            )
            try:
                response = self._pool(target, ip).urlopen(
                    method,
                    target.target,
                    body=body,
                    headers=send,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                    timeout=timeout,
                    preload_content=False,
                    decode_content=True,
                )
            except NewConnectionError as exc:
                failure = FetchError(
                    "connection", f"could not connect to {target.host}: {why(exc)}"
                )
                continue
            except ConnectTimeoutError:
                failure = FetchError(
                    "timeout",
                    f"connecting to {target.host} timed out after {timeout.connect_timeout}s",
                )
                continue
            except (HTTPError, OSError) as exc:
                raise network_error(target, exc, self.settings.read_timeout) from None
            return self._read(target, response, budget, cap, truncate)
        raise failure or FetchError("connection", f"no address to connect to for {target.host}")

    def _read(
        self,
        target: Target,
        response: urllib3.BaseHTTPResponse,
        budget: _Budget,
        cap: int,
        truncate: bool,
    ) -> _Reply:
        """Stream the body, never holding more than `cap` bytes; close the connection on abort."""
        headers = {k.lower(): v for k, v in response.headers.itermerged()}
        reply = _Reply(response.status, headers, b"")
        clean = False
        try:
            declared = headers.get("content-length", "")
            if not truncate and digits(declared) and int(declared) > cap:
                raise too_large_error(target, cap)
            chunks: list[bytes] = []
            total = 0
            while True:
                remaining = budget.remaining()
                if remaining <= 0:
                    raise timeout_error(target, self.settings.total_timeout)
                _tighten(response, min(self.settings.read_timeout, remaining))
                chunk = response.read1(min(_CHUNK, cap + 1 - total), decode_content=True)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    if not truncate:
                        raise too_large_error(target, cap)
                    chunks.append(chunk[: len(chunk) - (total - cap)])
                    break
                chunks.append(chunk)
            reply.body = b"".join(chunks)
            clean = total <= cap
            return reply
        except DecodeError:
            raise FetchError(
                "connection",
                f"{redact(target.url)} sent a body that cannot be decompressed "
                f"({plain(headers.get('content-encoding', 'unknown encoding'), 40)})",
                status=response.status,
            ) from None
        except (HTTPError, OSError) as exc:
            if budget.remaining() <= 0.01 and isinstance(exc, ReadTimeoutError | TimeoutError):
                raise timeout_error(target, self.settings.total_timeout) from None
            raise network_error(target, exc, self.settings.read_timeout) from None
        finally:
            if clean:
                response.release_conn()
            else:
                response.close()
                response.release_conn()

    def _robots_delay(self, target: Target, budget: _Budget) -> float:
        """Raise FetchError(robots) if robots.txt forbids the target; else its crawl delay."""
        rules = self._robots_rules(target, budget)
        if not rules.allows(self.user_agent, target.target):
            why = rules.note or f"{target.origin}/robots.txt disallows {target.target}"
            raise FetchError(
                "robots", f"{why} for {robots.product_token(self.user_agent)} (robots.txt)"
            )
        return rules.crawl_delay(self.user_agent)

    def _robots_rules(self, target: Target, budget: _Budget) -> robots.Rules:
        rules = self.robots.get(target.origin)
        if rules is not None:
            return rules
        with self.robots.lock_for(target.origin):
            rules = self.robots.get(target.origin)
            if rules is not None:
                return rules
            rules, ttl = self._download_robots(target, budget)
            self.robots.put(target.origin, rules, ttl)
            return rules

    def _download_robots(self, target: Target, budget: _Budget) -> tuple[robots.Rules, float]:
        """robots.txt per RFC 9309: 4xx allows all, 5xx disallows all for a while."""
        hop = self._split(target.origin + "/robots.txt")
        headers = {"Accept": "text/plain,*/*;q=0.5", "Accept-Encoding": ACCEPT_ENCODING}
        for _ in range(self.settings.max_redirects + 1):
            try:
                ips = self._resolve(hop)
            except FetchError as exc:
                if exc.kind in ("refused", "bad_url"):
                    return robots.ALLOW_ALL, self.robots.ttl
                raise
            with self._gate(hop, self.settings.per_host_gap, budget):
                reply = self._exchange(
                    hop, ips, "GET", headers, None, budget, robots.MAX_BYTES, True
                )
            location = reply.headers.get("location", "").strip()
            if reply.status in REDIRECT_STATUSES and location:
                try:
                    hop = self._split(urljoin(hop.url, location.replace(" ", "%20")))
                except FetchError:
                    return robots.ALLOW_ALL, self.robots.ttl
                continue
            if 200 <= reply.status < 300:
                return robots.parse(reply.body.decode("utf-8", "replace")), self.robots.ttl
            if reply.status >= 500 or reply.status == 429:
                note = (
                    f"{target.origin}/robots.txt answered {reply.status}, "
                    "so the site is off limits for now"
                )
                return robots.Rules(None, False, note), robots.ERROR_TTL
            return robots.ALLOW_ALL, self.robots.ttl
        return robots.ALLOW_ALL, self.robots.ttl

    def _result(
        self, url: str, final_url: str, reply: _Reply, started: float, hops: list[str]
    ) -> FetchResult:
        return FetchResult(
            url=url,
            final_url=final_url,
            status=reply.status,
            headers=reply.headers,
            body=reply.body,
            content_type=reply.headers.get("content-type", ""),
            etag=reply.headers.get("etag"),
            last_modified=reply.headers.get("last-modified"),
            body_hash=hashlib.sha256(reply.body).hexdigest(),
            elapsed_ms=int((time.monotonic() - started) * 1000),
            redirects=hops,
        )


def _tighten(response: urllib3.BaseHTTPResponse, seconds: float) -> None:
    """Shorten the socket timeout as the total budget runs out, so a slow drip cannot outlast it."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(0.001, seconds))
