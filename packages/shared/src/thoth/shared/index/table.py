"""index.bin's section table, checked before a byte of it is fetched or a section inflated.

A manifest is read from the store, so it is not trusted: a few KB of index.bin can declare
gigabytes of zeros (zstd shrinks them ~30,000 to 1), and loading would then allocate whatever
the table says before any cross-check. So, from the table alone: every array's shape must fit the
others (rows, pages, terms, postings, text blocks), the declared sizes must stay within a ratio
of index.bin's own size, and what loading allocates must fit a memory budget. Sections this reader
does not know are never inflated (nor counted).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from thoth.shared.errors import IndexFormatError
from thoth.shared.index.format import DTYPES, INDEX_FILE, TEXTS_FILE, Manifest, Section

MIB = 1024 * 1024
# Honest versions inflate ~1.7x (int8 vectors hardly compress); a corpus of many identical pages
# inflates more, so the cap is generous, and a small version may inflate to FLOOR_BYTES anyway.
MAX_RATIO = 32
FLOOR_BYTES = 64 * MIB
# Of the machine's (or Lambda function's) memory, the share one version's load may take: a hot
# swap holds two versions for a moment, and the runtime and query encoder need the rest.
MEMORY_SHARE = 0.5
STRING_TABLES = ("page_path", "page_title", "page_url", "terms")
POSTINGS = ("head", "body")
MATRICES = ("vectors", "page_vectors")  # int8 in index.bin, float32 in memory


def _rows_of(sections: Mapping[str, Section], name: str) -> int:
    section = sections.get(name)
    if section is None:
        raise IndexFormatError(f"index.bin has no section {name!r}; the version is incomplete")
    return section.shape[0]


def known_sections(manifest: Manifest) -> dict[str, Section]:
    """The sections this reader inflates, their shapes checked against each other.

    IndexFormatError names the first section whose shape disagrees (or that is missing).
    """
    sections, n, d = manifest.sections, manifest.chunk_count, manifest.model.dimension
    p = _rows_of(sections, "page_path_lengths")
    t = _rows_of(sections, "terms_lengths")
    blocks = _rows_of(sections, "text_offsets")
    want: dict[str, tuple[int | None, ...]] = {
        "vectors": (n, d), "vector_scales": (n,), "row_page": (n,), "row_line": (n,),
        "terms_df": (t,), "text_offsets": (blocks,), "text_rows": (blocks,),
    }  # fmt: skip
    for name in STRING_TABLES:
        want[f"{name}_bytes"] = (None,)
        want[f"{name}_lengths"] = (t if name == "terms" else p,)
    for name in POSTINGS:
        want[f"{name}_counts"] = (t,)
        want[f"{name}_lengths"] = (n,)
        want[f"{name}_deltas"] = want[f"{name}_tfs"] = (_rows_of(sections, f"{name}_deltas"),)
    if "page_vectors" in sections or "page_vector_scales" in sections:
        want.update({"page_vectors": (p, d), "page_vector_scales": (p,)})
    known: dict[str, Section] = {}
    for name, shape in want.items():
        section = sections.get(name)
        if section is None:
            raise IndexFormatError(f"index.bin has no section {name!r}; the version is incomplete")
        if len(shape) != len(section.shape) or any(
            w is not None and w != g for w, g in zip(shape, section.shape, strict=True)
        ):
            raise IndexFormatError(f"section {name!r} has shape {section.shape}, expected {shape}")
        if section.raw_bytes != math.prod(section.shape) * DTYPES[section.dtype]:
            raise IndexFormatError(f"section {name!r}: {section.raw_bytes} bytes do not hold {section.shape}")
        known[name] = section
    return known


def footprint(manifest: Manifest, *, with_texts: bool = False) -> int:
    """Bytes a load allocates at its peak: index.bin, every section inflated, float32 vectors,
    int64 row columns (and texts.bin, when it is read whole into memory)."""
    known = known_sections(manifest)
    d = manifest.model.dimension
    floats = sum(4 * d * known[name].shape[0] for name in MATRICES if name in known)
    total = int(manifest.files[INDEX_FILE]["bytes"]) + sum(s.raw_bytes for s in known.values())
    total += floats + 16 * manifest.chunk_count
    return total + (int(manifest.files[TEXTS_FILE]["bytes"]) if with_texts else 0)


def memory_budget(memory_mb: int | None) -> int:
    """The bytes one version's load may take: MEMORY_SHARE of `memory_mb` (a Lambda function's
    memory), or of this machine's physical memory when None."""
    if memory_mb is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = 4096 * MIB
    else:
        total = memory_mb * MIB
    return int(total * MEMORY_SHARE)


def check_table(manifest: Manifest, budget: int | None, *, with_texts: bool = False) -> None:
    """Shapes, the inflation ratio and the memory budget (None: no budget) from the manifest alone."""
    known = known_sections(manifest)
    size = manifest.files[INDEX_FILE]["bytes"]
    raw = sum(s.raw_bytes for s in known.values())
    where = f"{manifest.source}/{manifest.version}"
    if raw > max(FLOOR_BYTES, MAX_RATIO * size):
        raise IndexFormatError(
            f"{where}: index.bin's sections declare {raw:,} bytes inflated from {size:,}, more than "
            f"{MAX_RATIO}x; refusing a tampered or corrupt manifest (republish the version)"
        )
    need = footprint(manifest, with_texts=with_texts)
    if budget is not None and need > budget:
        raise IndexFormatError(
            f"{where} needs {need // MIB:,} MiB to load, over this process's budget of {budget // MIB:,} "
            "MiB; give the function more memory, or split the source if the index is really that large"
        )
