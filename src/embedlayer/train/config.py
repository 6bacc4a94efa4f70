"""Configuration of the word2vec estimator: one frozen, typed, defaulted dataclass.

Saved next to every checkpoint and model, so a run can be reproduced or resumed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from embedlayer.errors import ConfigError

__all__ = ["Loss", "Model", "Word2VecConfig"]

Model = Literal["skipgram", "cbow"]
Loss = Literal["ns", "hs"]


@dataclass(frozen=True)
class Word2VecConfig:
    model: Model = "skipgram"  # predict context from word (skipgram) or word from context (cbow)
    loss: Loss = "ns"  # negative sampling or hierarchical softmax (Huffman tree)
    dim: int = 100  # vector dimension
    window: int = 5  # maximal context distance; each position draws a window in [1, window]
    negative: int = 5  # negative samples per prediction (ns)
    ns_exponent: float = 0.75  # unigram^ns_exponent negative-sampling distribution
    sample: float = 1e-3  # frequent-word subsampling threshold (0 = off), word2vec's formula
    min_count: int = 5  # drop words seen fewer times
    max_vocab_size: int | None = None  # cap on distinct words while counting (prunes rare ones)
    max_final_vocab: int | None = None  # keep at most this many words (most frequent)
    alpha: float = 0.025  # learning rate at the start
    min_alpha: float = 0.0001  # learning rate at the very end (linear decay over all epochs)
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
        positive = {"dim": self.dim, "window": self.window, "min_count": self.min_count,
                    "epochs": self.epochs, "workers": self.workers, "chunk_words": self.chunk_words}
        for name, value in positive.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if self.loss == "ns" and (not isinstance(self.negative, int) or self.negative < 1):
            raise ConfigError(f"negative must be >= 1 with loss='ns', got {self.negative!r}")
        if not 0 <= self.sample < 1:
            raise ConfigError(f"sample must be in [0, 1), got {self.sample}")
        if not 0 < self.alpha < 1 or not 0 <= self.min_alpha <= self.alpha:
            raise ConfigError(f"need 0 < alpha < 1 and 0 <= min_alpha <= alpha, got alpha="
                              f"{self.alpha}, min_alpha={self.min_alpha}")
        if self.shared_negatives and (self.model, self.loss) != ("skipgram", "ns"):
            raise ConfigError(f"shared_negatives applies to model='skipgram' with loss='ns' only, "
                              f"got model={self.model!r}, loss={self.loss!r}")
        for name in ("max_vocab_size", "max_final_vocab"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be an integer >= 1 or None, got {value!r}")
        return self

    @property
    def uses_shared_negatives(self) -> bool:
        """Whether training draws one negative set per window (resolves ``None``)."""
        if self.shared_negatives is None:
            return (self.model, self.loss) == ("skipgram", "ns")
        return self.shared_negatives

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Word2VecConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown word2vec settings {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data).check()
