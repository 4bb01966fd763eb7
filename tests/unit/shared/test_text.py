"""The keyword tokenizer: Latin words as before, CJK runs as overlapping bigrams, hostile input bounded."""

from __future__ import annotations

import pytest

from thoth.shared.text import MAX_TERM_CHARS, tokenize


def test_latin_words_as_before() -> None:
    assert tokenize("Deploying the Handbook, don't rm -rf / a b 7") == [
        "deploying",
        "handbook",
        "don't",
        "rm",
        "rf",
        "7",
    ]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("有給休暇", ["有給", "給休", "休暇"]),  # Japanese (kanji)
        ("申請します", ["申請", "請し", "しま", "ます"]),  # kanji + hiragana
        ("マネージャー", ["マネ", "ネー", "ージ", "ジャ", "ャー"]),  # katakana with the long-vowel mark
        ("数据安全", ["数据", "据安", "安全"]),  # Chinese
        ("휴가 신청", ["휴가", "신청"]),  # Korean words, one bigram each
        ("字", ["字"]),  # a lone character stays a unigram
        ("GitLabの使い方", ["gitlab", "の使", "使い", "い方"]),  # mixed text
        # full-width "GitLab", an ideographic space, half-width katakana
        (
            "\uff27\uff49\uff54\uff2c\uff41\uff42\u3000\uff76\uff80\uff76\uff85",
            ["gitlab", "カタ", "タカ", "カナ"],
        ),
        ("休暇。申請", ["休暇", "申請"]),  # punctuation ends a run: no bigram across it
    ],
)
def test_cjk_runs_become_bigrams(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_a_phrase_from_inside_a_sentence_shares_its_bigrams() -> None:
    sentence = set(tokenize("年次有給休暇の申請は、取得予定日の二週間前までに行ってください。"))
    assert set(tokenize("休暇の申請")) <= sentence


def test_long_tokens_are_capped() -> None:
    blob = "a" * 5000
    assert tokenize(blob) == ["a" * MAX_TERM_CHARS]
    assert tokenize(f"xy {blob}")[1] == tokenize(blob)[0]  # query and index side cut alike


def test_hostile_input_is_bounded() -> None:
    assert tokenize("\u0000\ud7ff\U0010ffff" * 1000) == []
    assert len(tokenize("漢" * 100_000)) == 99_999
    assert tokenize("") == [] and tokenize("the of and") == []
