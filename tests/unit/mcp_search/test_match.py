"""What a query lets each signal say, and the absolute match measure (no index, no model)."""

from __future__ import annotations

import pytest

from thoth.mcp_server.search.match import match_measure, names_identifier, readable_share
from thoth.shared.text import tokenize


def test_the_model_reads_latin_words_not_cjk_bigrams() -> None:
    assert readable_share(tokenize("how do I request parental leave")) == 1.0
    assert readable_share(tokenize("引き継ぎ資料")) == 0.0
    mixed = tokenize("bun の install 手順")  # bun, install + the bigram and the lone character
    assert readable_share(mixed) == pytest.approx(2 / len(mixed))
    assert readable_share([]) == 1.0  # nothing for keywords either: the vectors decide


@pytest.mark.parametrize(
    "query",
    ["--no-env-file", "bun test --shard", "import.meta.main", "bun:ffi dlopen", "blocks/cover",
     "image_anchor", "printI18nWarnings", "tts-fitara-reviews", "-f"],
)  # fmt: skip
def test_identifiers_are_recognised(query: str) -> None:
    assert names_identifier(query)


@pytest.mark.parametrize(
    "query",
    ["can I work four ten-hour days", "a built-in button label", "how do I stop the commuting subsidy",
     "年次有給休暇", "what's new?"],
)  # fmt: skip
def test_prose_is_not_an_identifier(query: str) -> None:
    assert not names_identifier(query)


def test_match_measure_is_absolute_and_bounded() -> None:
    assert match_measure(1.0, 1.0, 1.0) == 1.0 and match_measure(-0.2, 0.0, 1.0) == 0.0
    english = match_measure(0.45, 0.0, 1.0)
    assert english == pytest.approx(0.3)  # two thirds of the cosine when no query word is held
    assert match_measure(0.45, 0.9, 1.0) > english  # holding the query's words raises it
    # For a query the model cannot read, its cosine says nothing: keyword coverage decides.
    assert match_measure(0.7, 0.0, 0.0) == 0.0
    assert match_measure(0.1, 1.0, 0.0) == 1.0
    assert match_measure(0.7, 0.16, 0.0) == pytest.approx(2 / 3 * 0.4 + 0.16 / 3)
