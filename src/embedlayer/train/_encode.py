"""The corpus as token ids: encoded once, kept as int32 on disk, memory-mapped every epoch.

What it holds: ``EncodedCorpus`` (ids + sentence bounds) and the function that streams token
lists through a ``Vocab`` into it. Out-of-vocabulary tokens are dropped (word2vec's rule);
sentences longer than ``max_sentence`` are split, as gensim does at 10,000 tokens. Memory is
bounded by one write buffer, never the corpus.
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlayer.errors import CorpusError
from embedlayer.vocab import Vocab

__all__ = ["EncodedCorpus", "encode_corpus"]

_BUFFER = 1 << 20  # ids buffered before each write to disk


@dataclass
class EncodedCorpus:
    ids: np.ndarray  # int32 (n,), memory-mapped read-only
    bounds: np.ndarray  # int64 (s+1,): sentence s is ids[bounds[s]:bounds[s+1]]
    raw_words: int  # tokens seen, in-vocabulary or not (what words/s counts, like gensim)
    folder: Path  # where the files live (a temporary folder unless given)

    @property
    def words(self) -> int:
        return int(self.ids.shape[0])

    @property
    def sentences(self) -> int:
        return int(self.bounds.shape[0] - 1)

    def chunks(self, chunk_words: int) -> list[tuple[int, int]]:
        """Sentence ranges [s0, s1) of about ``chunk_words`` tokens each, covering everything."""
        cuts = np.searchsorted(self.bounds, np.arange(0, self.words, chunk_words), side="right") - 1
        cuts = np.unique(np.clip(cuts, 0, self.sentences))
        edges = [*cuts.tolist(), self.sentences]
        return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def encode_corpus(
    sentences: Iterable[Sequence[str]], vocab: Vocab, *, folder: Path | None = None,
    max_sentence: int = 10_000,
) -> EncodedCorpus:
    """Encode every sentence with ``vocab`` (unknown tokens dropped) into int32 files."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="embedlayer-ids-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ids.int32"
    bounds = array("q", [0])  # 8 bytes a sentence, not a Python int each
    raw = 0
    total = 0
    buf: list[np.ndarray] = []
    buffered = 0
    with open(path, "wb") as fh:
        for tokens in sentences:
            raw += len(tokens)
            ids = vocab.encode(tokens, oov="skip")
            for start in range(0, len(ids), max_sentence):
                piece = ids[start:start + max_sentence]
                total += len(piece)
                bounds.append(total)
                buf.append(piece)
                buffered += len(piece)
            if buffered >= _BUFFER:
                fh.write(np.concatenate(buf).tobytes())
                buf, buffered = [], 0
        if buf:
            fh.write(np.concatenate(buf).tobytes())
    if total == 0:
        raise CorpusError(f"the corpus has no token in the vocabulary ({raw:,} tokens read)")
    ids_arr = np.memmap(path, dtype=np.int32, mode="r", shape=(total,))
    return EncodedCorpus(ids_arr, np.frombuffer(bounds, dtype=np.int64).copy(), raw, folder)
