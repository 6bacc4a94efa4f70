"""Vector indexes: exact and approximate nearest-neighbour search over rows with external ids.

What it holds: :class:`VectorIndex`, one interface over three kinds —

- ``"exact"``: the float32 rows themselves; a search is one BLAS product per block of rows
  and the numba top-k of ``tasks/_kernels_topk.py`` (memory: the rows plus one (queries x
  block) score block, 128 MiB at most);
- ``"hnsw"``: a hierarchical navigable small-world graph by hnswlib (chosen over faiss's
  ``IndexHNSWFlat`` by measurement: the same recall at a higher query rate here, and removal
  by tombstones; see docs/benchmarks.md);
- ``"ivf"``: faiss's inverted file, flat (``IndexIVFFlat``) or product-quantized
  (``IndexIVFPQ``, ``pq_m`` sub-quantizers of 8 bits), trained by k-means on the first rows
  added;

with ``add(ids, vectors)``, ``remove(ids)``, ``search(queries, k) -> SearchResult(ids,
scores)``, ``save(folder)`` and ``VectorIndex.load(folder)``. Ids are the caller's: all
integers or all strings (words, document names). Scores are higher-is-better for every
metric: the inner product, the cosine (rows and queries unit-normalized), or for ``"l2"`` the
negative squared Euclidean distance.

A saved index is a folder: ``index.json`` (format version, kind, metric, parameters, the
encoder's identity, each file's size and sha256, checked as classifier and tagger folders
are, by ``tasks._folder.check_digests``) beside the library's own index file (or
``vectors.npy``) and ``ids.npy`` — pickle-free, checked before anything is read, written
atomically. An index records the identity of the encoder whose vectors it holds
(``encoder=``, from ``Encoder.identity()``); :meth:`VectorIndex.search_texts` refuses a
different encoder. What it leaves out: encoders (``vectors.encoder``, ``contextual``),
lexical scoring (``tasks.bm25``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embedlayer._atomic import atomic_folder, check_replaceable
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.tasks import _kernels_topk as K
from embedlayer.tasks._folder import check_digests, file_digest

__all__ = ["FORMAT_VERSION", "IndexKind", "Metric", "SearchResult", "VectorIndex"]

FORMAT_VERSION = 1
Metric = Literal["ip", "cosine", "l2"]
IndexKind = Literal["exact", "hnsw", "ivf"]
_METRICS = ("ip", "cosine", "l2")
_KINDS = ("exact", "hnsw", "ivf")
_META = "index.json"
_FILES = {"exact": "vectors.npy", "hnsw": "hnsw.bin", "ivf": "faiss.index"}
_TEXTS = "texts.jsonl"
_ALLOWED = frozenset({_META, "ids.npy", _TEXTS, *_FILES.values()})
_BLOCK_SCORES = 1 << 25  # floats in one (queries x rows) score block: 128 MiB
_QUERY_BLOCK = 4096
_ADD_CHUNK = 1 << 16
_HNSW_DEFAULTS = {"m": 16, "ef_construction": 200, "ef_search": 64, "seed": 100}
_IVF_DEFAULTS = {"nlist": None, "nprobe": 16, "pq_m": None, "seed": 1234}


@dataclass(frozen=True)
class SearchResult:
    """Top-k answers for Q queries, best first: ``ids`` (Q, k) of the caller's ids (int64 or
    str), ``scores`` (Q, k) float32, higher = closer, and ``texts`` (Q lists of k) when the
    rows were added with their texts."""

    ids: np.ndarray
    scores: np.ndarray
    texts: list[list[str | None]] | None = None

    def pairs(self, row: int = 0) -> list[tuple[Any, float]]:
        """``[(id, score), ...]`` of query ``row``, as plain Python values."""
        return [(i.item() if hasattr(i, "item") else i, float(s))
                for i, s in zip(self.ids[row], self.scores[row], strict=True)]


def _threads(workers: int | None) -> int:
    if workers is None or workers == 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    if workers < 0:
        raise ConfigError(f"workers must be >= 0 (0 = every core), got {workers}")
    return workers


def _import(name: str) -> Any:
    try:
        if name == "faiss":
            import faiss
            return faiss
        import hnswlib
        return hnswlib
    except ImportError:
        raise ConfigError(f"this index kind needs {name}: pip install 'embedlayer[search]'"
                          ) from None


class VectorIndex:
    """Nearest-neighbour search over float32 rows with external ids.

    >>> index = VectorIndex(dim=100, metric="cosine")                    # doctest: +SKIP
    >>> index.add(["cat", "dog"], vectors)                               # doctest: +SKIP
    >>> index.search(query_vectors, k=1).ids                             # doctest: +SKIP

    ``kind``: ``"exact"`` (default), ``"hnsw"`` (``m`` 16, ``ef_construction`` 200,
    ``ef_search`` 64, ``seed``) or ``"ivf"`` (``nlist``: lists, default ``4 * sqrt(rows)``
    and at most ``rows / 39``, fixed when the first add trains them; ``nprobe``: lists
    visited per query, 16; ``pq_m``: product-quantize the rows into that many bytes each,
    default off — far less memory, lower recall; ``seed``). ``encoder``: the ``identity()`` of the encoder that
    produced the vectors, stored and checked by :meth:`search_texts` and :meth:`check_encoder`.
    ``workers``: threads for building and searching (0 or None: every core).
    """

    def __init__(self, dim: int, *, metric: Metric = "cosine", kind: IndexKind = "exact",
                 encoder: dict[str, Any] | None = None, workers: int | None = None,
                 **params: Any) -> None:
        if not isinstance(dim, int | np.integer) or isinstance(dim, bool) or dim < 1:
            raise ConfigError(f"VectorIndex: dim must be a positive int, got {dim!r}")
        if metric not in _METRICS:
            raise ConfigError(f"VectorIndex: metric must be one of {', '.join(_METRICS)}, got "
                              f"{metric!r}")
        if kind not in _KINDS:
            raise ConfigError(f"VectorIndex: kind must be one of {', '.join(_KINDS)}, got "
                              f"{kind!r}")
        defaults = {"exact": {}, "hnsw": _HNSW_DEFAULTS, "ivf": _IVF_DEFAULTS}[kind]
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise ConfigError(f"VectorIndex: unknown parameter(s) {', '.join(unknown)} for kind "
                              f"{kind!r} (known: {', '.join(defaults) or 'none'})")
        self.dim = int(dim)
        self.metric: Metric = metric
        self.kind: IndexKind = kind
        self.params: dict[str, Any] = {**defaults, **params}
        self._check_params()
        self.encoder = dict(encoder) if encoder is not None else None
        self.workers = _threads(workers)
        # slot s holds external id _slot_ids[s]; _alive[s] False once removed (ANN kinds keep
        # the slot as a tombstone, exact compacts). _slot_of maps an external id to its slot.
        self._slot_ids: list[Any] = []
        self._alive = np.zeros(0, dtype=bool)
        self._slot_of: dict[Any, int] = {}
        self._id_type: str | None = None  # "int" or "str" once the first id is seen
        self._rows = np.zeros((0, self.dim), dtype=np.float32)  # exact: the rows (capacity)
        self._count = 0  # exact: rows in use
        self._norms = np.zeros(0, dtype=np.float32)  # exact, l2: squared norms
        self._backend: Any = None
        self._table: np.ndarray | None = None  # _slot_ids as an array, built on first search
        self._texts: list[str | None] | None = None  # per slot, once any row came with text
        self.info: dict[str, Any] = {}  # the caller's JSON-able notes, saved with the index

    # --- parameters --------------------------------------------------------------------

    def _check_params(self) -> None:
        p = self.params
        for name in ("m", "ef_construction", "ef_search", "nprobe"):
            if name in p and (not isinstance(p[name], int) or p[name] < 1):
                raise ConfigError(f"VectorIndex: {name} must be a positive int, got {p[name]!r}")
        if p.get("nlist") is not None and (not isinstance(p["nlist"], int) or p["nlist"] < 1):
            raise ConfigError(f"VectorIndex: nlist must be a positive int, got {p['nlist']!r}")
        if p.get("pq_m") is not None and (not isinstance(p["pq_m"], int) or p["pq_m"] < 1
                                          or self.dim % p["pq_m"]):
            raise ConfigError(f"VectorIndex: pq_m must be a positive divisor of dim "
                              f"{self.dim}, got {p['pq_m']!r}")

    # --- size --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: Any) -> bool:
        return key in self._slot_of

    @property
    def ids(self) -> list[Any]:
        """The ids held, in the order they were added."""
        return [self._slot_ids[s] for s in np.flatnonzero(self._alive)]

    def __repr__(self) -> str:
        return (f"VectorIndex(kind={self.kind!r}, metric={self.metric!r}, dim={self.dim}, "
                f"rows={len(self)})")

    # --- adding and removing -------------------------------------------------------------

    def _check_ids(self, ids: Sequence[Any] | np.ndarray, n: int) -> list[Any]:
        if isinstance(ids, str | bytes):
            raise ConfigError("VectorIndex.add: ids must be a sequence (one id per row), got "
                              "one str")
        out = ids.tolist() if isinstance(ids, np.ndarray) else list(ids)
        if len(out) != n:
            raise ConfigError(f"VectorIndex.add: {len(out)} ids for {n} vectors")
        kinds = {"str" if isinstance(i, str) else
                 "int" if isinstance(i, int | np.integer) and not isinstance(i, bool) else
                 type(i).__name__ for i in out}
        if self._id_type is not None:
            kinds.add(self._id_type)
        if len(kinds) > 1 or not kinds <= {"int", "str"}:
            raise ConfigError(f"VectorIndex.add: ids must be all int or all str, got "
                              f"{', '.join(sorted(kinds))}")
        out = [int(i) for i in out] if kinds == {"int"} else out
        seen: set[Any] = set()
        for i in out:
            if i in self._slot_of or i in seen:
                raise ConfigError(f"VectorIndex.add: duplicate id {i!r} (ids must be unique; "
                                  f"remove it first to replace its vector)")
            seen.add(i)
        if out:
            self._id_type = kinds.pop()
        return out

    def _check_vectors(self, vectors: Any, where: str) -> np.ndarray:
        arr = np.asarray(vectors)
        if arr.ndim == 1 and arr.size == self.dim:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise ConfigError(f"VectorIndex.{where}: expected vectors of dimension {self.dim} "
                              f"((n, {self.dim})), got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise ConfigError(f"VectorIndex.{where}: expected real numbers, got {arr.dtype}")
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        bad = ~np.isfinite(arr).all(axis=1)
        if bad.any():
            raise ConfigError(f"VectorIndex.{where}: row {int(np.flatnonzero(bad)[0])} holds "
                              f"NaN or infinity ({int(bad.sum())} such rows)")
        if self.metric == "cosine":  # a new array: the caller's is never changed
            norms = np.linalg.norm(arr, axis=1, keepdims=True)
            arr = np.divide(arr, norms, out=np.zeros_like(arr), where=norms > 0)
        return arr

    def add(self, ids: Sequence[Any] | np.ndarray, vectors: Any,
            texts: Sequence[str] | None = None, *, progress: bool = False) -> None:
        """Add rows: ``ids`` (n,) ints or strs, new to the index; ``vectors`` (n, dim), finite;
        ``texts``: what each row stands for, returned with search results and saved.
        ``progress``: a progress bar (rows are added in chunks)."""
        arr = self._check_vectors(vectors, "add")
        keys = self._check_ids(ids, arr.shape[0])
        if texts is not None:
            texts = list(texts)
            if len(texts) != len(keys) or not all(isinstance(t, str) for t in texts):
                raise ConfigError(f"VectorIndex.add: texts must be {len(keys)} strs, one per "
                                  f"row")
        if not keys:
            return
        first = len(self._slot_ids)
        from embedlayer._progress import progress_bar

        with progress_bar(total=arr.shape[0], desc=f"index ({self.kind})", unit="row",
                          enabled=progress) as bar:
            if self.kind == "ivf":
                _import("faiss").omp_set_num_threads(self.workers)
                if self._backend is None:
                    self._train_ivf(arr)
            for start in range(0, arr.shape[0], _ADD_CHUNK):
                chunk = arr[start:start + _ADD_CHUNK]
                if self.kind == "exact":
                    self._add_exact(chunk)
                elif self.kind == "hnsw":
                    self._add_hnsw(chunk, first + start)
                else:
                    self._backend.add_with_ids(chunk, np.arange(
                        first + start, first + start + chunk.shape[0], dtype=np.int64))
                bar.update(chunk.shape[0])
        self._slot_ids.extend(keys)
        self._table = None
        if texts is not None and self._texts is None:
            self._texts = [None] * first
        if self._texts is not None:
            self._texts.extend(texts if texts is not None else [None] * len(keys))
        self._alive = np.concatenate([self._alive, np.ones(len(keys), dtype=bool)])
        for offset, key in enumerate(keys):
            self._slot_of[key] = first + offset

    def _add_exact(self, arr: np.ndarray) -> None:
        need = self._count + arr.shape[0]
        if need > self._rows.shape[0] or not self._rows.flags.writeable:
            grown = np.empty((max(need, int(self._rows.shape[0] * 1.5)), self.dim), np.float32)
            grown[:self._count] = self._rows[:self._count]
            self._rows = grown
        self._rows[self._count:need] = arr
        if self.metric == "l2":
            self._norms = np.concatenate([self._norms[:self._count],
                                          np.einsum("ij,ij->i", arr, arr)])
        self._count = need

    def _add_hnsw(self, arr: np.ndarray, first: int) -> None:
        hnswlib = _import("hnswlib")
        if self._backend is None:
            self._backend = hnswlib.Index(space="l2" if self.metric == "l2" else "ip",
                                          dim=self.dim)
            self._backend.init_index(max_elements=max(arr.shape[0], 1024),
                                     ef_construction=self.params["ef_construction"],
                                     M=self.params["m"], random_seed=self.params["seed"])
        need = first + arr.shape[0]
        if need > self._backend.get_max_elements():
            self._backend.resize_index(max(need, int(self._backend.get_max_elements() * 1.5)))
        labels = np.arange(first, need, dtype=np.int64)
        self._backend.add_items(arr, labels, num_threads=self.workers)

    def _faiss_metric(self, faiss: Any) -> int:
        return faiss.METRIC_L2 if self.metric == "l2" else faiss.METRIC_INNER_PRODUCT

    def _train_ivf(self, arr: np.ndarray) -> None:
        faiss = _import("faiss")
        faiss.omp_set_num_threads(self.workers)
        # faiss wants 39 training rows a list; 4 sqrt(n) lists is its usual advice
        nlist = self.params["nlist"] or max(1, min(int(4 * math.sqrt(arr.shape[0])),
                                                   arr.shape[0] // 39))
        if arr.shape[0] < nlist:
            raise ConfigError(f"VectorIndex(kind='ivf'): the first add trains {nlist} lists "
                              f"and needs at least {nlist} rows, got {arr.shape[0]} (add "
                              f"more rows at once, or set nlist)")
        quantizer = (faiss.IndexFlatL2(self.dim) if self.metric == "l2"
                     else faiss.IndexFlatIP(self.dim))
        if self.params["pq_m"]:
            index = faiss.IndexIVFPQ(quantizer, self.dim, nlist, self.params["pq_m"], 8,
                                     self._faiss_metric(faiss))
        else:
            index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, self._faiss_metric(faiss))
        index.cp.seed = self.params["seed"]
        index.train(arr)
        self.params["nlist"] = nlist
        self._backend = index
        self._quantizer = quantizer  # the IVF index does not own it from Python

    def remove(self, ids: Sequence[Any] | np.ndarray) -> None:
        """Remove rows by id; an id the index does not hold is an error (nothing is removed)."""
        keys = ids.tolist() if isinstance(ids, np.ndarray) else list(ids)
        missing = [k for k in keys if k not in self._slot_of]
        if missing:
            raise ConfigError(f"VectorIndex.remove: id {missing[0]!r} is not in the index "
                              f"({len(missing)} missing)")
        if len(set(keys)) != len(keys):
            raise ConfigError("VectorIndex.remove: an id is listed twice")
        slots = np.array([self._slot_of.pop(k) for k in keys], dtype=np.int64)
        if not slots.size:
            return
        self._alive[slots] = False
        if self.kind == "exact":
            self._compact()
        elif self.kind == "hnsw":
            for s in slots:
                self._backend.mark_deleted(int(s))
        else:
            faiss = _import("faiss")
            self._backend.remove_ids(faiss.IDSelectorBatch(slots))

    def _compact(self) -> None:
        """Exact kind: drop removed rows so slots are row numbers again."""
        keep = np.flatnonzero(self._alive)
        self._rows = np.ascontiguousarray(self._rows[:self._count][keep])
        if self.metric == "l2":
            self._norms = self._norms[keep]
        self._count = keep.size
        self._slot_ids = [self._slot_ids[s] for s in keep]
        self._table = None
        if self._texts is not None:
            self._texts = [self._texts[s] for s in keep]
        self._alive = np.ones(keep.size, dtype=bool)
        self._slot_of = {key: s for s, key in enumerate(self._slot_ids)}

    # --- search ------------------------------------------------------------------------

    def search(self, queries: Any, k: int = 10) -> SearchResult:
        """The ``k`` nearest rows of each query ((Q, dim) or (dim,)), best first."""
        if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
            raise ConfigError(f"VectorIndex.search: k must be a positive int, got {k!r}")
        if len(self) == 0:
            raise ConfigError("VectorIndex.search: the index is empty (add vectors first)")
        if k > len(self):
            raise ConfigError(f"VectorIndex.search: k={k} is larger than the index "
                              f"({len(self)} rows)")
        q = self._check_vectors(queries, "search")
        if self.kind == "exact":
            scores, slots = self._search_exact(q, int(k))
        elif self.kind == "hnsw":
            scores, slots = self._search_hnsw(q, int(k))
        else:
            scores, slots = self._search_ivf(q, int(k))
        texts = None
        if self._texts is not None:
            texts = [[self._texts[s] if s >= 0 else None for s in row] for row in slots.tolist()]
        return SearchResult(self._external(slots), scores, texts)

    def _external(self, slots: np.ndarray) -> np.ndarray:
        if self._table is None:
            self._table = np.asarray(self._slot_ids,
                                     dtype=np.int64 if self._id_type == "int" else str)
        table = self._table
        out = np.full(slots.shape, -1 if self._id_type == "int" else "", dtype=table.dtype)
        found = slots >= 0
        out[found] = table[slots[found]]
        return out

    def _search_exact(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self._rows[:self._count]
        n = rows.shape[0]
        all_scores = np.empty((q.shape[0], k), dtype=np.float32)
        all_ids = np.empty((q.shape[0], k), dtype=np.int64)
        import numba

        old = numba.get_num_threads()
        numba.set_num_threads(min(self.workers, numba.config.NUMBA_NUM_THREADS))
        try:
            for qs in range(0, q.shape[0], _QUERY_BLOCK):
                qb = q[qs:qs + _QUERY_BLOCK]
                if self.metric == "l2":
                    qb = qb * 2.0  # score = 2 q.x - |x|^2, then - |q|^2 at the end
                width = int(min(n, max(4096, _BLOCK_SCORES // qb.shape[0])))
                buf = np.empty((qb.shape[0], width), dtype=np.float32)
                hs, hi = K.new_heaps(qb.shape[0], k)
                for start in range(0, n, width):
                    block = rows[start:start + width]
                    out = buf[:, :block.shape[0]]
                    np.matmul(qb, block.T, out=out)
                    if self.metric == "l2":
                        out -= self._norms[start:start + block.shape[0]]
                    K.heap_push_block(out, start, hs, hi)
                K.heap_sorted(hs, hi)
                if self.metric == "l2":
                    hs -= np.einsum("ij,ij->i", qb, qb)[:, None] / 4.0
                all_scores[qs:qs + qb.shape[0]] = hs
                all_ids[qs:qs + qb.shape[0]] = hi
        finally:
            numba.set_num_threads(old)
        return all_scores, all_ids

    def _search_hnsw(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        self._backend.set_ef(max(self.params["ef_search"], k))
        try:
            labels, dist = self._backend.knn_query(q, k=k, num_threads=self.workers)
        except RuntimeError as exc:  # too few reachable live rows for k
            raise ConfigError(f"VectorIndex.search: the HNSW graph could not return {k} rows "
                              f"({exc}); raise ef_search or lower k") from None
        dist = dist.astype(np.float32)
        scores = -dist if self.metric == "l2" else 1.0 - dist
        return scores, labels.astype(np.int64)

    def _search_ivf(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        faiss = _import("faiss")
        faiss.omp_set_num_threads(self.workers)
        self._backend.nprobe = min(self.params["nprobe"], self.params["nlist"])
        dist, labels = self._backend.search(q, k)
        scores = -dist if self.metric == "l2" else dist
        return scores.astype(np.float32), labels.astype(np.int64)

    # --- encoders ----------------------------------------------------------------------

    def check_encoder(self, encoder: Any) -> None:
        """``ConfigError`` unless ``encoder`` (an ``Encoder`` or its identity) is the one the
        index was built with. An index built without one accepts any encoder of its dim."""
        identity = encoder if isinstance(encoder, dict) else encoder.identity()
        if self.encoder is not None and identity != self.encoder:
            diff = sorted(k for k in set(identity) | set(self.encoder)
                          if identity.get(k) != self.encoder.get(k))
            raise ConfigError(f"this index holds vectors of another encoder (they differ in "
                              f"{', '.join(diff)}): encode queries with the index's encoder "
                              f"{_short(self.encoder)}, not {_short(identity)}")
        if not isinstance(encoder, dict) and encoder.dim != self.dim:
            raise ConfigError(f"the encoder gives {encoder.dim}-d vectors, the index holds "
                              f"{self.dim}-d rows")

    def search_texts(self, encoder: Any, texts: Sequence[str], k: int = 10) -> SearchResult:
        """Encode ``texts`` with ``encoder`` (checked against the index's) and search."""
        self.check_encoder(encoder)
        return self.search(encoder.encode(list(texts)), k)

    @classmethod
    def from_vectors(cls, store: Any, *, metric: Metric = "cosine", kind: IndexKind = "exact",
                     workers: int | None = None, **params: Any) -> VectorIndex:
        """An index over a ``VectorStore``'s rows, its words as ids (``Vectors`` neighbour
        queries take it as ``index=``)."""
        index = cls(store.dim, metric=metric, kind=kind, workers=workers, **params)
        index.add(list(store.vocab.tokens), np.asarray(store.matrix, dtype=np.float32))
        return index

    # --- saving ------------------------------------------------------------------------

    def save(self, folder: PathLike) -> Path:
        """Write the index into ``folder`` (created or replaced atomically; a folder holding
        other files is refused). Returns the folder."""
        folder = Path(folder)
        check_replaceable(folder, "VectorIndex.save", _ALLOWED)
        if self.kind == "exact":
            self._compact()
        data_name = _FILES[self.kind]
        with atomic_folder(folder, fmt="VectorIndex.save", allowed=_ALLOWED) as tmp:
            if self.kind == "exact":
                np.save(tmp / data_name, self._rows[:self._count], allow_pickle=False)
            elif self._backend is None:
                data_name = None
            elif self.kind == "hnsw":
                self._backend.save_index(str(tmp / data_name))
            else:
                _import("faiss").write_index(self._backend, str(tmp / data_name))
            slot_ids = (np.asarray(self._slot_ids, dtype=np.int64) if self._id_type == "int"
                        else np.asarray(self._slot_ids, dtype=str))
            np.save(tmp / "ids.npy", slot_ids, allow_pickle=False)
            if self._texts is not None:
                with open(tmp / _TEXTS, "w", encoding="utf-8") as fh:
                    for text in self._texts:
                        fh.write(json.dumps(text, ensure_ascii=False) + "\n")
            names = ["ids.npy", data_name, _TEXTS if self._texts is not None else None]
            files = {name: file_digest(tmp / name) for name in names if name}
            meta = {"format": "embedlayer-index", "format_version": FORMAT_VERSION,
                    "kind": self.kind, "metric": self.metric, "dim": self.dim,
                    "params": self.params, "encoder": self.encoder, "id_type": self._id_type,
                    "slots": len(self._slot_ids), "info": self.info,
                    "removed": [int(s) for s in np.flatnonzero(~self._alive)],
                    "files": files}
            (tmp / _META).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: PathLike, *, encoder: Any = None, workers: int | None = None,
             mmap: bool = True) -> VectorIndex:
        """Read a saved index; every file's size and sha256 are checked first. ``encoder``
        (an ``Encoder`` or identity): refuse an index built by another. ``mmap``: the exact
        kind's rows stay on disk (memory-mapped) until an ``add`` copies them."""
        folder = Path(folder)
        meta = _read_meta(folder)
        index = cls(meta["dim"], metric=meta["metric"], kind=meta["kind"],
                    encoder=meta["encoder"], workers=workers, **meta["params"])
        check_digests(folder, meta["files"], list(meta["files"]), meta=_META)
        slot_ids = np.load(folder / "ids.npy", allow_pickle=False)
        if slot_ids.ndim != 1 or slot_ids.shape[0] != meta["slots"]:
            raise FormatError(f"{folder / 'ids.npy'}: expected {meta['slots']} ids, got shape "
                              f"{slot_ids.shape}")
        index._slot_ids = slot_ids.tolist()
        index.info = meta.get("info") or {}
        if _TEXTS in meta["files"]:
            index._texts = _read_texts(folder / _TEXTS, len(index._slot_ids))
        index._id_type = meta["id_type"]
        index._alive = np.ones(len(index._slot_ids), dtype=bool)
        removed = np.asarray(meta["removed"], dtype=np.int64)
        index._alive[removed] = False
        index._slot_of = {index._slot_ids[s]: int(s) for s in np.flatnonzero(index._alive)}
        data = folder / _FILES[index.kind]
        if index.kind == "exact":
            rows = np.load(data, mmap_mode="r" if mmap else None, allow_pickle=False)
            if rows.dtype != np.float32 or rows.shape != (len(index._slot_ids), index.dim):
                raise FormatError(f"{data}: expected float32 rows of shape "
                                  f"({len(index._slot_ids)}, {index.dim}), got {rows.dtype} "
                                  f"{rows.shape}")
            index._rows, index._count = rows, rows.shape[0]
            if index.metric == "l2":
                index._norms = np.einsum("ij,ij->i", rows, rows)
        elif _FILES[index.kind] in meta["files"]:
            index._backend = _read_backend(index, data)
        return index

    @staticmethod
    def describe(folder: PathLike) -> dict[str, Any]:
        """The saved index's metadata (``index.json``), checked but without loading rows."""
        return _read_meta(Path(folder))


def _short(identity: dict[str, Any]) -> str:
    keys = ("kind", "model", "method", "pooling", "dim")
    return "{" + ", ".join(f"{k}={identity[k]!r}" for k in keys if k in identity) + "}"


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / _META
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such index folder")
    if not path.is_file():
        raise MissingFileError(f"{folder}: not an index folder (no {_META})")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != "embedlayer-index":
        raise FormatError(f"{path}: not an embedlayer index (format {meta.get('format')!r})"
                          if isinstance(meta, dict) else f"{path}: expected a JSON object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise FormatError(f"{path}: format_version {meta.get('format_version')!r}, this "
                          f"embedlayer reads {FORMAT_VERSION}")
    need = {"kind": str, "metric": str, "dim": int, "params": dict, "id_type": (str, type(None)),
            "slots": int, "removed": list, "files": dict}
    for key, typ in need.items():
        if not isinstance(meta.get(key), typ):
            raise FormatError(f"{path}: field {key!r} missing or of the wrong type")
    if meta["kind"] not in _KINDS or meta["metric"] not in _METRICS:
        raise FormatError(f"{path}: unknown kind {meta['kind']!r} or metric {meta['metric']!r}")
    allowed = {"ids.npy", _TEXTS, _FILES[meta["kind"]]}
    if not set(meta["files"]) <= allowed or "ids.npy" not in meta["files"]:
        raise FormatError(f"{path}: field 'files' must list ids.npy (and "
                          f"{_FILES[meta['kind']]}), got {sorted(meta['files'])}")
    return meta


def _read_texts(path: Path, n: int) -> list[str | None]:
    texts: list[str | None] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                text = json.loads(line)
            except json.JSONDecodeError:
                raise FormatError(f"{path}: line {lineno}: not a JSON string") from None
            if text is not None and not isinstance(text, str):
                raise FormatError(f"{path}: line {lineno}: expected a JSON string or null")
            texts.append(text)
    if len(texts) != n:
        raise FormatError(f"{path}: {len(texts)} texts for {n} rows")
    return texts


def _read_backend(index: VectorIndex, path: Path) -> Any:
    if index.kind == "hnsw":
        hnswlib = _import("hnswlib")
        backend = hnswlib.Index(space="l2" if index.metric == "l2" else "ip", dim=index.dim)
        try:
            backend.load_index(str(path))
        except RuntimeError as exc:
            raise FormatError(f"{path}: hnswlib could not read it ({exc})") from None
        return backend
    faiss = _import("faiss")
    try:
        backend = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise FormatError(f"{path}: faiss could not read it ({str(exc).splitlines()[0]})"
                          ) from None
    if backend.d != index.dim or backend.ntotal != len(index):
        raise FormatError(f"{path}: holds {backend.ntotal} rows of dim {backend.d}, expected "
                          f"{len(index)} of dim {index.dim}")
    return backend
