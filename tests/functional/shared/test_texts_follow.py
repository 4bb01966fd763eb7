"""From S3, texts.bin follows the first answer in the background: checked, cached, then read locally."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from thoth.shared.config import load_settings
from thoth.shared.index import Chunk, ModelInfo, open_version, write_version
from thoth.shared.storage import S3ObjectStore

BUCKET = "thoth-texts-follow"
MODEL = ModelInfo("test-model", 4, "sha256:0123456789abcdef")
ROWS = 60  # ~6 KiB of text each: several 64 KiB blocks


def _chunks() -> list[Chunk]:
    rng = np.random.default_rng(1)
    words = [f"w{int(x)}" for x in rng.integers(0, 5000, size=ROWS * 900)]
    return [
        Chunk(
            id=f"c{i}",
            source="handbook",
            path=f"page{i:03d}.md",
            title=f"Page {i}",
            heading_path=[f"S{i}"],
            url=f"https://h.example/page{i}",
            line_start=1,
            line_end=9,
            text=" ".join(words[i * 900 : (i + 1) * 900]),
            content_hash=f"h{i}",
        )
        for i in range(ROWS)
    ]


@pytest.fixture
def s3() -> S3ObjectStore:
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        store = S3ObjectStore(BUCKET, settings=load_settings({"S3_BUCKET_NAME": BUCKET}))
        vectors = np.random.default_rng(0).normal(size=(ROWS, 4)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        write_version(
            store, "handbook", "v1", _chunks(), vectors, model=MODEL, commit=None, builder_version="t"
        )
        yield store


def test_texts_come_local_after_the_first_read(s3: S3ObjectStore, tmp_path: Path) -> None:
    chunks = _chunks()
    index = open_version(s3, "handbook", "v1", tmp_path / "cache")
    assert index.texts_fetch is not None and index.texts_fetch.is_alive()  # waits for the first search
    assert index.chunks[0] == chunks[0]
    before = index.fetched.texts
    index.wait_texts(30)
    local = tmp_path / "cache" / "handbook" / "v1" / "texts.bin"
    assert local.read_bytes() == s3.get("indexes/handbook/v1/texts.bin")
    s3.delete("indexes/handbook/v1/texts.bin")  # every later block must come from the local copy
    assert index.chunks[ROWS - 1] == chunks[ROWS - 1] and index.chunks[ROWS // 2] == chunks[ROWS // 2]
    assert index.fetched.texts == before  # the figure of what came before the answer stays that


def test_an_unwritable_cache_keeps_range_reads(
    s3: S3ObjectStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chunks = _chunks()
    cache = tmp_path / "cache"
    index = open_version(s3, "handbook", "v1", cache)
    index.wait_cached(30)
    (cache / "handbook" / "v1" / "texts.bin").mkdir()  # the cached copy cannot be written
    with caplog.at_level(logging.WARNING, logger="thoth.shared.index.fetch"):
        assert index.chunks[0] == chunks[0]
        index.wait_texts(30)
    assert "stay read by range" in caplog.text
    assert index.chunks[ROWS - 1] == chunks[ROWS - 1]  # still served, by range from S3


def test_a_corrupt_texts_file_is_never_used(
    s3: S3ObjectStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = open_version(s3, "handbook", "v1", tmp_path / "cache")
    good = s3.get("indexes/handbook/v1/texts.bin")
    s3.put("indexes/handbook/v1/texts.bin", good[:-1] + bytes([good[-1] ^ 1]))  # after the version was opened
    with caplog.at_level(logging.WARNING, logger="thoth.shared.index.fetch"):
        index.chunks[0]
        index.wait_texts(30)
    assert "fails its checksum" in caplog.text
    assert not (tmp_path / "cache" / "handbook" / "v1" / "texts.bin").exists()


class _CountedBody:
    """An object body that adds up what is read from it."""

    def __init__(self, inner: Any, counts: list[int]) -> None:
        self.inner, self.counts = inner, counts

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.inner.read(size)
        self.counts.append(len(data))
        return data

    def close(self) -> None:
        self.inner.close()

    def __enter__(self) -> _CountedBody:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_an_oversized_texts_object_is_read_no_further_than_its_manifest_says(
    s3: S3ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chunks = _chunks()
    key = "indexes/handbook/v1/texts.bin"
    listed = len(s3.get(key))
    index = open_version(s3, "handbook", "v1", tmp_path / "cache")
    s3.put(key, s3.get(key) + bytes(16 * 1024 * 1024))  # replaced by one 16 MiB longer: /tmp is small
    counts: list[int] = []
    opened = S3ObjectStore.open
    monkeypatch.setattr(S3ObjectStore, "open", lambda self, k: _CountedBody(opened(self, k), counts))
    with caplog.at_level(logging.WARNING, logger="thoth.shared.index.fetch"):
        assert index.chunks[0] == chunks[0]  # by range: the listed bytes are still there
        index.wait_texts(30)
    assert "larger than the" in caplog.text and "stay read by range" in caplog.text
    assert sum(counts) <= listed + 1
    assert not (tmp_path / "cache" / "handbook" / "v1" / "texts.bin").exists()
