"""Keyword tokenization shared by the index writer and the query side."""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")
_STOPWORD_TEXT = """
a an and are as at be but by for from has have how i if in into is it its of on or so that the
their then there these this to was we were what when where which who why will with you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens without stopwords or one-letter noise."""
    return [
        tok
        for tok in _TOKEN_RE.findall(text.lower())
        if tok not in STOPWORDS and (len(tok) > 1 or tok.isdigit())
    ]
