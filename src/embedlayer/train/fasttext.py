"""The ``FastText`` estimator: unsupervised skip-gram and CBOW over words and character n-grams.

What it holds: ``subword_table`` (the rows of ``wi`` each word averages: its own row, then its
n-gram buckets offset by ``nwords``, as fastText's ``getSubwords``), and what is fastText's own
in the estimator: its matrices (``wi``: words then n-gram buckets; ``wo``), their
initialization and extension (new words go between the old words and the buckets), the
sampling tables and the kernel call (``_job``), and the ``SubwordVectors`` it publishes
(unknown words get vectors), written as a fastText ``.bin`` that facebook fastText and gensim
read (``save_vectors``), or in any format of ``embedlayer.vectors.io``. Counting, continued
training (``partial_fit``), checkpoints, ``resume`` and whole-model ``save`` / ``load`` are
shared with word2vec (``_estimator.py``); settings in ``config.py``.

What it leaves out: supervised classification, hierarchical softmax, word n-grams, and
quantization.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError
from embedlayer.train import _estimator as shared
from embedlayer.train._encode import EncodedCorpus
from embedlayer.train._runner import Job, JobResult, RunState
from embedlayer.train.config import FastTextConfig, Model
from embedlayer.vectors.subword import SubwordVectors, subword_ids
from embedlayer.vocab import EOS, alias_table, fasttext_keep_probabilities

__all__ = ["FastText", "FastTextConfig", "subword_table"]


Callback = Callable[["FastText", int, RunState], None]


def subword_table(
    tokens: Sequence[str], *, minn: int, maxn: int, bucket: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each word's rows of ``wi`` as CSR: ``(offsets int64, ids int32, gain float32)``.

    Word i's rows are ``ids[offsets[i]:offsets[i + 1]]``: ``i`` itself, then
    ``len(tokens) + b`` for each n-gram bucket ``b`` in fastText's order (``</s>`` has none).
    ``gain[i]`` is the sum of the squared multiplicities of those rows over their count: 1
    unless a row repeats (see ``_kernels_ft``: how far the hidden vector moves per update).
    """
    n = len(tokens)
    indptr, grams = subword_ids(tokens, minn=minn, maxn=maxn, bucket=bucket, skip=(EOS,))
    per_word = np.diff(indptr) + 1
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_word, out=offsets[1:])
    ids = np.empty(int(offsets[-1]), dtype=np.int32)
    ids[offsets[:-1]] = np.arange(n, dtype=np.int32)  # the word's own row first
    gram_pos = np.ones(ids.size, dtype=bool)
    gram_pos[offsets[:-1]] = False
    ids[gram_pos] = grams + n
    owner = np.repeat(np.arange(n, dtype=np.int64), per_word)
    pairs, mult = np.unique(owner * (n + bucket) + ids, return_counts=True)
    squares = np.bincount(pairs // (n + bucket), weights=mult.astype(np.float64) ** 2, minlength=n)
    gain = (squares / per_word).astype(np.float32)
    return offsets, ids, gain


class FastText:
    """fastText's unsupervised word vectors (Bojanowski et al. 2017), numba kernels on threads.

    >>> model = FastText(dim=50, epochs=5, min_count=1).fit(sentences)  # doctest: +SKIP
    >>> model.vectors_["unseenword"]  # composed from its character n-grams  # doctest: +SKIP
    >>> model.save_vectors("model.bin")  # facebook fastText and gensim read it  # doctest: +SKIP
    >>> model.save("ft.model"); FastText.load("ft.model").partial_fit(more)  # doctest: +SKIP
    """

    NAME: ClassVar[str] = "fastText"
    CONFIG: ClassVar[type] = FastTextConfig

    def __init__(
        self,
        *,
        model: Model = "skipgram",
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        ns_exponent: float = 0.5,
        sample: float = 1e-4,
        min_count: int = 5,
        max_types: int | None = None,
        max_vocab: int | None = None,
        learning_rate: float = 0.05,
        min_learning_rate: float = 0.0,
        epochs: int = 5,
        minn: int = 3,
        maxn: int = 6,
        bucket: int = 2_000_000,
        workers: int = 2,
        seed: int = 1,
        chunk_words: int = 10_000,
        shuffle: bool = True,
    ) -> None:
        self.config = FastTextConfig(
            model=model, dim=dim, window=window, negative=negative, ns_exponent=ns_exponent,
            sample=sample, min_count=min_count, max_types=max_types, max_vocab=max_vocab,
            learning_rate=learning_rate, min_learning_rate=min_learning_rate, epochs=epochs,
            minn=minn, maxn=maxn, bucket=bucket, workers=workers, seed=seed,
            chunk_words=chunk_words, shuffle=shuffle,
        )

    @classmethod
    def from_config(cls, config: FastTextConfig) -> FastText:
        model = cls.__new__(cls)
        model.config = config
        return model

    # --- training -------------------------------------------------------------------------
    def fit(
        self,
        corpus: Iterable[Sequence[str]],
        *,
        progress: bool = True,
        callbacks: Sequence[Callback] = (),
        checkpoint_dir: PathLike | None = None,
        checkpoint_minutes: float | None = None,
        work_dir: PathLike | None = None,
    ) -> FastText:
        """Build the vocabulary from ``corpus`` (token lists, re-iterable) and train on it.

        ``work_dir``: where the encoded corpus goes (default a temporary folder, removed after).
        Each callback is called as ``callback(model, epoch, state)`` after every epoch.
        """
        shared.fit(self, corpus, progress=progress, callbacks=callbacks,
                   checkpoint_dir=checkpoint_dir, checkpoint_minutes=checkpoint_minutes,
                   work_dir=work_dir)
        return self

    def partial_fit(
        self,
        corpus: Iterable[Sequence[str]],
        *,
        update_vocab: bool = False,
        epochs: int | None = None,
        progress: bool = True,
        callbacks: Sequence[Callback] = (),
        work_dir: PathLike | None = None,
    ) -> FastText:
        """Continue training on more text (also a model from ``load``).

        ``update_vocab=False`` keeps the vocabulary (as in word2vec, tokens outside it are
        skipped);
        ``update_vocab=True`` adds the new words that reach ``min_count`` (old and new text
        counted together) as fresh word rows; the n-gram buckets are shared, so a new word
        starts from what its n-grams learned. The learning rate decays again over ``epochs``
        (default: the config's). Stores handed out earlier (``vectors_``) do not change.
        """
        self._check_fitted()
        if getattr(self, "_vectors", None) is not None:  # a store handed out shares wi_
            self.wi_ = self.wi_.copy()
            self._vectors = None
        shared.partial_fit(self, corpus, update_vocab=update_vocab, epochs=epochs,
                           progress=progress, callbacks=callbacks, work_dir=work_dir)
        return self

    @classmethod
    def resume(
        cls, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *,
        config: FastTextConfig | None = None, progress: bool = True,
        callbacks: Sequence[Callback] = (), checkpoint_minutes: float | None = None,
        work_dir: PathLike | None = None,
    ) -> FastText:
        """Continue an interrupted ``fit`` from its checkpoint, on the same corpus (checked
        against the checkpoint's fingerprint); with ``config``, refuse other settings."""
        return shared.resume(cls, checkpoint_dir, corpus, config=config, progress=progress,
                             callbacks=callbacks, checkpoint_minutes=checkpoint_minutes,
                             work_dir=work_dir)

    @classmethod
    def checkpoint_config(cls, checkpoint_dir: PathLike) -> FastTextConfig:
        """The settings the checkpoint in ``checkpoint_dir`` was trained with."""
        return shared.checkpoint_config(cls, checkpoint_dir)

    # --- what is fastText's own -------------------------------------------------------------
    def _memory(self, nwords: int) -> int:
        cfg = self.config
        rows = (2 * nwords + cfg.ngram_buckets) * cfg.dim * 4  # wi (words + buckets) + wo
        table = nwords * 8  # the alias table: float32 prob + int32 alias per word
        return rows + table + nwords * (4 + 8 + 64 + 16 * 4)  # + keep, counts, tokens, subwords

    def _shapes(self, nwords: int) -> dict[str, tuple[int, ...]]:
        cfg = self.config
        return {"wi": (nwords + cfg.ngram_buckets, cfg.dim), "wo": (nwords, cfg.dim)}

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"wi": self.wi_, "wo": self.wo_}

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.wi_, self.wo_ = arrays["wi"], arrays["wo"]
        self._vectors = None

    def _init_arrays(self) -> None:
        cfg, n = self.config, len(self.vocab_)
        # fastText's initialization: every input row uniform in +-1/dim, outputs zero.
        rng = np.random.default_rng(cfg.seed)
        wi = rng.random((n + cfg.ngram_buckets, cfg.dim), dtype=np.float32)
        wi -= np.float32(0.5)
        wi *= np.float32(2.0 / cfg.dim)
        self.wi_ = wi
        self.wo_ = np.zeros((n, cfg.dim), dtype=np.float32)
        self._vectors = None

    def _extend_arrays(self, old_words: int, new_words: int) -> None:
        dim = self.config.dim
        rng = np.random.default_rng([self.config.seed, old_words])
        fresh = rng.random((new_words, dim), dtype=np.float32)
        fresh -= np.float32(0.5)
        fresh *= np.float32(2.0 / dim)
        # Word rows come first, the n-gram buckets after them: new words go in between.
        self.wi_ = np.concatenate([self.wi_[:old_words], fresh, self.wi_[old_words:]])
        self.wo_ = np.concatenate([self.wo_, np.zeros((new_words, dim), np.float32)])
        self._vectors = None

    # -- sampling tables and the kernel call: one unit (the kernels' arguments change here) --
    def _tables(self, encoded: EncodedCorpus) -> dict[str, Any]:
        cfg, counts = self.config, self.vocab_.counts
        # fastText's discard rule divides by its token total: every token read plus one
        # </s> per line (see fasttext_keep_probabilities). The totals are the counter's, the
        # text the counts come from: after partial_fit(update_vocab=True) the counts are old
        # and new text merged, so the new text's own totals would inflate every frequency.
        # (TokenCounter counts every sentence, empty ones included, as encode_corpus does.)
        counter = getattr(self, "counter_", None)
        tokens, lines = ((counter.tokens, counter.sentences) if counter is not None
                         and counter.sentences > 0 else (encoded.raw_words,
                                                         encoded.raw_sentences))
        keep = fasttext_keep_probabilities(counts, cfg.sample, tokens=tokens, lines=lines)
        table = alias_table(counts, power=cfg.ns_exponent)
        return {"keep": keep, "table": table}

    def _job(self, encoded: EncodedCorpus) -> Job:
        from embedlayer.train import _kernels_ft as kernels

        cfg = self.config
        self._vectors = None
        t = self._tables(encoded)
        offsets, sub, gain = subword_table(self.vocab_.tokens, minn=cfg.minn, maxn=cfg.maxn,
                                           bucket=cfg.ngram_buckets)
        model_id = kernels.SKIPGRAM if cfg.model == "skipgram" else kernels.CBOW
        ids, bounds = encoded.ids, encoded.bounds
        wi, wo = self.wi_, self.wo_

        def job(s0: int, s1: int, learning_rate: float, seed: int) -> JobResult:
            b0, b1 = int(bounds[s0]), int(bounds[s1])
            loss_sum, terms, words = kernels.train_chunk(
                model_id, ids[b0:b1], bounds[s0:s1 + 1] - b0, wi, wo, offsets, sub, gain,
                t["keep"], t["table"], cfg.window, cfg.negative, learning_rate, seed)
            return JobResult(loss_sum, terms, words)

        return job
    # -- end of the kernel unit ------------------------------------------------------------

    # --- results --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "wi_"):
            raise ConfigError("this FastText is not fitted yet: call fit(corpus) first")

    @property
    def vectors_(self) -> SubwordVectors:
        """The word and n-gram rows as ``SubwordVectors`` (every string gets a vector).

        After training it shares ``wi_`` read-only (no copy of the bucket matrix); ``fit``,
        ``partial_fit`` and ``resume`` train new matrices, so a store handed out earlier
        never changes under its user. Asked for while training (from a callback), it is a
        copy: a snapshot.
        """
        self._check_fitted()
        nwords, cfg = len(self.vocab_), self.config
        words, grams = self.wi_[:nwords], self.wi_[nwords:]
        if getattr(self, "_training", False):  # writable views: SubwordVectors copies them
            return SubwordVectors(self.vocab_, words, grams, minn=cfg.minn, maxn=cfg.maxn,
                                  bucket=cfg.ngram_buckets)
        if getattr(self, "_vectors", None) is None:
            words.setflags(write=False)
            grams.setflags(write=False)
            self._vectors = SubwordVectors(self.vocab_, words, grams, minn=cfg.minn,
                                           maxn=cfg.maxn, bucket=cfg.ngram_buckets)
        return self._vectors

    def save_vectors(self, path: PathLike, *, format: str = "fasttext-bin") -> Path:  # noqa: A002
        """Write ``"fasttext-bin"`` (fastText's own file, output rows included: facebook
        fastText and gensim read it), or the composed word vectors in any format of
        ``embedlayer.vectors.io`` (``"fasttext-vec"``, ``"native"``, ...)."""
        self._check_fitted()
        if format == "fasttext-bin":
            from embedlayer.vectors.io.fasttext_bin_write import write_fasttext_bin

            cfg = self.config
            return write_fasttext_bin(
                self.vectors_, path, output_matrix=self.wo_,
                ntokens=getattr(self, "raw_words_per_epoch_", None), model=cfg.model,
                window=cfg.window, epochs=cfg.epochs, min_count=cfg.min_count,
                negative=cfg.negative, sample=cfg.sample)
        from embedlayer.vectors.io import save_vectors

        return save_vectors(self.vectors_, path, format=format)  # type: ignore[arg-type]

    def _check_save_target(self, folder: PathLike) -> None:
        """``ConfigError`` now when ``save(folder)`` would refuse the folder (the CLI checks
        ``--save-model`` before training)."""
        shared.check_model_target(self, folder)

    def save(self, folder: PathLike) -> Path:
        """Write the whole model (settings, vocabulary with every count, ``wi`` and ``wo``,
        loss history) to one folder, atomically and pickle-free; ``load`` reads it back and
        ``partial_fit`` trains it further."""
        return shared.save_model(self, folder)

    @classmethod
    def load(cls, folder: PathLike) -> FastText:
        """A model written by ``save`` (format and version checked, arrays' sha256 verified)."""
        return shared.load_model(cls, folder)

    def __repr__(self) -> str:
        c = self.config
        fitted = f", {len(self.vocab_):,} words" if hasattr(self, "vocab_") else ""
        return (f"FastText({c.model}, dim={c.dim}, window={c.window}, minn={c.minn}, "
                f"maxn={c.maxn}, bucket={c.bucket:,}{fitted})")
