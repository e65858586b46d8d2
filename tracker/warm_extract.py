"""Imported once by the extraction processes' forkserver: it reads two small pages, so every
process forked from it starts warm. The first extraction in a fresh interpreter costs about
0.4 s of lazy imports and set-up (trafilatura's full cascade, readability, jusText), which would
otherwise count against the first page's `extract_timeout` in every new process."""

from tracker.extract import extract

_PAGE = (
    "<html><head><title>Warm</title></head><body><nav><a href='/'>Home</a></nav><article>"
    "<h1>Warm</h1><p>The council voted on Tuesday to close the old harbour bridge for repairs "
    "next spring, after engineers found cracks in two of its supports.</p><p>A ferry will run "
    "every twenty minutes while the bridge is closed, the council said.</p></article>"
    "</body></html>"
)

extract(_PAGE.encode(), "text/html; charset=utf-8", "http://warm.invalid/story")
extract(b"just a line of text", "text/plain", None)
