"""The corpus as token ids: encoded once, kept as int32 on disk, memory-mapped every epoch.

What it holds: ``EncodedCorpus`` (ids + sentence bounds) and the function that streams token
lists through a ``Vocab`` into it. Out-of-vocabulary tokens are dropped (word2vec's rule);
sentences longer than ``max_sentence`` are split, as gensim does at 10,000 tokens. Memory is
bounded by one write buffer, never the corpus: ids and sentence bounds both go to files and are
memory-mapped, and a trainer hands back the pages of each chunk it finished (``release``), so
even the page cache mapped into the process stays bounded by the chunks in flight. A temporary
folder is deleted by ``close()`` (or leaving a ``with`` block); a given folder is kept.
"""

from __future__ import annotations

import contextlib
import mmap
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embedlayer.errors import CorpusError
from embedlayer.vocab import Vocab

__all__ = ["EncodedCorpus", "encode_corpus", "work_folder"]

_BUFFER = 1 << 20  # ids buffered before each write to disk


@dataclass
class EncodedCorpus:
    ids: np.ndarray  # int32 (n,), memory-mapped read-only
    bounds: np.ndarray  # int64 (s+1,), memory-mapped: sentence s is ids[bounds[s]:bounds[s+1]]
    raw_words: int  # tokens read, in-vocabulary or not (what tokens/s counts)
    folder: Path  # where the files live
    temporary: bool = False  # the folder was made for this corpus: close() deletes it
    raw_sentences: int = 0  # sentences read, empty and all-unknown ones included (fastText's
    # token total counts one </s> per line: see vocab.sampling.fasttext_keep_probabilities)

    def __enter__(self) -> EncodedCorpus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmap the files; delete the folder when it is temporary. Idempotent."""
        for name in ("ids", "bounds"):
            arr = getattr(self, name)
            mm = getattr(arr, "_mmap", None)
            if mm is not None:
                setattr(self, name, np.array(arr[:0]))  # drop our references before closing
                del arr
                with contextlib.suppress(BufferError):  # a view is alive: the GC closes it
                    mm.close()
        if self.temporary:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.temporary = False

    def release(self, start: int, stop: int) -> None:
        """Drop the mapped pages of ``ids[start:stop]`` from this process (a chunk is done).

        The pages are clean and file-backed: the next epoch faults them back in from the page
        cache. Without this, every id ever touched stays resident (the corpus size in RSS).
        """
        mm = getattr(self.ids, "_mmap", None)
        if mm is None or stop <= start:
            return
        first = -(-start * 4 // mmap.PAGESIZE) * mmap.PAGESIZE  # whole pages inside the range
        last = stop * 4 // mmap.PAGESIZE * mmap.PAGESIZE
        if last > first:
            mm.madvise(mmap.MADV_DONTNEED, first, last - first)

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
    max_sentence: int = 10_000, allow_empty: bool = False,
) -> EncodedCorpus:
    """Encode every sentence with ``vocab`` (unknown tokens dropped) into int32 files.

    Without ``folder`` the files go to a new temporary folder that ``close()`` deletes.
    No token in the vocabulary raises ``CorpusError``, unless ``allow_empty`` (one part of a
    corpus split between processes may hold none): then the result has no words.
    """
    temporary = folder is None
    folder = Path(tempfile.mkdtemp(prefix="embedlayer-ids-")) if folder is None else Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        raw, total, sentences_n, lines = _write(sentences, vocab, folder, max_sentence)
        if total == 0 and not allow_empty:
            raise CorpusError(f"the corpus has no token in the vocabulary ({raw:,} tokens read)")
    except BaseException:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    ids_arr = (np.memmap(folder / "ids.int32", dtype=np.int32, mode="r", shape=(total,))
               if total else np.zeros(0, dtype=np.int32))  # an empty file cannot be mapped
    bounds = np.memmap(folder / "bounds.int64", dtype=np.int64, mode="r",
                       shape=(sentences_n + 1,))
    return EncodedCorpus(ids_arr, bounds, raw, folder, temporary, raw_sentences=lines)


def _write(sentences: Iterable[Sequence[str]], vocab: Vocab, folder: Path,
           max_sentence: int) -> tuple[int, int, int, int]:
    """Stream ids and cumulative sentence ends to the two files; (raw, ids, sentences, lines):
    tokens read, ids written, sentences written (non-empty pieces), sentences read."""
    raw = total = count = lines = 0
    ids_buf: list[np.ndarray] = []
    ends: list[int] = []
    buffered = 0
    with open(folder / "ids.int32", "wb") as fh, open(folder / "bounds.int64", "wb") as fb:
        fb.write(np.zeros(1, np.int64).tobytes())
        for tokens in sentences:
            raw += len(tokens)
            lines += 1
            ids = vocab.encode(tokens, oov="skip")
            for start in range(0, len(ids), max_sentence):
                piece = ids[start:start + max_sentence]
                total += len(piece)
                ends.append(total)
                ids_buf.append(piece)
                buffered += len(piece)
            if buffered >= _BUFFER or len(ends) >= _BUFFER // 8:
                fh.write(np.concatenate(ids_buf).tobytes())
                fb.write(np.asarray(ends, dtype=np.int64).tobytes())
                count += len(ends)
                ids_buf, ends, buffered = [], [], 0
        if ends:
            fh.write(np.concatenate(ids_buf).tobytes())
            fb.write(np.asarray(ends, dtype=np.int64).tobytes())
            count += len(ends)
    return raw, total, count, lines


@contextlib.contextmanager
def work_folder(work_dir: str | Path | None, prefix: str) -> Iterator[Path]:
    """``work_dir`` as given (kept), or a fresh temporary folder removed afterwards, also on
    error or Ctrl-C."""
    if work_dir is not None:
        yield Path(work_dir)
        return
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        yield Path(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
