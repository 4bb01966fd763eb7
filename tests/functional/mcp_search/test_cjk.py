"""Japanese keyword search end to end: a six-character phrase from inside a paragraph finds its page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.support.mcp_search import call_tool, embed, publish
from thoth.shared.index import Chunk

# A real paragraph of the kind the handbook's Japanese translation holds (paid leave rules).
PARAGRAPH = (
    "年次有給休暇を取得する場合は、取得予定日の二週間前までにマネージャーへ申請してください。"
    "チームの業務に支障が出ないよう、長期休暇の際は引き継ぎ資料を作成し、共有カレンダーに予定を登録します。"
    "急な体調不良による欠勤は、当日の始業前までにチャットで連絡してください。"
)
PHRASE = "引き継ぎ資料"  # six characters from inside the second sentence
# Other Japanese pages: to the English model every Japanese text looks alike (cosines 0.5-0.7), so
# only keywords can tell these apart from the page that holds the phrase.
OTHERS = {
    "ja/finance/expenses.md": (
        "経費精算",
        "経費は毎月二十五日締めで、翌月十日に給与口座へ振り込まれます。領収書は撮影して提出します。",
    ),
    "ja/it/laptop.md": (
        "パソコンの貸与",
        "入社初日に情報システム部の窓口で、パソコンと充電器を受け取ります。故障したら連絡してください。",
    ),
}


@pytest.fixture
def with_japanese_page(
    encoder_env: Path,
    sample_corpus: tuple[list[Chunk], npt.NDArray[np.float32]],
    encoder_fingerprint: str,
    built_encoder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    chunks, vectors = sample_corpus
    page = Chunk(
        id="ja-time-off", source="handbook", path="ja/people/time-off.md", title="休暇について",
        heading_path=["休暇について", "年次有給休暇"], url="https://handbook.example.com/ja/people/time-off#年次有給休暇",
        line_start=1, line_end=8, text=PARAGRAPH, content_hash="ja",
    )  # fmt: skip
    others = [
        Chunk(
            id=f"ja-{i}",
            source="handbook",
            path=path,
            title=title,
            heading_path=[title],
            url=f"https://handbook.example.com/{path[:-3]}",
            line_start=1,
            line_end=3,
            text=text,
            content_hash=f"ja-{i}",
        )
        for i, (path, (title, text)) in enumerate(OTHERS.items())
    ]
    pages = [page, *others]
    all_vectors = np.vstack([vectors, embed([c.keyword_text for c in pages], built_encoder)])
    publish("handbook", "v1", [*chunks, *pages], all_vectors, encoder_fingerprint)


def test_japanese_phrase_from_inside_a_paragraph_is_found(with_japanese_page: None) -> None:
    assert PHRASE in PARAGRAPH and not PARAGRAPH.startswith(PHRASE)
    output = call_tool("search_handbook", {"query": PHRASE, "limit": 5})
    assert not output.is_error, output.text
    assert output.structured is not None
    first = output.structured["results"][0]
    assert first["path"] == "ja/people/time-off.md"  # keywords carry a query the model cannot read
    assert PHRASE in first["snippet"]
    assert output.structured["weak"] is False and first["match"] > 0.9  # every bigram of the query


def test_japanese_nonsense_matches_nothing(with_japanese_page: None) -> None:
    # No page holds any of its bigrams and the model cannot read it: nothing is offered as an answer.
    output = call_tool("search_handbook", {"query": "ほげほげ ぬるぽ ふがふが"})
    assert output.structured is not None and output.structured["weak"] is True
    assert output.structured["results"] == [] and output.text.startswith("No results for")


def test_english_search_is_unchanged_by_the_japanese_page(with_japanese_page: None) -> None:
    output = call_tool("search_handbook", {"query": "on-call compensation", "limit": 1})
    assert (
        output.structured is not None and output.structured["results"][0]["path"] == "engineering/on-call.md"
    )
