"""The trainers' settings: ``Word2VecConfig``, ``FastTextConfig`` and ``GloVeConfig``, each one
frozen, typed, defaulted dataclass, all in this one module.

Saved next to every checkpoint and model, so a run can be reproduced, resumed or continued.
Also the pieces the three share: the JSON round trip (``SettingsIO``) and the checks of
counts, seeds, learning rates and vocabulary caps. The names are the project's: ``learning_rate``
/ ``min_learning_rate`` (GloVe's ``alpha`` is its weighting exponent, not a rate), ``min_count``,
``max_vocab`` (cap on the final vocabulary), ``max_types`` (bound on the types held while
counting), ``memory_mib`` (GloVe's counting budget), ``workers``, ``seed``.
What it leaves out: checks that need the vocabulary (the estimators).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal

from embedlayer.errors import ConfigError

__all__ = ["FastTextConfig", "GloVeConfig", "GloVeOutput", "Loss", "Model", "SettingsIO",
           "Word2VecConfig", "check_caps", "check_counts", "check_rates", "check_seed",
           "config_differences"]

Model = Literal["skipgram", "cbow"]
Loss = Literal["ns", "hs"]
GloVeOutput = Literal["word", "word+context", "concat"]
_OUTPUTS = ("word", "word+context", "concat")


class SettingsIO:
    """``to_dict`` / ``from_dict`` for a frozen settings dataclass; ``KIND`` names it in errors."""

    KIND: ClassVar[str] = "training"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # mixed into dataclasses only

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown {cls.KIND} settings {sorted(unknown)}; known: "
                              f"{sorted(known)}")
        return cls(**data).check()  # type: ignore[attr-defined]


def config_differences(wanted: Any, saved: Any) -> list[tuple[str, Any, Any]]:
    """``(field, wanted value, saved value)`` for every field where two configs differ."""
    a, b = wanted.to_dict(), saved.to_dict()
    return [(name, a[name], b[name]) for name in a if a[name] != b.get(name)]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_counts(values: dict[str, Any]) -> None:
    """Each value must be an integer >= 1 (bool is not an integer here)."""
    for name, value in values.items():
        if not _is_int(value) or value < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")


def check_seed(seed: Any) -> None:
    """A seed is an integer >= 0 (numpy's generators refuse negative ones later, less clearly)."""
    if not _is_int(seed) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")


def check_rates(sample: float, learning_rate: float, min_learning_rate: float) -> None:
    """Subsampling threshold in [0, 1) and a learning rate decaying to ``min_learning_rate``."""
    if not 0 <= sample < 1:
        raise ConfigError(f"sample must be in [0, 1), got {sample}")
    if not 0 < learning_rate < 1 or not 0 <= min_learning_rate <= learning_rate:
        raise ConfigError(f"need 0 < learning_rate < 1 and 0 <= min_learning_rate <= "
                          f"learning_rate, got learning_rate={learning_rate}, "
                          f"min_learning_rate={min_learning_rate}")


def check_caps(settings: Any, names: tuple[str, ...]) -> None:
    """Each named setting is ``None`` or an integer >= 1."""
    for name in names:
        value = getattr(settings, name)
        if value is not None and (not _is_int(value) or value < 1):
            raise ConfigError(f"{name} must be an integer >= 1 or None, got {value!r}")


@dataclass(frozen=True)
class Word2VecConfig(SettingsIO):
    """Every setting of ``Word2Vec``, frozen, checked and saved with each model and checkpoint."""

    KIND: ClassVar[str] = "word2vec"

    model: Model = "skipgram"  # predict context from word (skipgram) or word from context (cbow)
    loss: Loss = "ns"  # negative sampling or hierarchical softmax (Huffman tree)
    dim: int = 100  # vector dimension
    window: int = 5  # maximal context distance; each position draws a window in [1, window]
    negative: int = 5  # negative samples per prediction (ns)
    ns_exponent: float = 0.75  # unigram^ns_exponent negative-sampling distribution
    sample: float = 1e-3  # frequent-word subsampling threshold (0 = off), word2vec's formula
    min_count: int = 5  # drop words seen fewer times
    max_types: int | None = None  # bound on distinct words held while counting (rarest pruned)
    max_vocab: int | None = None  # keep at most this many words in the end (most frequent)
    learning_rate: float = 0.025  # at the start
    min_learning_rate: float = 0.0001  # at the very end (linear decay over all epochs)
    epochs: int = 5  # passes over the corpus
    cbow_mean: bool = True  # cbow: mean of the context vectors (else their sum)
    workers: int = 2  # training threads (hogwild)
    seed: int = 1  # everything random derives from it
    chunk_words: int = 10_000  # tokens per job handed to a thread
    # skipgram+ns: one negative set per window, shared by its contexts (Ji et al. 2016): 2x the
    # speed at equal quality (docs/benchmarks.md). None = on wherever it applies.
    shared_negatives: bool | None = None
    # train the chunks in one fixed random order, not in file order (files concatenated by topic
    # skew the vectors toward the last ones: sg-ns analogies 11.2% -> 12.2% on corpora/en)
    shuffle: bool = True

    def check(self) -> Word2VecConfig:
        """Raise ``ConfigError`` naming the first bad field; returns ``self``."""
        if self.model not in ("skipgram", "cbow"):
            raise ConfigError(f"model must be 'skipgram' or 'cbow', got {self.model!r}")
        if self.loss not in ("ns", "hs"):
            raise ConfigError(f"loss must be 'ns' or 'hs', got {self.loss!r}")
        check_counts({"dim": self.dim, "window": self.window, "min_count": self.min_count,
                      "epochs": self.epochs, "workers": self.workers,
                      "chunk_words": self.chunk_words})
        check_seed(self.seed)
        if self.loss == "ns" and (not _is_int(self.negative) or self.negative < 1):
            raise ConfigError(f"negative must be >= 1 with loss='ns', got {self.negative!r}")
        check_rates(self.sample, self.learning_rate, self.min_learning_rate)
        if self.shared_negatives and (self.model, self.loss) != ("skipgram", "ns"):
            raise ConfigError(f"shared_negatives applies to model='skipgram' with loss='ns' only, "
                              f"got model={self.model!r}, loss={self.loss!r}")
        check_caps(self, ("max_types", "max_vocab"))
        return self

    @property
    def uses_shared_negatives(self) -> bool:
        """Whether training draws one negative set per window (resolves ``None``)."""
        if self.shared_negatives is None:
            return (self.model, self.loss) == ("skipgram", "ns")
        return self.shared_negatives


@dataclass(frozen=True)
class FastTextConfig(SettingsIO):
    """Every setting of ``FastText``, frozen, checked and saved with each model and checkpoint."""

    KIND: ClassVar[str] = "fastText"

    model: Model = "skipgram"  # center predicts context (skipgram) or context predicts center
    dim: int = 100  # vector dimension
    window: int = 5  # maximal context distance; each position draws a window in [1, window]
    negative: int = 5  # negative samples per prediction
    ns_exponent: float = 0.5  # negatives ~ count**ns_exponent (fastText: 0.5; word2vec: 0.75)
    sample: float = 1e-4  # subsampling threshold (0 = off); fastText's -t and formula
    min_count: int = 5  # drop words seen fewer times
    max_types: int | None = None  # bound on distinct words held while counting (rarest pruned)
    max_vocab: int | None = None  # keep at most this many words in the end (most frequent)
    learning_rate: float = 0.05  # at the start (fastText's -lr)
    min_learning_rate: float = 0.0  # at the very end (fastText decays linearly to 0)
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
        check_seed(self.seed)
        for name in ("maxn", "bucket"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
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
        check_rates(self.sample, self.learning_rate, self.min_learning_rate)
        check_caps(self, ("max_types", "max_vocab"))
        return self

    @property
    def ngram_buckets(self) -> int:
        """Rows of n-grams actually used: none when ``maxn`` is 0."""
        return self.bucket if self.maxn else 0


@dataclass(frozen=True)
class GloVeConfig(SettingsIO):
    """Defaults follow Stanford GloVe's ``demo.sh`` (min_count 5, window 15, symmetric, x_max
    10, 15 iterations) and ``glove.c`` (alpha 0.75, eta 0.05, gradient clipping at 100, output
    ``W + C``)."""

    KIND: ClassVar[str] = "GloVe"

    dim: int = 100  # vector dimension
    window: int = 15  # context words on each side (cooccur -window-size)
    symmetric: bool = True  # count right and left contexts; False: (left word, right word) only
    distance_weighting: bool = True  # a pair d tokens apart adds 1/d (else 1)
    min_count: int = 5  # drop words seen fewer times (vocab_count -min-count)
    sample: float = 0.0  # drop frequent words before counting, word2vec's rule (0: none, as
    # Stanford's tools); the windows then reach further past the dropped words
    max_types: int | None = None  # bound on distinct words held while counting (rarest pruned)
    max_vocab: int | None = None  # keep at most this many words, the most frequent
    x_max: float = 10.0  # weighting f(x) = min(1, (x / x_max)^alpha)
    alpha: float = 0.75  # exponent of the weighting (not a learning rate)
    learning_rate: float = 0.05  # AdaGrad's eta
    grad_clip: float = 100.0  # each gradient component clipped to +-grad_clip (glove.c)
    epochs: int = 15  # passes over the co-occurrence triples
    output: GloVeOutput = "word+context"  # vectors published: W, W + C, or [W | C] (2 x dim)
    context_weight: float = 1.0  # "word+context" publishes W + context_weight * C
    memory_mib: float = 1024.0  # soft cap on the process while counting (see GloVe docs)
    workers: int = 2  # threads for counting and (hogwild) training
    seed: int = 1  # initialization, shuffle and epoch orders derive from it
    block: int = 65_536  # triples per training job handed to a thread

    def check(self) -> GloVeConfig:
        """Raise ``ConfigError`` naming the first bad field; returns ``self``."""
        check_counts({"dim": self.dim, "window": self.window, "min_count": self.min_count,
                      "epochs": self.epochs, "workers": self.workers, "block": self.block})
        check_caps(self, ("max_types", "max_vocab"))
        for name in ("x_max", "alpha", "learning_rate", "grad_clip", "memory_mib"):
            value = getattr(self, name)
            if (not isinstance(value, int | float) or isinstance(value, bool)
                    or not math.isfinite(value) or value <= 0):
                raise ConfigError(f"{name} must be a finite number > 0, got {value!r}")
        if self.output not in _OUTPUTS:
            raise ConfigError(f"output must be one of {', '.join(map(repr, _OUTPUTS))}, "
                              f"got {self.output!r}")
        for name in ("sample", "context_weight"):
            value = getattr(self, name)
            if (not isinstance(value, int | float) or isinstance(value, bool)
                    or not math.isfinite(value) or value < 0):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.sample >= 1:
            raise ConfigError(f"sample must be in [0, 1), got {self.sample!r}")
        for name in ("symmetric", "distance_weighting"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_seed(self.seed)
        return self
