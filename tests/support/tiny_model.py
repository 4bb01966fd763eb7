"""A tiny randomly initialised BERT saved as a sentence-transformers model: CLS pooling and prompts.

Made by the tests themselves (no download): a 32-dimensional, 2-layer BERT over a WordPiece vocabulary
of a few dozen words and the letters, so the export, the refresh and the query encoder run the
CLS + prefix path in seconds.
"""

from __future__ import annotations

from pathlib import Path

SENTENCE = "how do i request time off leave parental policy travel expense the a of to for and on call"
WORDS = (*SENTENCE.split(), "rotation", "handbook", "review", "merge", "security", "incident")
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
DIMENSION = 32
MAX_LENGTH = 48


def build_tiny_model(out: Path, seed: int = 0) -> Path:
    """Save the model in `out` (a sentence-transformers directory) and return it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    letters = "abcdefghijklmnopqrstuvwxyz0123456789:"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(WORDS)), *letters]
    vocab += [f"##{c}" for c in letters]
    tokenizer = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    torch.manual_seed(seed)
    # A wide initialisation: with BERT's usual 0.02 the CLS vector barely depends on the input.
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=DIMENSION, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, initializer_range=1.0,
    )  # fmt: skip
    bert = out.with_name(out.name + "-bert")
    BertModel(config).save_pretrained(bert)
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]",
    ).save_pretrained(bert)  # fmt: skip
    modules = [Transformer(str(bert), max_seq_length=MAX_LENGTH), Pooling(DIMENSION, pooling_mode="cls")]
    model = SentenceTransformer(
        modules=[*modules, Normalize()],
        prompts={"query": QUERY_PROMPT, "document": PASSAGE_PROMPT},
        device="cpu",
    )
    model.save(str(out))
    return out
