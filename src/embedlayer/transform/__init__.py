"""Vectors -> vectors: post-processing that returns a new ``Vectors`` (layer L3 of DESIGN.md),
cross-lingual mapping, retrofitting, and projections of a few rows to 2-D for pictures.

What it holds: :func:`all_but_the_top` (Mu & Viswanath 2018: remove the mean and the top
principal components), which works on any ``VectorStore`` block by block; :func:`project`
(PCA in numpy; t-SNE and UMAP when scikit-learn / umap-learn are installed), which
``embedlayer.viz`` draws; cross-lingual mapping of one language's vectors into
another's space: :func:`align` (orthogonal Procrustes or least squares on a bilingual
dictionary, after :func:`normalize_vectors`' unit / center / unit), :func:`self_learning`
(VecMap-style iterations from a tiny seed or from :func:`identical_pairs`), :func:`translate`
(nearest-neighbour or CSLS retrieval, in bounded blocks), :func:`read_dictionary` and the
bilingual lexicon induction scores :func:`evaluate_bli` / :func:`cross_validate_bli` (P@k,
coverage stated); and :func:`retrofit` (Faruqui et al. 2015: pull each word toward its
neighbours in a lexicon graph such as PPDB or WordNet, with optional antonym repulsion; the
sweep is a numba kernel) with :func:`lexicon_graph` (a lexicon as CSR arrays over a
vocabulary). A ``VectorStore`` goes in and plain ``Vectors`` come out. What it leaves out:
reading lexicons (``embedlayer.data.lexicons``), dimensionality reduction of whole
vocabularies, and anything that trains vectors (``embedlayer.train``). Needs numpy (and numba
for retrofitting, imported on first use).
"""

from __future__ import annotations

from embedlayer.transform.bilingual import (
    Coverage,
    Pair,
    covered_pairs,
    dictionary_coverage,
    identical_pairs,
    read_dictionary,
    split_folds,
)
from embedlayer.transform.bli import BLIResult, CrossValidation, cross_validate_bli, evaluate_bli
from embedlayer.transform.crosslingual import (
    DEFAULT_NORMALIZATION,
    MAPPING_METHODS,
    Alignment,
    MappingMethod,
    NormalizeStep,
    align,
    fit_mapping,
    least_squares,
    map_vectors,
    normalize_vectors,
    parse_normalization,
    procrustes,
    self_learning,
)
from embedlayer.transform.postprocess import all_but_the_top, default_components
from embedlayer.transform.project import PROJECTION_METHODS, ProjectionMethod, project
from embedlayer.transform.retrieval import RETRIEVALS, Retrieval, search, translate
from embedlayer.transform.retrofit import LexiconGraph, lexicon_graph, retrofit

__all__ = ["DEFAULT_NORMALIZATION", "MAPPING_METHODS", "PROJECTION_METHODS", "RETRIEVALS",
           "Alignment", "BLIResult", "Coverage", "CrossValidation", "LexiconGraph",
           "MappingMethod", "NormalizeStep", "Pair", "ProjectionMethod", "Retrieval", "align",
           "all_but_the_top", "covered_pairs", "cross_validate_bli", "default_components",
           "dictionary_coverage", "evaluate_bli", "fit_mapping", "identical_pairs",
           "least_squares", "lexicon_graph", "map_vectors", "normalize_vectors",
           "parse_normalization", "procrustes", "project", "read_dictionary", "retrofit",
           "search", "self_learning", "split_folds", "translate"]
