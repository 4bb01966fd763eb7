"""A synthetic handbook with a realistic vocabulary, for the MCP benchmark.

Real pages are not a short dictionary: their vocabulary is Zipf-distributed with a long tail,
and they carry URLs, commit SHAs, glued identifiers and the odd base64 blob (one 291-character
token once set the width of a whole format-2 vocabulary). Deterministic for a given size.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np

from thoth.shared.index import Chunk
from thoth.shared.text import tokenize

TAIL = 60_000  # invented words beyond the sample handbook's vocabulary
WORDS_PER_CHUNK = 150


def _pseudo_words(rng: np.random.Generator, count: int) -> list[str]:
    letters = np.array(list(string.ascii_lowercase))
    lengths = rng.integers(4, 13, size=count)
    return ["".join(rng.choice(letters, size=int(n))) for n in lengths]


def chunks(count: int, samples: Path, seed: int = 42) -> list[Chunk]:
    """`count` chunks of ten per page, about 1 KB of text each."""
    rng = np.random.default_rng(seed)
    words = sorted({t for p in samples.rglob("*.md") for t in tokenize(p.read_text())})
    words += _pseudo_words(rng, TAIL)
    weights = 1.0 / np.arange(1, len(words) + 1) ** 1.05  # Zipf, s slightly above 1 as in real prose
    weights /= weights.sum()
    picks = rng.choice(len(words), size=(count, WORDS_PER_CHUNK), p=weights)
    hexdigits = np.array(list("0123456789abcdef"))
    b64 = np.array(list(string.ascii_letters + string.digits))
    records = []
    for i in range(count):
        page, part = divmod(i, 10)
        directory = f"section-{page % 40:02d}/topic-{page % 400:03d}"
        body = [words[j] for j in picks[i]]
        extras = []
        if rng.random() < 0.5:
            number = rng.integers(1, 200000)
            extras.append(f"https://gitlab.com/gitlab-org/{body[0]}-{body[1]}/-/merge_requests/{number}")
        if rng.random() < 0.3:
            extras.append("".join(rng.choice(hexdigits, size=40)))  # a commit SHA
        if rng.random() < 0.3:
            extras.append(f"`{body[2]}_{body[3]}_{body[4]}Enabled{body[5].title()}Config`")
        if rng.random() < 0.02:
            extras.append("".join(rng.choice(b64, size=int(rng.integers(120, 300)))))  # a pasted blob
        text = " ".join(body[:60]) + ". " + " ".join(extras) + " " + " ".join(body[60:]) + "."
        title = f"{words[int(picks[page * 10 % count][0])].title()} handbook page {page}"
        records.append(
            Chunk(
                id=f"c{i}", source="handbook", path=f"{directory}/page-{page:05d}.md", title=title,
                heading_path=[title, f"Part {part} {body[7]}"],
                url=f"https://handbook.example.com/{directory}/page-{page:05d}#part-{part}",
                line_start=part * 20 + 1, line_end=part * 20 + 19, text=text, content_hash=f"h{i}",
                commit="0123456789abcdef", last_modified="2026-11-01T00:00:00+00:00",
            )
        )  # fmt: skip
    return records
