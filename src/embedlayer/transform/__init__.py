"""Vectors -> vectors: post-processing that returns a new ``Vectors`` (layer L3 of DESIGN.md),
and projections of a few rows to 2-D for pictures.

What it holds: :func:`all_but_the_top` (Mu & Viswanath 2018: remove the mean and the top
principal components), which works on any ``VectorStore`` block by block; :func:`retrofit`
(Faruqui et al. 2015: pull each word toward its neighbours in a lexicon graph such as PPDB or
WordNet, with optional antonym repulsion; the sweep is a numba kernel) and
:func:`lexicon_graph` (a lexicon as CSR arrays over a vocabulary); :func:`project` (PCA in
numpy; t-SNE and UMAP when scikit-learn / umap-learn are installed), which ``embedlayer.viz``
draws. What it leaves out: reading lexicons (``embedlayer.data.lexicons``), dimensionality
reduction of whole vocabularies, and anything that trains vectors (``embedlayer.train``).
Needs numpy (and numba for retrofitting, imported on first use).
"""

from __future__ import annotations

from embedlayer.transform.postprocess import all_but_the_top, default_components
from embedlayer.transform.project import PROJECTION_METHODS, ProjectionMethod, project
from embedlayer.transform.retrofit import LexiconGraph, lexicon_graph, retrofit

__all__ = ["PROJECTION_METHODS", "LexiconGraph", "ProjectionMethod", "all_but_the_top",
           "default_components", "lexicon_graph", "project", "retrofit"]
