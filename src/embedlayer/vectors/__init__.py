"""Word vectors: the embedding matrix with its keys, queries, composition and file formats.

Layer L2 of DESIGN.md (depends on ``embedlayer.vocab`` and L0 only). ``Vectors`` is the dense
store; ``vectors.query`` holds the similarity functions its methods call; ``vectors.io``
reads and writes every file format.
"""

from embedlayer.vectors.base import OOVVectorPolicy, VectorStore
from embedlayer.vectors.query import (
    AnalogyMethod,
    Neighbours,
    analogy_batch,
    cosine,
    nearest,
    row_norms,
)
from embedlayer.vectors.vectors import Vectors

__all__ = [
    "AnalogyMethod",
    "Neighbours",
    "OOVVectorPolicy",
    "VectorStore",
    "Vectors",
    "analogy_batch",
    "cosine",
    "nearest",
    "row_norms",
]
