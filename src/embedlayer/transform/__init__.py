"""Vectors -> vectors: post-processing that returns a new ``Vectors`` (layer L3 of DESIGN.md).

What it holds: :func:`all_but_the_top` (Mu & Viswanath 2018: remove the mean and the top
principal components), which works on any ``VectorStore`` block by block. What it leaves out:
cross-lingual mapping, retrofitting and dimensionality reduction, which will join it here, and
anything that trains vectors (``embedlayer.train``). Needs numpy only.
"""

from __future__ import annotations

from embedlayer.transform.postprocess import all_but_the_top, default_components

__all__ = ["all_but_the_top", "default_components"]
