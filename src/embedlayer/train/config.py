"""Configuration of the word2vec estimator: one frozen, typed, defaulted dataclass.

Saved next to every checkpoint and model, so a run can be reproduced or resumed. Also the
pieces every estimator's settings share (fastText's and GloVe's too): JSON round trip
(``SettingsIO``) and the checks of counts, learning rates and vocabulary caps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal

from embedlayer.errors import ConfigError

__all__ = ["Loss", "Model", "SettingsIO", "Word2VecConfig", "check_caps", "check_counts",
           "check_rates"]

Model = Literal["skipgram", "cbow"]
Loss = Literal["ns", "hs"]


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


def check_counts(values: dict[str, Any]) -> None:
    """Each value must be an integer >= 1 (bool is not an integer here)."""
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")


def check_rates(sample: float, alpha: float, min_alpha: float) -> None:
    """Subsampling threshold in [0, 1) and a learning rate decaying from alpha to min_alpha."""
    if not 0 <= sample < 1:
        raise ConfigError(f"sample must be in [0, 1), got {sample}")
    if not 0 < alpha < 1 or not 0 <= min_alpha <= alpha:
        raise ConfigError(f"need 0 < alpha < 1 and 0 <= min_alpha <= alpha, got alpha="
                          f"{alpha}, min_alpha={min_alpha}")


def check_caps(settings: Any, names: tuple[str, ...]) -> None:
    """Each named setting is ``None`` or an integer >= 1."""
    for name in names:
        value = getattr(settings, name)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ConfigError(f"{name} must be an integer >= 1 or None, got {value!r}")


@dataclass(frozen=True)
class Word2VecConfig(SettingsIO):
    KIND: ClassVar[str] = "word2vec"

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
        check_counts({"dim": self.dim, "window": self.window, "min_count": self.min_count,
                      "epochs": self.epochs, "workers": self.workers,
                      "chunk_words": self.chunk_words})
        if self.loss == "ns" and (not isinstance(self.negative, int) or self.negative < 1):
            raise ConfigError(f"negative must be >= 1 with loss='ns', got {self.negative!r}")
        check_rates(self.sample, self.alpha, self.min_alpha)
        if self.shared_negatives and (self.model, self.loss) != ("skipgram", "ns"):
            raise ConfigError(f"shared_negatives applies to model='skipgram' with loss='ns' only, "
                              f"got model={self.model!r}, loss={self.loss!r}")
        check_caps(self, ("max_vocab_size", "max_final_vocab"))
        return self

    @property
    def uses_shared_negatives(self) -> bool:
        """Whether training draws one negative set per window (resolves ``None``)."""
        if self.shared_negatives is None:
            return (self.model, self.loss) == ("skipgram", "ns")
        return self.shared_negatives

