"""Corpus articles to edit and a document with other paragraphs, shared by the diff, render and
summary tests (the `articles` fixture over them is in conftest.py)."""

from __future__ import annotations

import re

from corpus import corpus_truth, require_corpus

from tracker.document import Document

NUMBER = re.compile(
    r"(?<![\w,.'’:/-])(?:\d{1,3}(?:,\d{3})+|\d{2,})(?![\w,.'’:/@&-])|(?<![\w,.'’:/-])\d{2,}$"
)


def corpus_articles(count: int = 8) -> list[Document]:
    """Articles from the corpus with enough paragraphs to edit in every way tested here."""
    require_corpus()
    docs = []
    for _, item in sorted(corpus_truth().items()):
        doc = Document.from_text(item["articleBody"])
        if 6 <= len(doc.paragraphs) <= 60 and len(set(doc.paragraphs)) == len(doc.paragraphs):
            docs.append(doc)
        if len(docs) == count:
            break
    return docs


def with_paragraphs(doc: Document, paragraphs: list[str], **changes: str) -> Document:
    fields = {"title": doc.title, "byline": doc.byline, **changes}
    return Document.build(paragraphs=paragraphs, **fields)
