"""BM25 keyword index stored as sorted-vocabulary CSR postings (no load-time dict building)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from thoth.shared.errors import IndexFormatError
from thoth.shared.text import tokenize

K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class KeywordIndex:
    """Okapi BM25 over chunks; row i is chunk i of the version."""

    terms: npt.NDArray[np.str_]  # sorted vocabulary
    indptr: npt.NDArray[np.int64]  # postings of term t: [indptr[t], indptr[t+1])
    docs: npt.NDArray[np.int32]
    tfs: npt.NDArray[np.float32]
    doc_len: npt.NDArray[np.float32]

    @classmethod
    def build(cls, texts: Iterable[str]) -> KeywordIndex:
        postings: dict[str, list[tuple[int, int]]] = {}
        lengths: list[int] = []
        for doc, text in enumerate(texts):
            tokens = tokenize(text)
            lengths.append(len(tokens))
            for term, count in Counter(tokens).items():
                postings.setdefault(term, []).append((doc, count))
        terms = sorted(postings)
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        docs: list[int] = []
        tfs: list[int] = []
        for i, term in enumerate(terms):
            for doc, count in postings[term]:
                docs.append(doc)
                tfs.append(count)
            indptr[i + 1] = len(docs)
        return cls(
            terms=np.array(terms, dtype=np.str_) if terms else np.array([], dtype="<U1"),
            indptr=indptr,
            docs=np.array(docs, dtype=np.int32),
            tfs=np.array(tfs, dtype=np.float32),
            doc_len=np.array(lengths, dtype=np.float32),
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer, terms=self.terms, indptr=self.indptr, docs=self.docs, tfs=self.tfs, doc_len=self.doc_len
        )
        return buffer.getvalue()

    @classmethod
    def from_file(cls, path: str) -> KeywordIndex:
        try:
            with np.load(path, allow_pickle=False) as data:
                index = cls(
                    terms=data["terms"],
                    indptr=data["indptr"],
                    docs=data["docs"],
                    tfs=data["tfs"],
                    doc_len=data["doc_len"],
                )
        except (OSError, ValueError, KeyError) as exc:
            raise IndexFormatError(f"keyword index {path} is unreadable: {exc}") from None
        if index.indptr.shape[0] != index.terms.shape[0] + 1 or index.docs.shape != index.tfs.shape:
            raise IndexFormatError(f"keyword index {path} has inconsistent array shapes")
        return index

    @property
    def size(self) -> int:
        return int(self.doc_len.shape[0])

    def scores(self, query: str | Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every chunk for `query` (text or tokens); zeros when nothing matches."""
        tokens = tokenize(query) if isinstance(query, str) else list(query)
        scores = np.zeros(self.size, dtype=np.float32)
        if not tokens or self.size == 0 or self.terms.shape[0] == 0:
            return scores
        avg = float(self.doc_len.mean()) or 1.0
        n = self.size
        for term in set(tokens):
            pos = int(np.searchsorted(self.terms, term))
            if pos >= self.terms.shape[0] or self.terms[pos] != term:
                continue
            lo, hi = int(self.indptr[pos]), int(self.indptr[pos + 1])
            docs, tf = self.docs[lo:hi], self.tfs[lo:hi]
            df = hi - lo
            idf = np.log1p((n - df + 0.5) / (df + 0.5))
            norm = tf + K1 * (1.0 - B + B * self.doc_len[docs] / avg)
            scores[docs] += (idf * tf * (K1 + 1.0) / norm).astype(np.float32)
        return scores
