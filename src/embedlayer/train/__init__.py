"""Learning the embedding matrix with numba kernels on threads: word2vec (skip-gram, CBOW;
negative sampling, hierarchical softmax), fastText (words + character n-grams) and GloVe
(co-occurrence counts in bounded memory, then AdaGrad).

Layer L3 of DESIGN.md: takes token streams and a ``Vocab``, hands ``Vectors`` on. numba is
imported only by the kernels, when training starts. Every estimator has ``fit``,
``partial_fit``, ``resume`` (from a checkpoint), ``save`` / ``load`` (the whole model) and
``save_vectors``; the settings of all three live in ``config.py``.
"""

from embedlayer.train.config import (
    FastTextConfig,
    GloVeConfig,
    GloVeOutput,
    Loss,
    Model,
    Word2VecConfig,
)
from embedlayer.train.fasttext import FastText
from embedlayer.train.glove import GloVe
from embedlayer.train.word2vec import Word2Vec, estimate_memory

__all__ = ["FastText", "FastTextConfig", "GloVe", "GloVeConfig", "GloVeOutput", "Loss", "Model",
           "Word2Vec", "Word2VecConfig", "estimate_memory"]
