"""Field-aware BM25 over two fields, "head" (title, heading path, description) and "body" (chunk text).

Scored as BM25F in the form of Elasticsearch's `combined_fields` query: per term, the weighted
term frequencies and the weighted field lengths of a chunk are summed and fed to one BM25
saturation. With both weights 1 this is exactly format 2's BM25 over "title + headings + text".

Stored per field as CSR postings on one sorted vocabulary: postings per term (uint32 counts,
cumulated into `indptr` at load), document ids delta-coded within each term (uint32; zstd
shrinks the small gaps to about 1.3 bytes a posting) and cumulated per term at query time,
term frequencies uint8 (BM25 saturates long before 255) and document lengths uint16.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from thoth.shared.errors import IndexFormatError
from thoth.shared.index.strings import StringTable, encode_strings
from thoth.shared.text import tokenize

K1 = 1.2
B = 0.75
FIELDS = ("head", "body")
DEFAULT_WEIGHTS: Mapping[str, float] = {"head": 1.0, "body": 1.0}


@dataclass(frozen=True)
class FieldPostings:
    """One field's postings: term t's documents are deltas[indptr[t]:indptr[t + 1]], cumulated."""

    indptr: npt.NDArray[np.uint32]
    deltas: npt.NDArray[np.uint32]
    tfs: npt.NDArray[np.uint8]
    lengths: npt.NDArray[np.uint16]

    def docs(self, term: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint8]]:
        lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
        return np.cumsum(self.deltas[lo:hi], dtype=np.uint32), self.tfs[lo:hi]

    def check(self, terms: int, rows: int, name: str) -> None:
        """Shapes, monotonic offsets, and every document id below `rows` (one pass, no decoding)."""
        indptr, deltas = self.indptr, self.deltas
        if indptr.shape != (terms + 1,) or self.lengths.shape != (rows,) or deltas.shape != self.tfs.shape:
            raise IndexFormatError(f"{name} postings have inconsistent shapes")
        if int(indptr[0]) != 0 or int(indptr[-1]) != deltas.shape[0] or np.any(indptr[1:] < indptr[:-1]):
            raise IndexFormatError(f"{name} postings offsets are not increasing")
        starts = indptr[:-1][indptr[1:] > indptr[:-1]].astype(np.int64)
        if starts.size:
            last = np.add.reduceat(deltas, starts, dtype=np.uint64)  # deltas >= 0: the sum is the max id
            if int(last.max()) >= rows:
                raise IndexFormatError(f"{name} postings name a chunk past row {rows - 1}")


@dataclass(frozen=True)
class KeywordIndex:
    """BM25F over chunks; row i is chunk i of the version."""

    terms: StringTable  # sorted vocabulary
    df: npt.NDArray[np.uint32]  # chunks holding the term in any field
    head: FieldPostings
    body: FieldPostings
    # weighted lengths and their mean per weight pair: O(n) work a query need not repeat
    _lengths: dict[tuple[float, ...], tuple[npt.NDArray[np.float32], float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def build(cls, docs: Iterable[str | tuple[str, str]]) -> KeywordIndex:
        """From (head, body) texts per chunk; a plain string is a body without head."""
        ids: dict[str, int] = {}
        columns: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {
            f: ([], [], [], []) for f in FIELDS
        }
        both: list[int] = []
        for row, doc in enumerate(docs):
            head, body = ("", doc) if isinstance(doc, str) else doc
            counted = {}
            for name, text in (("head", head), ("body", body)):
                tokens = tokenize(text) if text else []
                counts = Counter(tokens)
                term_ids, doc_ids, tfs, lengths = columns[name]
                lengths.append(len(tokens))
                for term, count in counts.items():
                    term_ids.append(ids.setdefault(term, len(ids)))
                    tfs.append(count)
                doc_ids.extend([row] * len(counts))
                counted[name] = counts
            body_counts = counted["body"]
            both.extend(ids[t] for t in counted["head"] if t in body_counts)
        vocabulary = sorted(ids)
        rank = np.zeros(len(ids), dtype=np.int64)
        rank[[ids[t] for t in vocabulary]] = np.arange(len(vocabulary))
        fields = {name: _field(rank, len(vocabulary), *columns[name]) for name in FIELDS}
        df = np.zeros(len(vocabulary), dtype=np.int64)
        for name in FIELDS:
            df += np.diff(fields[name].indptr.astype(np.int64)).astype(np.int64)
        if both:
            df -= np.bincount(rank[np.array(both, dtype=np.int64)], minlength=len(vocabulary))
        data, offsets = encode_strings(vocabulary)
        return cls(
            terms=StringTable(data, offsets, "vocabulary"),
            df=df.astype(np.uint32),
            head=fields["head"],
            body=fields["body"],
        )

    def _weighted_lengths(
        self, active: list[tuple[FieldPostings, float]]
    ) -> tuple[npt.NDArray[np.float32], float]:
        key = tuple(w for _, w in active) + tuple(id(f) for f, _ in active)
        cached = self._lengths.get(key)
        if cached is None:
            lengths = np.zeros(self.size, dtype=np.float32)
            for postings, w in active:
                lengths += np.float32(w) * postings.lengths
            cached = lengths, float(np.mean(lengths)) or 1.0
            if len(self._lengths) < 16:  # callers use a handful of weightings; never grow unbounded
                self._lengths[key] = cached
        return cached

    @property
    def size(self) -> int:
        return int(self.body.lengths.shape[0])

    def scores(
        self, query: str | Sequence[str], field_weights: Mapping[str, float] | None = None
    ) -> npt.NDArray[np.float32]:
        """BM25F score of every chunk for `query` (text or tokens); zeros when nothing matches.

        `field_weights` maps "head"/"body" to a weight >= 0 (missing: 1.0, today's behaviour).
        """
        return self._score(query, field_weights, None)

    def scores_and_coverage(
        self, query: str | Sequence[str], field_weights: Mapping[str, float] | None = None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """`scores`, and per chunk the share of the query's IDF mass it holds (0..1, in the fields scored).

        A query term no chunk holds counts with the IDF of an unseen term, so a query made of words
        the corpus never uses is covered by nothing: an absolute measure, unlike BM25's scores.
        """
        coverage = np.zeros(self.size, dtype=np.float32)
        return self._score(query, field_weights, coverage), coverage

    def _score(
        self,
        query: str | Sequence[str],
        field_weights: Mapping[str, float] | None,
        coverage: npt.NDArray[np.float32] | None,
    ) -> npt.NDArray[np.float32]:
        weights = {**DEFAULT_WEIGHTS, **(field_weights or {})}
        unknown = set(weights) - set(FIELDS)
        if unknown or any(not np.isfinite(w) or w < 0 for w in weights.values()):
            raise ValueError(f"field weights must be finite and >= 0 for {FIELDS}, got {dict(weights)}")
        tokens = tokenize(query) if isinstance(query, str) else list(query)
        n = self.size
        scores = np.zeros(n, dtype=np.float32)
        active = [(getattr(self, f), float(weights[f])) for f in FIELDS if weights[f] > 0]
        if not tokens or n == 0 or len(self.terms) == 0 or not active:
            return scores
        lengths, avg = self._weighted_lengths(active)
        held = 0.0  # the query's IDF mass: every distinct term, found or not
        for term in dict.fromkeys(tokens):
            pos = self.terms.find(term)
            df = int(self.df[pos]) if pos >= 0 else 0
            idf = np.float32(np.log1p((n - df + 0.5) / (df + 0.5)))
            held += float(idf)
            if pos < 0:
                continue
            parts = [(postings.docs(pos), w) for postings, w in active]
            parts = [((docs, tfs), w) for (docs, tfs), w in parts if docs.size]
            if not parts:
                continue
            if len(parts) == 1:
                (docs, tfs), w = parts[0]
                tf = tfs.astype(np.float32) * np.float32(w)
            else:
                accumulated = np.zeros(n, dtype=np.float32)
                for (field_docs, field_tfs), w in parts:
                    accumulated[field_docs] += field_tfs.astype(np.float32) * np.float32(w)
                docs = np.concatenate([d for (d, _), _ in parts])
                tf = accumulated[docs]
            norm = tf + np.float32(K1) * (
                np.float32(1.0 - B) + np.float32(B) * lengths[docs] / np.float32(avg)
            )
            # A chunk in both fields appears twice in `docs` with the same value: assignment, not +=.
            scores[docs] = scores[docs] + idf * tf * np.float32(K1 + 1.0) / norm
            if coverage is not None:
                coverage[docs] = coverage[docs] + idf
        if coverage is not None and held > 0:
            coverage /= np.float32(held)
        return scores


def _field(
    rank: npt.NDArray[np.int64],
    terms: int,
    term_ids: list[int],
    doc_ids: list[int],
    tfs: list[int],
    lengths: list[int],
) -> FieldPostings:
    ranked = rank[np.array(term_ids, dtype=np.int64)] if term_ids else np.zeros(0, dtype=np.int64)
    order = np.argsort(ranked, kind="stable")  # rows were appended in order: ids stay ascending per term
    docs = np.array(doc_ids, dtype=np.uint32)[order]
    counts = np.bincount(ranked, minlength=terms)
    indptr = np.zeros(terms + 1, dtype=np.uint32)
    indptr[1:] = np.cumsum(counts)
    deltas = docs.copy()
    if docs.size:
        deltas[1:] -= docs[:-1]
        first = indptr[:-1][counts > 0].astype(np.int64)
        deltas[first] = docs[first]
    return FieldPostings(
        indptr=indptr,
        deltas=deltas,
        tfs=np.minimum(np.array(tfs, dtype=np.int64)[order], 255).astype(np.uint8),
        lengths=np.minimum(np.array(lengths, dtype=np.int64), 65535).astype(np.uint16),
    )
