"""Keyword tokenization shared by the index writer and the query side (one definition for both).

Latin text: lowercase ASCII words and digits, stopwords and one-letter noise dropped. Chinese,
Japanese and Korean runs: overlapping character bigrams, a lone character as a unigram (what
Lucene's CJKAnalyzer and Pagefind do), so a phrase from inside a sentence matches without a
dictionary segmenter. Full-width letters and half-width katakana are folded by NFKC first.
"""

from __future__ import annotations

import re
import unicodedata

# Han (with extension A, compatibility ideographs and the supplementary planes), the iteration
# marks 々〆〇, Hiragana, Katakana (with the phonetic extensions and the prolonged-sound mark),
# and Hangul (syllables and jamo).
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3040-\u309f\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_WORD = r"[a-z0-9]+(?:['\u2019][a-z]+)?"
_WORD_RE = re.compile(_WORD)
_TOKEN_RE = re.compile(rf"({_WORD})|([{_CJK}]+)")
_STOPWORD_TEXT = """
a an and are as at be but by for from has have how i if in into is it its of on or so that the
their then there these this to was we were what when where which who why will with you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Longer tokens (hashes, base64 blobs, glued identifiers) are cut to this many characters: one
# 291-character token once set the width of a whole vocabulary, and no one types past 64.
MAX_TERM_CHARS = 64


def _words(text: str) -> list[str]:
    return [
        word[:MAX_TERM_CHARS]
        for word in _WORD_RE.findall(text)
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit())
    ]


def tokenize(text: str) -> list[str]:
    """Keyword tokens of `text`: Latin words, CJK bigrams (a lone CJK character as itself)."""
    lowered = text.lower()
    if lowered.isascii():  # the common case keeps the one-regex speed of the Latin-only tokenizer
        return _words(lowered)
    lowered = unicodedata.normalize("NFKC", lowered).lower()
    tokens: list[str] = []
    for word, run in _TOKEN_RE.findall(lowered):
        if word:
            if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
                tokens.append(word[:MAX_TERM_CHARS])
        elif len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens
