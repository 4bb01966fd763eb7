"""What a tool answer may cost: response budgets in characters (about 4 per token) and field caps."""

from __future__ import annotations

import json
from typing import Any, Final

ELLIPSIS: Final = "\u2026"
SEARCH_BUDGET_CHARS: Final = 6000  # snippets of a default (5-hit) answer, before the answer budget below
# Text + structuredContent per search result: snippets shrink (down to SNIPPET_MIN) until an answer
# fits. Documentation full of code and URLs runs at about 2.8 characters per WordPiece token (measured
# on the quality corpus, `nox -s bench -- quality`), so 5 results stay under ~2,000 tokens.
ANSWER_CHARS_PER_RESULT: Final = 1000
HARD_CAP_CHARS: Final = 30000  # text + structuredContent of any answer; about 7,500 tokens
SNIPPET_MAX, SNIPPET_MIN = 400, 100
TOPICS_PAGE: Final = 50
FIELD_CAPS: Final = {"title": 200, "heading": 120, "url": 500, "path": 300}


def cap(value: str, kind: str) -> str:
    """`value` cut to the cap of its kind of field, with an ellipsis when cut."""
    limit = FIELD_CAPS[kind]
    return value if len(value) <= limit else value[: limit - 1] + ELLIPSIS


def size(text: str, structured: dict[str, Any]) -> int:
    """Characters of an answer: its text plus its structuredContent as JSON."""
    return len(text) + len(json.dumps(structured, ensure_ascii=False))
