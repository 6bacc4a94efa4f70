"""The ``FastText`` estimator: unsupervised skip-gram and CBOW over words and character n-grams.

What it holds: ``FastTextConfig`` (frozen, typed, fastText's defaults), ``subword_table`` (the
rows of ``wi`` each word averages: its own row, then its n-gram buckets offset by ``nwords``,
as fastText's ``getSubwords``), and the estimator: the constructor stores the config; ``fit``
validates, counts, encodes the corpus once (``_encode``), trains on threads (``_runner``) with
the numba kernels of ``_kernels_ft``, its chunks in one fixed shuffled order (``shuffle``),
and returns ``self``; checkpoints and ``resume``.
The result is a ``SubwordVectors`` (so unknown words get vectors), saved as a fastText
``.bin`` that facebook fastText and gensim read, or in any format of ``embedlayer.vectors.io``.

What it leaves out: supervised classification, hierarchical softmax, word n-grams, continued
training on new text (``partial_fit``), and quantization.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, CorpusError
from embedlayer.train._checkpoint import load_array, read_checkpoint_meta, write_checkpoint
from embedlayer.train._encode import EncodedCorpus, encode_corpus, work_folder
from embedlayer.train._runner import JobResult, Position, RunState, chunk_order, run_jobs
from embedlayer.train.config import Model, SettingsIO, check_caps, check_counts, check_rates
from embedlayer.train.word2vec import _check_reiterable
from embedlayer.vectors.subword import SubwordVectors, subword_ids
from embedlayer.vocab import (
    EOS,
    TokenCounter,
    alias_table,
    fasttext_keep_probabilities,
    load_vocab,
)

__all__ = ["FastText", "FastTextConfig", "subword_table"]

CHECKPOINT_FORMAT = "embedlayer.fasttext-checkpoint"
CHECKPOINT_VERSION = 1

Callback = Callable[["FastText", int, RunState], None]


@dataclass(frozen=True)
class FastTextConfig(SettingsIO):
    KIND: ClassVar[str] = "fastText"

    model: Model = "skipgram"  # center predicts context (skipgram) or context predicts center
    dim: int = 100  # vector dimension
    window: int = 5  # maximal context distance; each position draws a window in [1, window]
    negative: int = 5  # negative samples per prediction
    ns_exponent: float = 0.5  # negatives ~ count**ns_exponent (fastText: 0.5; word2vec: 0.75)
    sample: float = 1e-4  # subsampling threshold (0 = off); fastText's -t and formula
    min_count: int = 5  # drop words seen fewer times
    max_vocab_size: int | None = None  # cap on distinct words while counting (prunes rare ones)
    max_final_vocab: int | None = None  # keep at most this many words (most frequent)
    alpha: float = 0.05  # learning rate at the start (fastText's -lr)
    min_alpha: float = 0.0  # learning rate at the very end (fastText decays linearly to 0)
    epochs: int = 5  # passes over the corpus
    minn: int = 3  # shortest character n-gram of "<word>"
    maxn: int = 6  # longest character n-gram (0: no n-grams, words only)
    bucket: int = 2_000_000  # n-gram hash buckets (rows of wi after the words)
    workers: int = 2  # training threads (hogwild)
    seed: int = 1  # everything random derives from it
    chunk_words: int = 10_000  # tokens per job handed to a thread
    shuffle: bool = True  # train the chunks in one fixed random order, not in corpus order

    def check(self) -> FastTextConfig:
        """Raise ``ConfigError`` naming the first bad field; returns ``self``."""
        if self.model not in ("skipgram", "cbow"):
            raise ConfigError(f"model must be 'skipgram' or 'cbow', got {self.model!r}")
        check_counts({"dim": self.dim, "window": self.window, "negative": self.negative,
                      "min_count": self.min_count, "epochs": self.epochs, "minn": self.minn,
                      "workers": self.workers, "chunk_words": self.chunk_words})
        for name in ("maxn", "bucket"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{name} must be an integer >= 0, got {value!r}")
        if self.maxn and self.maxn < self.minn:
            raise ConfigError(f"need minn <= maxn (or maxn = 0: no n-grams), got minn={self.minn}, "
                              f"maxn={self.maxn}")
        if self.bucket >= 2**31 - 2**26:  # word + bucket rows must stay int32 (fastText's too)
            raise ConfigError(f"bucket must be below {2**31 - 2**26:,}, got {self.bucket:,}")
        if not 0 <= self.sample < 1:
            raise ConfigError(f"sample must be in [0, 1), got {self.sample}")
        if not 0 < self.ns_exponent <= 1:
            raise ConfigError(f"ns_exponent must be in (0, 1], got {self.ns_exponent}")
        check_rates(self.sample, self.alpha, self.min_alpha)
        check_caps(self, ("max_vocab_size", "max_final_vocab"))
        return self

    @property
    def ngram_buckets(self) -> int:
        """Rows of n-grams actually used: none when ``maxn`` is 0."""
        return self.bucket if self.maxn else 0



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
    >>> model.save("model.bin")  # readable by facebook fastText and gensim  # doctest: +SKIP
    """

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
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        alpha: float = 0.05,
        min_alpha: float = 0.0,
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
            sample=sample, min_count=min_count, max_vocab_size=max_vocab_size,
            max_final_vocab=max_final_vocab, alpha=alpha, min_alpha=min_alpha, epochs=epochs,
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
        """
        cfg = self.config.check()
        _check_reiterable(corpus)
        counter = TokenCounter(max_types=cfg.max_vocab_size).update_many(corpus)
        if counter.tokens == 0:
            raise CorpusError(f"the corpus is empty: {counter.sentences:,} sentences, no tokens")
        vocab = counter.to_vocab(min_count=cfg.min_count, max_size=cfg.max_final_vocab)
        self.vocab_ = vocab
        rows = len(vocab) + cfg.ngram_buckets
        if progress:
            mib = (rows + len(vocab)) * cfg.dim * 4 / 2**20
            print(f"fasttext: {len(vocab):,} words + {cfg.ngram_buckets:,} n-gram buckets x "
                  f"{cfg.dim} dims, about {mib:,.0f} MiB for the model", file=sys.stderr)
        # fastText's initialization: every input row uniform in +-1/dim, outputs zero.
        rng = np.random.default_rng(cfg.seed)
        wi = rng.random((rows, cfg.dim), dtype=np.float32)
        wi -= np.float32(0.5)
        wi *= np.float32(2.0 / cfg.dim)
        self.wi_ = wi
        self.wo_ = np.zeros((len(vocab), cfg.dim), dtype=np.float32)
        with work_folder(work_dir, "embedlayer-ft-") as folder:
            encoded = encode_corpus(corpus, vocab, folder=folder)
            self._train(encoded, start=Position(), progress=progress, callbacks=callbacks,
                        checkpoint_dir=checkpoint_dir, checkpoint_minutes=checkpoint_minutes)
            del encoded  # the memory map closes before its folder goes
        return self

    def _train(
        self, encoded: EncodedCorpus, *, start: Position, progress: bool,
        callbacks: Sequence[Callback], checkpoint_dir: PathLike | None,
        checkpoint_minutes: float | None, state: RunState | None = None,
    ) -> None:
        from embedlayer.train import _kernels_ft as kernels

        cfg = self.config
        self._vectors = None
        counts = self.vocab_.counts
        # fastText's discard rule divides by its token total: every token read plus one
        # </s> per line (see fasttext_keep_probabilities).
        keep = fasttext_keep_probabilities(counts, cfg.sample, tokens=encoded.raw_words,
                                           lines=encoded.raw_sentences)
        table = alias_table(counts, power=cfg.ns_exponent)
        offsets, sub, gain = subword_table(self.vocab_.tokens, minn=cfg.minn, maxn=cfg.maxn,
                                           bucket=cfg.ngram_buckets)
        model_id = kernels.SKIPGRAM if cfg.model == "skipgram" else kernels.CBOW
        ids, bounds = encoded.ids, encoded.bounds
        wi, wo = self.wi_, self.wo_
        # A corpus is often files concatenated by topic (here: news, then reviews, then...);
        # in file order the decaying learning rate favours the last ones (shuffled: WS-353
        # 0.18 -> 0.33, analogies 36% -> 44% after 2 epochs on corpora/en). So run_jobs
        # trains the chunks in one fixed permutation, the same every epoch.
        order = chunk_order(encoded, cfg.chunk_words, cfg.seed) if cfg.shuffle else None

        def job(s0: int, s1: int, alpha: float, seed: int) -> JobResult:
            b0, b1 = int(bounds[s0]), int(bounds[s1])
            loss_sum, terms, words = kernels.train_chunk(
                model_id, ids[b0:b1], bounds[s0:s1 + 1] - b0, wi, wo, offsets, sub, gain, keep,
                table, cfg.window, cfg.negative, alpha, seed)
            return JobResult(loss_sum, terms, words)

        def on_epoch_end(epoch: int, run: RunState) -> None:
            for callback in callbacks:
                callback(self, epoch, run)

        checkpoint = None
        if checkpoint_dir is not None:
            def checkpoint(position: Position, run: RunState) -> None:
                self._save_checkpoint(Path(checkpoint_dir), position, run)

        self._training = True
        try:
            run = run_jobs(
                encoded, job, epochs=cfg.epochs, alpha=cfg.alpha, min_alpha=cfg.min_alpha,
                workers=cfg.workers, chunk_words=cfg.chunk_words, seed=cfg.seed, start=start,
                state=state, progress=progress, on_epoch_end=on_epoch_end,
                checkpoint=checkpoint,
                checkpoint_seconds=None if checkpoint_minutes is None else 60 * checkpoint_minutes,
                order=order,
            )
        finally:
            self._training = False
        self.loss_history_ = list(run.epoch_loss)
        self.epoch_seconds_ = list(run.epoch_seconds)
        self.words_per_epoch_ = encoded.words
        self.raw_words_per_epoch_ = encoded.raw_words

    # --- results --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "wi_"):
            raise ConfigError("this FastText is not fitted yet: call fit(corpus) first")

    @property
    def vectors_(self) -> SubwordVectors:
        """The word and n-gram rows as ``SubwordVectors`` (every string gets a vector).

        After training it shares ``wi_`` read-only (no copy of the bucket matrix); ``fit`` and
        ``resume`` allocate new matrices, so a store handed out earlier never changes under
        its user. Asked for while training (from a callback), it is a copy: a snapshot.
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

    def save(self, path: PathLike, *, format: str = "fasttext-bin") -> Path:  # noqa: A002
        """Write the model: ``"fasttext-bin"`` (the whole model, fastText's own file, output
        rows included), or the composed word vectors in any format of ``embedlayer.vectors.io``
        (``"fasttext-vec"``, ``"native"``, ...)."""
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

    # --- checkpoints ----------------------------------------------------------------------
    def _save_checkpoint(self, folder: Path, position: Position, run: RunState) -> None:
        meta = {
            "format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
            "config": self.config.to_dict(),
            "position": {"epoch": position.epoch, "chunk": position.chunk},
            "loss_history": run.epoch_loss, "epoch_words": run.epoch_words,
            "epoch_partial": run.partial(),
        }
        write_checkpoint(folder, what="a fastText checkpoint", meta=meta, vocab=self.vocab_,
                         arrays={"wi": self.wi_, "wo": self.wo_})

    @classmethod
    def resume(
        cls, checkpoint_dir: PathLike, corpus: Iterable[Sequence[str]], *, progress: bool = True,
        callbacks: Sequence[Callback] = (), checkpoint_minutes: float | None = None,
        work_dir: PathLike | None = None,
    ) -> FastText:
        """Continue an interrupted ``fit`` from its checkpoint, on the same corpus."""
        folder = Path(checkpoint_dir)
        meta = read_checkpoint_meta(folder, fmt=CHECKPOINT_FORMAT,
                                    version=CHECKPOINT_VERSION,
                                    required=("config", "position", "loss_history", "epoch_words"))
        model = cls.from_config(FastTextConfig.from_dict(meta["config"]))
        cfg = model.config
        model.vocab_ = load_vocab(folder / "vocab.json")
        nwords = len(model.vocab_)
        model.wi_ = load_array(folder / "wi.npy", (nwords + cfg.ngram_buckets, cfg.dim))
        model.wo_ = load_array(folder / "wo.npy", (nwords, cfg.dim))
        pos = meta["position"]
        state = RunState(epoch_loss=list(meta["loss_history"]),
                         epoch_words=list(meta["epoch_words"]))
        state.restore_partial(meta.get("epoch_partial"))
        with work_folder(work_dir, "embedlayer-ft-") as tmp:
            encoded = encode_corpus(corpus, model.vocab_, folder=tmp)
            model._train(encoded, start=Position(pos["epoch"], pos["chunk"]), progress=progress,
                         callbacks=callbacks, checkpoint_dir=folder,
                         checkpoint_minutes=checkpoint_minutes, state=state)
            del encoded
        return model

    def __repr__(self) -> str:
        c = self.config
        fitted = f", {len(self.vocab_):,} words" if hasattr(self, "vocab_") else ""
        return (f"FastText({c.model}, dim={c.dim}, window={c.window}, minn={c.minn}, "
                f"maxn={c.maxn}, bucket={c.bucket:,}{fitted})")
