"""What each route computes, as plain synchronous functions over a loaded model.

What it holds: one function per model route; each takes the :class:`LoadedModel` a request
picked (and the request's values) and returns the JSON-able answer. They call the layers
below (``most_similar``, ``analogy``, ``Encoder.encode``, ``VectorIndex.search``,
``predict_proba``, ``predict``) and run in the server's worker threads, never on the event
loop. Floats go out finite or as ``null`` (JSON has no NaN). What it leaves out: limits,
model choice and HTTP (``serve.app``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from embedlayer.errors import RequestError
from embedlayer.serve.models import LoadedModel

__all__ = ["analogy", "classify", "encode", "map_methods", "search", "similar", "similarity",
           "tag", "vectors", "word_map"]

_MAP_PACKAGES = {"umap": ("umap", "umap-learn")}  # method -> (module, the package that adds it)


def _floats(values: np.ndarray) -> list[Any]:
    """``values.tolist()`` with every NaN or infinity as None."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if finite.all():
        return values.tolist()
    out = values.astype(object)
    out[~finite] = None
    return out.tolist()


def _score(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _composes(model: LoadedModel) -> bool:
    return model.info.get("oov") == "compose"


def vectors(model: LoadedModel, words: Sequence[str]) -> dict[str, Any]:
    """Each word's vector; a word outside the vocabulary gets ``null`` (a subword model
    composes it from character n-grams instead), ``oov: true`` either way."""
    store, composes = model.obj, _composes(model)
    out = []
    for word in words:
        known = word in store
        vec = _floats(store[word]) if known or (composes and word) else None
        out.append({"word": word, "vector": vec, "oov": not known})
    return {"model": model.name, "dim": store.dim,
            "oov_policy": "compose" if composes else "null", "vectors": out}


def _query(store: Any, vector: Sequence[float]) -> np.ndarray:
    """A query vector as a unit float32 row, or a 422 naming the problem."""
    vec = np.asarray(vector, dtype=np.float64)
    if vec.shape != (store.dim,):
        raise RequestError(422, "wrong_dim", f"vector: {vec.shape[0]} values; this model's "
                                             f"vectors have {store.dim}")
    scale = float(np.abs(vec).max())
    if scale == 0.0:
        raise RequestError(422, "zero_vector", "vector: all zeros; it has no direction to "
                                               "rank neighbours by")
    unit = vec / scale  # scaled first: the norm of huge values does not overflow
    unit /= np.linalg.norm(unit)
    return unit.astype(np.float32)


def similar(model: LoadedModel, *, word: str | None, vector: Sequence[float] | None, k: int,
            index: LoadedModel | None) -> dict[str, Any]:
    """The ``k`` nearest words by cosine (the query word left out), through ``index``'s
    search when given, else by the exact scan."""
    store = model.obj
    query: Any = word if word is not None else _query(store, vector or ())
    pairs = store.most_similar([query], topn=k, index=index.obj if index else None)
    return {"model": model.name, "via": "index" if index else "exact",
            "neighbours": [{"word": w, "score": _score(s)} for w, s in pairs]}


def analogy(model: LoadedModel, *, a: str, b: str, c: str, k: int,
            method: str) -> dict[str, Any]:
    """``a : b :: c : ?`` — the ``k`` best answers, the question words left out."""
    pairs = model.obj.analogy(a, b, c, method=method, topn=k)
    return {"model": model.name, "method": method,
            "answers": [{"word": w, "score": _score(s)} for w, s in pairs]}


def map_methods() -> list[str]:
    """The projections ``/map`` offers here: PCA always, UMAP when umap-learn is installed."""
    import importlib.util

    return ["pca"] + [m for m, (module, _) in _MAP_PACKAGES.items()
                      if importlib.util.find_spec(module) is not None]


def word_map(model: LoadedModel, *, words: Sequence[str], neighbours_of: str | None,
             topn: int, top: int | None, method: str) -> dict[str, Any]:
    """2-D coordinates of chosen words: ``words`` by name, ``neighbours_of`` and its ``topn``
    nearest neighbours, and the ``top`` first words of the vocabulary (in that order, each
    word once; ``group``: the word whose neighbour it is, else ``""``)."""
    from embedlayer.viz.projection import project_words, select_words

    if method not in map_methods():
        module, package = _MAP_PACKAGES[method]
        raise RequestError(422, "method_unavailable",
                           f"method: {method!r} needs the {package} package, which this "
                           f"server lacks (pip install {package}); 'pca' always works")
    store = model.obj
    asked = [*words, *([neighbours_of] if neighbours_of is not None else [])]
    missing = [w for w in dict.fromkeys(asked) if w not in store]
    if missing:
        raise RequestError(422, "unknown_word",
                           f"not in the vocabulary of {model.name!r}: "
                           f"{', '.join(repr(w) for w in missing[:5])}")
    chosen = select_words(store, words=words, top=top,
                          neighbours=[neighbours_of] if neighbours_of is not None else [],
                          topn=topn)
    projection = project_words(store, chosen, method=method)  # type: ignore[arg-type]
    xy = projection.coords
    return {"model": model.name, "method": method,
            "points": [{"word": w, "x": _score(xy[i, 0]), "y": _score(xy[i, 1]),
                        "group": projection.groups[i]}
                       for i, w in enumerate(projection.words)]}


def similarity(model: LoadedModel, pairs: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The cosine of each word pair; ``null`` (and the words in ``oov``) for a pair with a
    word outside the vocabulary that the model cannot compose."""
    from embedlayer.vectors.query import cosine

    store, composes = model.obj, _composes(model)
    out = []
    for a, b in pairs:
        oov = [w for w in (a, b) if w not in store]
        missing = [w for w in oov if not (composes and w)]
        value = None if missing else _score(cosine(store[a], store[b]))
        out.append({"a": a, "b": b, "similarity": value, "oov": oov})
    return {"model": model.name, "oov_policy": "compose" if composes else "null",
            "similarities": out}


def encode(model: LoadedModel, texts: Sequence[str]) -> dict[str, Any]:
    """Each text's vector, by the model's encoder (a transformer, or the mean of word
    vectors for a vectors model)."""
    matrix = model.encoder.encode(list(texts))
    return {"model": model.name, "dim": int(matrix.shape[1]), "vectors": _floats(matrix)}


def search(model: LoadedModel, texts: Sequence[str], k: int) -> dict[str, Any]:
    """The ``k`` best rows of a text index for each query text (fewer when the index is
    smaller)."""
    index = model.obj
    result = index.search(model.encoder.encode(list(texts)), min(k, len(index)))
    results = []
    for q in range(len(texts)):
        hits = []
        for rank, (key, score) in enumerate(result.pairs(q)):
            if key == -1 or key == "":  # a slot an approximate index could not fill
                continue
            hit: dict[str, Any] = {"id": key, "score": _score(score)}
            if result.texts is not None:
                hit["text"] = result.texts[q][rank]
            hits.append(hit)
        results.append(hits)
    return {"model": model.name, "results": results}


def classify(model: LoadedModel, texts: Sequence[str]) -> dict[str, Any]:
    """The most probable label of each text and every label's probability."""
    clf = model.obj
    probs = clf.predict_proba(list(texts))
    labels = list(clf.labels_)
    results = [{"label": labels[int(np.argmax(row))],
                "probabilities": dict(zip(labels, _floats(row), strict=True))}
               for row in probs]
    return {"model": model.name, "results": results}


def tag(model: LoadedModel, sentences: Sequence[Sequence[str]]) -> dict[str, Any]:
    """One tag per token of each sentence."""
    tags = model.obj.predict([list(s) for s in sentences])
    return {"model": model.name, "scheme": model.obj.scheme_,
            "results": [{"tokens": list(s), "tags": t}
                        for s, t in zip(sentences, tags, strict=True)]}
