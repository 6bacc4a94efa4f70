"""One entry point: ``compress(store, steps)`` chains vocabulary pruning and one codec (scalar
quantization, product quantization or low rank) and returns a store that answers every query.

What it holds: :func:`compress`, :func:`parse_steps` (the CLI's text form of a chain,
``"prune:keep=20000,buckets=50000+pq:m=25"``), and :data:`METHODS`, the steps and their
options with defaults. What it leaves out: the methods themselves (``prune.py``,
``quantize.py``), the stores (``store.py``), files (``io.py``).

A chain is a list of steps, each a dict with ``"method"`` and that method's options:

- ``prune``: ``keep`` (rows kept, most frequent first) and, for fastText vectors,
  ``buckets`` (the n-gram table re-hashed into this many rows; default: kept as it is) and
  ``refine`` (least-squares iterations fitting the new n-gram table to the old word vectors;
  default 0, none; 40 is a good start, see ``prune_subword``). At most once, and first.
- ``int8`` / ``int4``: scalar quantization with ``axis`` (``"row"``: a scale per row, the
  default; ``"dim"``: per dimension); ``scalar`` takes ``bits`` too.
- ``pq``: ``m`` sub-spaces (required; must divide the dimension), ``k`` centroids (256),
  ``iters`` (25), ``opq`` (False), ``normalize`` (False: quantize the rows; True: their unit
  directions, each row's norm kept), ``rank`` (0: all dimensions; r: PQ of the rows'
  projection on their top r singular directions, so ``m`` divides r), ``sample`` (256 * k
  rows), ``seed`` (0).
- ``lowrank``: ``rank`` (required), ``svd`` (``"svd"`` or ``"randomized"``), ``seed``.

At most one codec step, last. Dense vectors give a ``CompressedVectors``; fastText's
``SubwordVectors`` give a ``CompressedSubwordVectors`` (the word table and the n-gram table
compressed with the same settings, each fitted on its own rows); a chain of only ``prune``
gives a smaller dense store of the input's kind. ``stats`` on the result compares it with the
input: bytes against the input's float32 bytes (the ratio), reconstruction error of the coded
rows, fitting time.
"""

from __future__ import annotations

import time
from typing import Any

from embedlayer.compress.codecs import Codec
from embedlayer.compress.quantize import fit_lowrank, fit_pq, fit_scalar
from embedlayer.compress.store import (
    CompressedSubwordVectors,
    CompressedVectors,
    CompressionStats,
    combine_errors,
    dense_bytes,
    error_sums,
    measure_error,
)
from embedlayer.errors import ConfigError
from embedlayer.vectors import Vectors
from embedlayer.vectors.subword import SubwordVectors

__all__ = ["METHODS", "compress", "parse_steps"]

# method -> {option: default}; None marks a required option
METHODS: dict[str, dict[str, Any]] = {
    "prune": {"keep": None, "buckets": 0, "refine": 0},
    "int8": {"axis": "row"},
    "int4": {"axis": "row"},
    "scalar": {"bits": 8, "axis": "row"},
    "pq": {"m": None, "k": 256, "iters": 25, "opq": False, "normalize": False, "rank": 0,
           "sample": 0, "seed": 0},
    "lowrank": {"rank": None, "svd": "svd", "seed": 0},
}
CODECS = ("int8", "int4", "scalar", "pq", "lowrank")


def _value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        return text


def parse_steps(spec: str) -> list[dict[str, Any]]:
    """``"prune:keep=20000+pq:m=25,opq=true"`` -> ``[{"method": "prune", "keep": 20000},
    {"method": "pq", "m": 25, "opq": True}]``."""
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError("compress: the method is empty; expected e.g. 'int8', 'pq:m=25' or "
                          "'prune:keep=20000+int8'")
    steps = []
    for part in spec.split("+"):
        name, _, opts = part.strip().partition(":")
        step: dict[str, Any] = {"method": name.strip()}
        for item in filter(None, (o.strip() for o in opts.split(","))):
            key, eq, val = item.partition("=")
            if not eq or not key.strip():
                raise ConfigError(f"compress: option {item!r} of step {name!r} is not "
                                  f"key=value")
            step[key.strip()] = _value(val.strip())
        steps.append(step)
    return steps


def check_steps(steps: Any) -> list[dict[str, Any]]:
    """The steps with defaults filled in, or a ``ConfigError`` naming the bad step."""
    if isinstance(steps, str):
        steps = parse_steps(steps)
    if isinstance(steps, dict):
        steps = [steps]
    if not isinstance(steps, list | tuple) or not steps:
        raise ConfigError(f"compress: steps must be a non-empty list of dicts, got {steps!r}")
    out = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or "method" not in step:
            raise ConfigError(f"compress: step {i + 1} must be a dict with a 'method', got "
                              f"{step!r}")
        method = step["method"]
        if method not in METHODS:
            raise ConfigError(f"compress: step {i + 1}: unknown method {method!r}; expected one "
                              f"of {', '.join(METHODS)}")
        unknown = sorted(set(step) - set(METHODS[method]) - {"method"})
        if unknown:
            raise ConfigError(f"compress: step {i + 1} ({method}): unknown option(s) "
                              f"{', '.join(unknown)}; {method} takes "
                              f"{', '.join(METHODS[method]) or 'none'}")
        full = {"method": method, **METHODS[method], **step}
        missing = [k for k, v in full.items() if v is None]
        if missing:
            raise ConfigError(f"compress: step {i + 1} ({method}) needs {', '.join(missing)}")
        out.append(full)
    names = [s["method"] for s in out]
    if "prune" in names and (names.index("prune") != 0 or names.count("prune") > 1):
        raise ConfigError("compress: prune may come once, as the first step")
    codecs = [n for n in names if n in CODECS]
    if len(codecs) > 1 or (codecs and names[-1] not in CODECS):
        raise ConfigError(f"compress: one codec step ({', '.join(CODECS)}) at most, and it "
                          f"comes last; got {' -> '.join(names)}")
    return out


def _fit(matrix: Any, step: dict[str, Any]) -> Codec:
    method = step["method"]
    if method in ("int8", "int4", "scalar"):
        bits = {"int8": 8, "int4": 4}.get(method, step.get("bits"))
        return fit_scalar(matrix, bits=bits, axis=step["axis"])
    if method == "pq":
        return fit_pq(matrix, m=step["m"], k=step["k"], iters=step["iters"],
                      sample=step["sample"] or None, opq=bool(step["opq"]),
                      normalize=bool(step["normalize"]), rank=step["rank"], seed=step["seed"])
    return fit_lowrank(matrix, rank=step["rank"], method=step["svd"], seed=step["seed"])


def compress(store: Any, steps: Any) -> Any:
    """Apply the chain ``steps`` (a list of step dicts, one dict, or the text form) to
    ``store`` (``Vectors``, ``SubwordVectors`` or any ``VectorStore``); see the module."""
    from embedlayer.vectors.base import VectorStore

    if not isinstance(store, VectorStore):
        raise ConfigError(f"compress: expected a VectorStore (Vectors, SubwordVectors...), got "
                          f"{type(store).__name__}")
    if len(store) == 0:
        raise ConfigError("compress: the store is empty; nothing to compress")
    chain = check_steps(steps)
    subword = isinstance(store, SubwordVectors)
    dense = dense_bytes(store)
    t0 = time.perf_counter()
    if chain[0]["method"] == "prune":
        from embedlayer.compress.prune import prune_subword, prune_vectors

        step = chain[0]
        if subword:
            store = prune_subword(store, keep_words=step["keep"],
                                  buckets=step["buckets"] or store.bucket,
                                  refine=step["refine"])
        else:
            for option in ("buckets", "refine"):
                if step[option]:
                    raise ConfigError(f"compress: prune's {option} option is for fastText "
                                      f"vectors (SubwordVectors); these vectors have no n-gram "
                                      f"table")
            store = prune_vectors(store, step["keep"])
    codec_steps = [s for s in chain if s["method"] in CODECS]
    if not codec_steps:
        return store
    step = codec_steps[0]
    if subword:
        word = _fit(store.word_matrix, step)
        ngram = _fit(store.ngram_matrix, step)
        seconds = time.perf_counter() - t0
        err, cos = combine_errors([error_sums(store.word_matrix, word),
                                   error_sums(store.ngram_matrix, ngram)])
        stats = CompressionStats(
            dense_bytes=dense, bytes=word.nbytes + ngram.nbytes,
            ratio=dense / (word.nbytes + ngram.nbytes), relative_error=err,
            mean_cosine=cos, seconds=seconds)
        return CompressedSubwordVectors(store.vocab, word, ngram, minn=store.minn,
                                        maxn=store.maxn, bucket=store.bucket,
                                        no_subwords=store.no_subwords, encoding=store.encoding,
                                        steps=chain, stats=stats)
    matrix = store.matrix
    codec = _fit(matrix, step)
    seconds = time.perf_counter() - t0
    err, cos = measure_error(matrix, codec)
    stats = CompressionStats(dense_bytes=dense, bytes=codec.nbytes,
                             ratio=dense / codec.nbytes, relative_error=err,
                             mean_cosine=cos, seconds=seconds)
    oov = store.oov if isinstance(store, Vectors | CompressedVectors) else "raise"
    return CompressedVectors(store.vocab, codec, oov=oov, steps=chain, stats=stats)
