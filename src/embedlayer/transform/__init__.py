"""Vectors -> vectors: post-processing that returns a new ``Vectors`` (layer L3 of DESIGN.md),
and projections of a few rows to 2-D for pictures.

What it holds: :func:`all_but_the_top` (Mu & Viswanath 2018: remove the mean and the top
principal components), which works on any ``VectorStore`` block by block; :func:`project`
(PCA in numpy; t-SNE and UMAP when scikit-learn / umap-learn are installed), which
``embedlayer.viz`` draws. What it leaves out: cross-lingual mapping, retrofitting and
dimensionality reduction of whole vocabularies, which will join it here, and anything that
trains vectors (``embedlayer.train``). Needs numpy only.
"""

from __future__ import annotations

from embedlayer.transform.postprocess import all_but_the_top, default_components
from embedlayer.transform.project import PROJECTION_METHODS, ProjectionMethod, project

__all__ = ["PROJECTION_METHODS", "ProjectionMethod", "all_but_the_top", "default_components",
           "project"]
