"""Index loading: hot swaps, verification failures keep the old version, incompatible models, AWS backends."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import numpy as np
import numpy.typing as npt
import pytest
from moto import mock_aws

from tests.support.mcp_search import call_tool, embed, index_health, publish
from thoth.mcp_server.search import registry as indexes
from thoth.shared.config import get_settings, load_settings
from thoth.shared.index import Chunk, LivePointer
from tools.embedded_aws import create_state_table

Corpus = tuple[list[Chunk], npt.NDArray[np.float32]]
MOON = "Moon base etiquette: airlock doors close after twelve seconds; never prop them open."


def _top_path(query: str) -> str:
    output = call_tool("search_handbook", {"query": query, "limit": 1})
    assert not output.is_error, output.text
    assert output.structured is not None
    return str(output.structured["results"][0]["path"])


def _with_moon_page(corpus: Corpus, built_encoder: Path) -> Corpus:
    chunks, vectors = corpus
    moon = Chunk(
        id="moon", source="handbook", path="facilities/moon-base.md", title="Moon base",
        heading_path=["Moon base"], url="https://handbook.example.com/facilities/moon-base",
        line_start=1, line_end=3, text=MOON, content_hash="moon",
    )  # fmt: skip
    return [*chunks, moon], np.vstack([vectors, embed([moon.keyword_text], built_encoder)])


def _wait_for_cache_writes() -> None:
    for served in indexes.registry()._served.values():
        served.prepared.index.wait_cached()


def _cache(version: str) -> Path:
    _wait_for_cache_writes()
    return get_settings().home / "cache" / "handbook" / version


def test_hot_swap_serves_the_new_version_and_prunes_the_old(
    published: LivePointer, sample_corpus: Corpus, built_encoder: Path, encoder_fingerprint: str
) -> None:
    assert _top_path("airlock doors on the moon base") != "facilities/moon-base.md"
    assert _cache("v1").is_dir()
    chunks, vectors = _with_moon_page(sample_corpus, built_encoder)
    publish("handbook", "v2", chunks, vectors, encoder_fingerprint)
    assert _top_path("airlock doors on the moon base") == "facilities/moon-base.md"
    assert index_health()["indexes"]["handbook"]["version"] == "v2"
    assert _cache("v2").is_dir() and not _cache("v1").exists()


def test_pointer_is_cached_for_the_ttl(
    published: LivePointer,
    sample_corpus: Corpus,
    built_encoder: Path,
    encoder_fingerprint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "3600")
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    chunks, vectors = _with_moon_page(sample_corpus, built_encoder)
    publish("handbook", "v2", chunks, vectors, encoder_fingerprint)
    assert _top_path("airlock doors on the moon base") != "facilities/moon-base.md"  # still v1
    indexes.registry().pointers(refresh=True)
    assert _top_path("airlock doors on the moon base") == "facilities/moon-base.md"


def _corrupt(version: str, name: str) -> None:
    path = get_settings().home / "objects" / "indexes" / "handbook" / version / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupt_new_version_keeps_the_old_one(
    published: LivePointer, sample_corpus: Corpus, built_encoder: Path, encoder_fingerprint: str
) -> None:
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    chunks, vectors = _with_moon_page(sample_corpus, built_encoder)
    publish("handbook", "v2", chunks, vectors, encoder_fingerprint)
    _corrupt("v2", "index.bin")
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    assert _top_path("airlock doors on the moon base") != "facilities/moon-base.md"
    health = index_health()
    assert health["status"] == "degraded" and health["indexes"]["handbook"]["version"] == "v1"
    # issue 12: the reason is generic (the details are in the log), and names what still serves
    assert "handbook/v2 is corrupt or incomplete" in health["reason"] and "serving v1" in health["reason"]
    assert "index.bin" not in health["reason"] and "objects" not in health["reason"]
    assert not _cache("v2").exists()
    assert [p.name for p in _cache("v1").parent.iterdir()] == ["v1"]  # no staging leftovers
    status = call_tool("index_status", {}).structured
    assert status is not None and status["sources"][0]["status"] == "degraded"


def test_corrupt_first_version_is_an_error_not_a_crash(published: LivePointer) -> None:
    _corrupt("v1", "index.bin")
    output = call_tool("search_handbook", {"query": "on-call"})
    assert output.is_error and "handbook/v1 is corrupt or incomplete" in output.text
    assert not _cache("v1").exists()


def test_incomplete_version_is_refused(published: LivePointer) -> None:
    (get_settings().home / "objects" / "indexes" / "handbook" / "v1" / "index.bin").unlink()
    output = call_tool("list_topics", {})
    assert output.is_error and "handbook/v1 is corrupt or incomplete" in output.text


def test_index_from_another_model_is_refused(
    encoder_env: Path, sample_corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    chunks, vectors = sample_corpus
    publish("handbook", "v1", chunks, vectors, "sha256:0123456789abcdef")
    output = call_tool("search_handbook", {"query": "on-call"})
    assert output.is_error and "model fingerprint sha256:0123456789abcdef" in output.text
    assert "refresh --full" in output.text
    health = index_health()
    assert health["status"] == "degraded" and "sha256:0123456789abcdef" in health["reason"]
    assert not _cache("v1").exists()  # refused before downloading


def test_incompatible_new_version_keeps_the_old_one(published: LivePointer, sample_corpus: Corpus) -> None:
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    chunks, vectors = sample_corpus
    publish("handbook", "v2", chunks, vectors, "sha256:0123456789abcdef")
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    health = index_health()
    assert health["status"] == "degraded" and health["indexes"]["handbook"]["version"] == "v1"


def test_bad_pointer_ttl_is_reported(encoder_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "soon")
    health = index_health()
    assert health["status"] == "degraded" and "THOTH_POINTER_TTL_S='soon' is not a number" in health["reason"]
    output = call_tool("index_status", {})
    assert output.is_error and "THOTH_POINTER_TTL_S" in output.text


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("THOTH_CACHE_DIR", raising=False)
    settings = load_settings()
    assert settings.cache_dir == settings.home / "cache"
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "thoth-mcp")
    assert load_settings().cache_dir == Path("/tmp/thoth-cache")
    monkeypatch.setenv("THOTH_CACHE_DIR", str(tmp_path / "c"))
    assert load_settings().cache_dir == tmp_path / "c"
    assert indexes.registry().cache == tmp_path / "c"


def test_malformed_pointer_is_reported(encoder_env: Path) -> None:
    from thoth.shared.state import state_store

    state_store().put("live", "handbook", {"version": "v1"})
    health = index_health()
    assert health["status"] == "degraded" and "live pointer for 'handbook' is malformed" in health["reason"]


def test_s3_and_dynamodb_backends(
    encoder_env: Path,
    sample_corpus: Corpus,
    encoder_fingerprint: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("S3_BUCKET_NAME", "thoth-search-test")
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "thoth-search-test")
    monkeypatch.setenv("THOTH_CACHE_DIR", str(tmp_path / "lambda-tmp"))
    monkeypatch.setenv("THOTH_POINTER_TTL_S", "0")
    get_settings.cache_clear()
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="thoth-search-test")
        create_state_table(boto3.client("dynamodb"), "thoth-search-test")
        assert index_health()["status"] == "degraded"
        chunks, vectors = sample_corpus
        publish("handbook", "v1", chunks, vectors, encoder_fingerprint)
        assert _top_path("how do I file an expense claim") == "finance/expense-policy.md"
        _wait_for_cache_writes()
        assert (tmp_path / "lambda-tmp" / "handbook" / "v1" / "manifest.json").is_file()
        health = index_health()
        assert health["status"] == "ok" and health["indexes"]["handbook"]["version"] == "v1"
        # A corrupt object in S3 leaves the served version alone.
        publish("handbook", "v2", chunks, vectors, encoder_fingerprint)
        s3 = boto3.client("s3")
        s3.put_object(Bucket="thoth-search-test", Key="indexes/handbook/v2/texts.bin", Body=b"{}\n")
        assert _top_path("how do I file an expense claim") == "finance/expense-policy.md"
        health = index_health()
        assert health["indexes"]["handbook"]["version"] == "v1" and "corrupt" in health["reason"]
        assert "thoth-search-test" not in health["reason"]
    assert (
        json.loads((tmp_path / "lambda-tmp" / "handbook" / "v1" / "manifest.json").read_text())["version"]
        == "v1"
    )


def test_registry_reads_the_one_shared_pointer_type(published: LivePointer) -> None:
    """/health reads pointers through numpy-free thoth.shared.live, the type the refresh side writes."""
    from dataclasses import asdict

    from thoth.shared.index import list_live
    from thoth.shared.state import state_store

    (shared,) = list_live(state_store())
    (light,) = indexes.registry().pointers(refresh=True)
    assert type(light) is type(shared) and asdict(light) == asdict(shared)


def test_concurrent_searches_during_a_swap_see_whole_versions(
    published: LivePointer, sample_corpus: Corpus, built_encoder: Path, encoder_fingerprint: str
) -> None:
    import threading

    chunks, vectors = _with_moon_page(sample_corpus, built_encoder)
    errors: list[str] = []
    paths: list[str] = []

    def worker() -> None:
        for _ in range(5):
            output = call_tool("search_handbook", {"query": "airlock doors on the moon base", "limit": 1})
            if output.is_error or output.structured is None:
                errors.append(output.text)
            else:
                paths.append(output.structured["results"][0]["path"])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    publish("handbook", "v2", chunks, vectors, encoder_fingerprint)
    for thread in threads:
        thread.join()
    assert errors == [] and len(paths) == 20
    assert _top_path("airlock doors on the moon base") == "facilities/moon-base.md"


def _count_reads(monkeypatch: pytest.MonkeyPatch, fail_first: bool) -> list[str]:
    """Record every object read of the local store (whole objects and ranges); optionally fail the first."""
    from thoth.shared.errors import StorageError
    from thoth.shared.storage import LocalObjectStore

    real_get, real_range = LocalObjectStore.get, LocalObjectStore.get_range
    calls: list[str] = []

    def count(key: str) -> None:
        calls.append(key)
        if fail_first and len(calls) == 1:
            raise StorageError("object store unreachable (injected)")

    def get(self: LocalObjectStore, key: str) -> bytes:
        count(key)
        return real_get(self, key)

    def get_range(self: LocalObjectStore, key: str, start: int, length: int) -> bytes:
        count(key)
        return real_range(self, key, start, length)

    monkeypatch.setattr(LocalObjectStore, "get", get)
    monkeypatch.setattr(LocalObjectStore, "get_range", get_range)
    return calls


def test_failed_download_is_retried(published: LivePointer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_reads(monkeypatch, fail_first=True)
    monkeypatch.setattr(indexes, "RETRY_TRANSIENT_S", 0.0)
    first = call_tool("search_handbook", {"query": "on-call"})
    assert first.is_error and "handbook/v1 could not be loaded" in first.text
    assert "injected" not in first.text  # details go to the log only
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    # the failed manifest read, then the manifest, index.bin (one range: it is small) and the hit's text block
    assert calls[:3] == [
        "indexes/handbook/v1/manifest.json",
        "indexes/handbook/v1/manifest.json",
        "indexes/handbook/v1/index.bin",
    ]
    assert set(calls[3:]) == {"indexes/handbook/v1/texts.bin"}


def test_transient_failures_back_off(published: LivePointer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store that keeps failing is asked again after 5 s, then 10 s, ... not on every request."""
    from thoth.shared.errors import StorageError
    from thoth.shared.storage import LocalObjectStore

    now = [1000.0]
    registry = indexes.IndexRegistry(
        state=indexes.registry()._state_factory,
        store=lambda: LocalObjectStore(get_settings().home / "objects"),
        cache=get_settings().cache_dir,
        ttl_s=3600,
        clock=lambda: now[0],
    )
    calls: list[str] = []

    def fail(self: LocalObjectStore, key: str) -> bytes:
        calls.append(key)
        raise StorageError("unreachable (injected)")

    monkeypatch.setattr(LocalObjectStore, "get", fail)
    waits = []
    for _ in range(3):
        before = len(calls)
        with pytest.raises(indexes.IndexUnavailable):
            registry.serving()
        assert len(calls) == before + 1
        for _ in range(5):  # requests inside the back-off window do not touch the store
            with pytest.raises(indexes.IndexUnavailable, match="could not be loaded"):
                registry.serving()
        assert len(calls) == before + 1
        assert registry.health()["status"] == "degraded"
        retry_at = registry._failed[("handbook", "v1")][1]
        waits.append(retry_at - now[0])
        now[0] = retry_at
    assert waits == [5.0, 10.0, 20.0]


def test_corrupt_version_is_not_downloaded_again(
    published: LivePointer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_reads(monkeypatch, fail_first=False)
    _corrupt("v1", "index.bin")
    for _ in range(3):
        output = call_tool("search_handbook", {"query": "on-call"})
        assert output.is_error and "corrupt or incomplete" in output.text
    assert calls == ["indexes/handbook/v1/manifest.json", "indexes/handbook/v1/index.bin"]


def test_unwritable_cache_still_serves(
    published: LivePointer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache that cannot be written costs the next cold start a download, not this request."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("THOTH_CACHE_DIR", str(blocker))
    get_settings.cache_clear()  # settings are read once per process
    assert _top_path("on-call compensation") == "engineering/on-call.md"
    _wait_for_cache_writes()
    assert any("cannot cache index" in r.getMessage() for r in caplog.records)


def test_ranking_and_browsing_read_no_chunk_text(
    published: LivePointer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Texts are read for the hits only: ranking, list_topics and page lookups by URL use index.bin."""
    calls = _count_reads(monkeypatch, fail_first=False)
    query = {"query": "on-call compensation", "limit": 1}
    output = call_tool("search_handbook", {**query, "spread_pages": False})
    assert not output.is_error
    texts = [c for c in calls if c.endswith("texts.bin")]
    assert len(texts) == 1  # the one block holding the one hit
    # Page-aware (the default), the answer also links the page's other matching sections: their
    # texts are read too, and nothing more (at most one block per chunk the answer names).
    del calls[:]
    output = call_tool("search_handbook", query)
    assert not output.is_error and output.structured is not None
    named = 1 + len(output.structured["results"][0]["more_sections"])
    assert 1 <= len([c for c in calls if c.endswith("texts.bin")]) <= named
    before = len(calls)
    topics = call_tool("list_topics", {"prefix": "engineering"})
    assert not topics.is_error and topics.structured is not None
    assert any(t["title"] for t in topics.structured["topics"] if t["kind"] == "page")
    assert len(calls) == before  # titles come from the page table
    section = call_tool(
        "get_handbook_section", {"path": "https://handbook.example.com/engineering/on-call#compensation"}
    )
    assert not section.is_error, section.text
    assert set(calls[before:]) <= {"indexes/handbook/v1/texts.bin"}
