"""The benchmarks' news site: N story pages on 127.0.0.1 in a process of its own (as the internet
would be), with ETags, an optional latency per response, and a message to change a share of them.

`small` pages are short articles (a headline, a byline, six paragraphs, a little navigation: about
4 KB, what a peer comparison's local news site serves); `corpus` pages are the 181 real article
pages of the shared corpus (about 100 KB of markup each), page i being corpus page i % 181 with a
line naming story i.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import random
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = str.split(
    "the council said on tuesday that bridge harbour repairs would start next spring after "
    "engineers found cracks in two of its supports while residents asked for a ferry service "
    "minister budget million euros report police court election vote city river school hospital "
    "workers union strike talks agreement weather storm flood road closed morning evening"
)


def small_page(n: int) -> bytes:
    rnd = random.Random(n)
    paras = [
        " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(30, 60))).capitalize() + "."
        for _ in range(6)
    ]
    paras[3] += f" Story number {n} of the storydiff benchmark."
    body = "".join(f"<p>{p}</p>" for p in paras)
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(8))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Story {n}: council news"
        f"</title><meta name='author' content='Local Desk'></head><body><nav><ul>{nav}</ul></nav>"
        f"<main><article><h1>Story {n}: council news</h1><p class='byline'>By Local Desk</p>"
        f"{body}</article></main><footer>Local News, all rights reserved</footer></body></html>"
    ).encode()


def corpus_pages(count: int) -> list[bytes]:
    sources = corpus_sources()
    return [
        insert(sources[i % len(sources)], f"Story number {i} of the storydiff benchmark.")
        for i in range(count)
    ]


def corpus_sources() -> list[bytes]:
    """The corpus pages, each with a marker where an inserted sentence becomes part of the
    article as storydiff reads it (checked by extracting the page with one inserted), so that
    every change the bench makes is one a reader of the article would see: the middle paragraph
    of a page's markup is, on some pages, a caption or a link list."""
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from corpus import CORPUS

    from tracker.extract import ExtractError, extract

    def seen(html: bytes) -> bool:
        try:
            doc = extract(insert(html, _PROBE), "text/html; charset=utf-8", "http://127.0.0.1/")
        except ExtractError:
            return False
        return _PROBE in doc.text

    truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for path in sorted((CORPUS / "html").glob("*.gz")):
        html = gzip.decompress(path.read_bytes())
        body = truth.get(path.name.removesuffix(".html.gz"), {}).get("articleBody", "")
        out.append(next((m for m in _marked(html, body) if seen(m)), html))
    return out


_MARK = b"<!--storydiff-bench-->"
_PROBE = "Probe sentence of the storydiff bench."


def _marked(html: bytes, body: str) -> Iterator[bytes]:
    """`html` with _MARK where an article paragraph ends, nearest the middle first: before the
    </p> closing a run of the paragraph's words found once in the markup (entities and inline
    tags hide some runs, so several are tried), else right after such a run; last, before the
    middle </p> of the markup."""
    paragraphs = [p.strip() for p in body.split("\n") if len(p.split()) >= 8]
    middle = len(paragraphs) // 2
    for k in sorted(range(len(paragraphs)), key=lambda q: abs(q - middle)):
        words = paragraphs[k].split()
        for end in range(len(words), 3, -1):
            run = " ".join(words[end - 4 : end]).encode()
            at = html.find(run)
            if at < 0 or html.count(run) != 1:
                continue
            close = html.find(b"</p>", at)
            if close >= 0 and b"<p" not in html[at:close].lower():
                yield html[:close] + _MARK + html[close:]
            yield html[: at + len(run)] + _MARK + html[at + len(run) :]
            break
    closes = [m.start() for m in re.finditer(rb"</p>", html, re.IGNORECASE)]
    if closes:  # the middle paragraph of the markup
        at = closes[len(closes) // 2]
        yield html[:at] + _MARK + html[at:]


def insert(html: bytes, sentence: str) -> bytes:
    """Add a sentence at the article's marker (see `corpus_sources`), else to the middle
    paragraph of the page (inside the article, usually)."""
    if _MARK in html:
        return html.replace(_MARK, f" {sentence}".encode() + _MARK, 1)
    marks = [m.start() for m in re.finditer(rb"</p>", html, re.IGNORECASE)]
    if not marks:
        return html.replace(b"</body>", f"<p>{sentence}</p></body>".encode(), 1)
    at = marks[len(marks) // 2]
    return html[:at] + f" {sentence}".encode() + html[at:]


def serve(
    count: int,
    kind: str,
    latency: float,
    out: multiprocessing.Queue,
    changes: multiprocessing.Queue,
) -> None:
    """The site process: /s/N serves story N % count; a share on `changes` rewrites that share
    of the stories (answered with how many of them a reader of the article would see changed:
    a corpus page where no place inside the article was found changes outside it); None stops."""
    pages = corpus_pages(count) if kind == "corpus" else [small_page(i) for i in range(count)]
    tags = [hashlib.sha1(p).hexdigest() for p in pages]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # like real servers: no 40 ms delayed-ACK stalls

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            try:
                n = int(self.path.rsplit("/", 1)[-1]) % count
            except ValueError:
                self._send(404, b"")
                return
            if latency:
                time.sleep(latency)
            with lock:
                body, tag = pages[n], f'"{tags[n]}"'
            if self.headers.get("If-None-Match") == tag:
                self._send(304, b"", tag)
            else:
                self._send(200, body, tag)

        def _send(self, status: int, body: bytes, tag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if tag:
                self.send_header("ETag", tag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 512
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out.put(server.server_address[1])
    edition = 0
    while True:
        share = changes.get()
        if share is None:
            break
        edition += 1
        visible = 0
        with lock:
            for n in range(0, count, max(1, round(1 / share))):
                visible += kind != "corpus" or _MARK in pages[n]
                pages[n] = insert(pages[n], f"Update {edition}: the council confirmed it.")
                tags[n] = hashlib.sha1(pages[n]).hexdigest()
        out.put(visible)
    server.shutdown()


class Site:
    """The site process, started on creation: `.port`, `.pid`, `.change(share)`, `.close()`."""

    def __init__(self, count: int, kind: str = "small", latency: float = 0.0) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._out, self._changes = ctx.Queue(), ctx.Queue()
        self._proc = ctx.Process(
            target=serve, args=(count, kind, latency, self._out, self._changes), daemon=True
        )
        self._proc.start()
        self.port: int = self._out.get(timeout=180)
        self.pid = self._proc.pid

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/s/{n}"

    def change(self, share: float) -> int:
        """Rewrite `share` of the stories; how many of those changed inside the article."""
        self._changes.put(share)
        return int(self._out.get(timeout=180))

    def close(self) -> None:
        self._changes.put(None)
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
