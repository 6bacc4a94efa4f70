"""Configuration of the GloVe estimator: one frozen, typed, defaulted dataclass.

Defaults follow Stanford GloVe's ``demo.sh`` (min_count 5, window 15, symmetric, x_max 10,
15 iterations) and ``glove.c`` (alpha 0.75, eta 0.05, gradient clipping at 100, output
``W + C``). What it leaves out: the fixed memory reserve and the checks that need the
vocabulary (``glove.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from embedlayer.errors import ConfigError
from embedlayer.train.config import SettingsIO, check_counts

__all__ = ["GloVeConfig", "GloVeOutput"]

GloVeOutput = Literal["word", "word+context", "concat"]
_OUTPUTS = ("word", "word+context", "concat")


@dataclass(frozen=True)
class GloVeConfig(SettingsIO):
    KIND: ClassVar[str] = "GloVe"

    dim: int = 100  # vector dimension
    window: int = 15  # context words on each side (cooccur -window-size)
    symmetric: bool = True  # count right and left contexts; False: (left word, right word) only
    distance_weighting: bool = True  # a pair d tokens apart adds 1/d (else 1)
    min_count: int = 5  # drop words seen fewer times (vocab_count -min-count)
    sample: float = 0.0  # drop frequent words before counting, word2vec's rule (0: none, as
    # Stanford's tools); the windows then reach further past the dropped words
    max_vocab: int | None = None  # keep at most this many words, the most frequent
    x_max: float = 10.0  # weighting f(x) = min(1, (x / x_max)^alpha)
    alpha: float = 0.75  # exponent of the weighting
    eta: float = 0.05  # AdaGrad learning rate
    grad_clip: float = 100.0  # each gradient component clipped to +-grad_clip (glove.c)
    epochs: int = 15  # passes over the co-occurrence triples
    output: GloVeOutput = "word+context"  # vectors published: W, W + C, or [W | C] (2 x dim)
    context_weight: float = 1.0  # "word+context" publishes W + context_weight * C
    memory: float = 1024.0  # MiB: soft cap on the process while counting (see GloVe docs)
    workers: int = 2  # threads for counting and (hogwild) training
    seed: int = 1  # initialization, shuffle and epoch orders derive from it
    block: int = 65_536  # triples per training job handed to a thread

    def check(self) -> GloVeConfig:
        """Raise ``ConfigError`` naming the first bad field; returns ``self``."""
        check_counts({"dim": self.dim, "window": self.window, "min_count": self.min_count,
                      "epochs": self.epochs, "workers": self.workers, "block": self.block})
        if self.max_vocab is not None and (not isinstance(self.max_vocab, int)
                                           or isinstance(self.max_vocab, bool)
                                           or self.max_vocab < 1):
            raise ConfigError(f"max_vocab must be an integer >= 1 or None, got {self.max_vocab!r}")
        for name in ("x_max", "alpha", "eta", "grad_clip", "memory"):
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
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {self.seed!r}")
        return self

