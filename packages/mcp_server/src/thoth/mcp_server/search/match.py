"""What a query lets each signal say, and how well a result matches it in absolute terms.

The embedding model reads English (Latin-script words); the keyword index also reads Chinese,
Japanese and Korean (character bigrams). So a query's share of Latin-script terms is how far its
vectors can be trusted: a Japanese phrase leaves ranking and the match measure to keywords.
A query naming an identifier (a flag, a dotted or underscored name, camelCase) asks for that exact
string, which keywords find and vectors blur.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

# `--flag`, `-f`, `a.b`, `bun:ffi`, `blocks/cover`, `snake_case`, `camelCase`, `no-process-env` (one
# hyphen is English: "ten-hour", "built-in")
_IDENTIFIER = re.compile(r"(?:^|\s)--?[A-Za-z]|[A-Za-z0-9][._:/][A-Za-z0-9]|[a-z][A-Z]|_|\w-\w+-\w")
# The match measure: cosine and keyword coverage of the best result, 1.0 for a perfect one.
COVERAGE_SHARE = 1.0 / 3.0


def readable_share(terms: Sequence[str]) -> float:
    """Share of the query's keyword terms the embedding model can read (Latin-script words).

    CJK terms are bigrams (non-ASCII); a query with no terms at all is left to the vectors.
    """
    if not terms:
        return 1.0
    return sum(term.isascii() for term in terms) / len(terms)


def names_identifier(query: str) -> bool:
    """Whether the query holds an identifier-like token (see the module docstring)."""
    return _IDENTIFIER.search(query) is not None


def match_measure(cosine: float, coverage: float, readable: float) -> float:
    """How well a result matches the query, 0..1, comparable across queries and corpora.

    The cosine counts as far as the model can read the query; for the rest the square root of the
    keyword coverage (the share of the query's IDF mass the result holds) stands in: a question's
    phrasing adds CJK bigrams that no page holds, so its coverage runs low even on the answer
    (0.14-0.37 on the Japanese set's questions, 0 for nonsense). Coverage adds its own third: a
    result holding the query's rare words is a match even where the cosine is modest.
    """
    semantic = readable * max(0.0, cosine) + (1.0 - readable) * math.sqrt(max(0.0, coverage))
    return round((1.0 - COVERAGE_SHARE) * semantic + COVERAGE_SHARE * coverage, 4)
