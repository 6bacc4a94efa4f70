"""Learning the embedding matrix with numba kernels on threads: word2vec (skip-gram, CBOW;
negative sampling, hierarchical softmax), fastText (words + character n-grams) and GloVe
(co-occurrence counts in bounded memory, then AdaGrad).

Layer L3 of DESIGN.md: takes token streams and a ``Vocab``, hands ``Vectors`` on. numba is
imported only by the kernels, when training starts.
"""

from embedlayer.train.config import Loss, Model, Word2VecConfig
from embedlayer.train.fasttext import FastText, FastTextConfig
from embedlayer.train.glove import GloVe
from embedlayer.train.glove_config import GloVeConfig
from embedlayer.train.word2vec import Word2Vec, estimate_memory

__all__ = ["FastText", "FastTextConfig", "GloVe", "GloVeConfig", "Loss", "Model", "Word2Vec",
           "Word2VecConfig", "estimate_memory"]
