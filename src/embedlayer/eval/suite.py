"""Running a suite of intrinsic evaluations over several vector sets, side by side.

What it holds: the standard suite's dataset names and ``run_suite``, which evaluates every
store on every dataset and returns an ``EvalReport`` (rendering lives in ``eval/report.py``).
Each dataset entry records where it came from and its sha256, so two reports can be
checked to be comparable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedlayer._types import PathLike
from embedlayer.data.readers import resolve_benchmark
from embedlayer.errors import ChecksumError
from embedlayer.eval.analogy import AnalogyResult, evaluate_analogies
from embedlayer.eval.docsim import DocSimResult, evaluate_lee, load_lee
from embedlayer.eval.wordsim import OOVPairPolicy, WordSimResult, evaluate_word_pairs
from embedlayer.vectors.query import AnalogyMethod

__all__ = ["STANDARD_ANALOGY", "STANDARD_WORDSIM", "EvalReport", "StoreReport", "run_suite"]

STANDARD_WORDSIM = ("ws353-all", "ws353-rel", "ws353-sim", "simlex999", "men3k", "mc30", "rg65",
                    "mturk287")
STANDARD_ANALOGY = ("google-analogy",)

Result = WordSimResult | AnalogyResult | DocSimResult


@dataclass
class StoreReport:
    name: str
    size: int
    dim: int
    wordsim: list[WordSimResult] = field(default_factory=list)
    analogy: list[AnalogyResult] = field(default_factory=list)
    docsim: list[DocSimResult] = field(default_factory=list)


@dataclass
class EvalReport:
    """Every result of ``run_suite`` for every named vector store, ready for JSON, Markdown or a plot."""

    stores: list[StoreReport]
    # dataset -> {"path", "sha256", "registered", "verified" (sha256 equal to the registry's)}
    datasets: dict[str, dict[str, Any]]
    settings: dict[str, Any]


def _fingerprint(spec: PathLike, *, progress: bool = True) -> tuple[str, dict[str, Any]]:
    """The dataset's display name and where it came from (path, sha256 of every file).

    A registered dataset's files are checked against the registry's sha256 before any
    score is computed on them: a changed or different copy is refused (``ChecksumError``),
    so a report never calls "registered" numbers that were computed on other data.
    """
    path = resolve_benchmark(spec, progress=progress)
    registered = not Path(spec).exists()
    name = str(spec) if registered else path.stem
    if registered:
        from embedlayer.data import verify

        check = verify(name, progress=False).datasets[0]
        for f in check.problems:
            got = f"has sha256 {f.actual}" if f.actual else "is missing"
            raise ChecksumError(f"dataset {name!r}: {f.local or f.path} {got}, but the registry "
                                f"expects {f.expected}: a changed or different copy, refused "
                                f"for evaluation; check it with `embedlayer data verify {name}`")
        digests = {Path(f.path).name: f.expected for f in check.files}
        return name, {"path": str(path), "registered": True, "verified": True, "sha256": digests}
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digests = {}
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digests[f.name] = h.hexdigest()
    return name, {"path": str(path), "registered": False, "verified": False, "sha256": digests}


def run_suite(
    stores: Mapping[str, Any],
    *,
    wordsim: Sequence[PathLike] = STANDARD_WORDSIM,
    analogy: Sequence[PathLike] = STANDARD_ANALOGY,
    docsim: bool = True,
    oov: OOVPairPolicy = "skip",
    restrict_vocab: int | None = 30_000,
    method: AnalogyMethod = "3cosadd",
    case_insensitive: bool = True,
    progress: bool = True,
) -> EvalReport:
    """Evaluate every store on every dataset; ``restrict_vocab`` applies to analogies.

    Every dataset is resolved (and, if registered but not local, downloaded, with a progress
    bar unless ``progress=False``) and verified before any store is scored.

    Word similarity uses all rows (``restrict_vocab`` there would only lower coverage), as
    gensim's default of 300,000 does for typical vocabularies.
    """
    datasets: dict[str, dict[str, Any]] = {}
    names_ws = []
    for spec in wordsim:
        name, info = _fingerprint(spec, progress=progress)
        datasets[name] = info
        names_ws.append((name, Path(info["path"])))  # resolved once, here
    names_an = []
    for spec in analogy:
        name, info = _fingerprint(spec, progress=progress)
        datasets[name] = info
        names_an.append((name, Path(info["path"])))
    lee = None
    if docsim:
        datasets["lee-docsim"] = _fingerprint("lee-docsim", progress=progress)[1]
        lee = load_lee(progress=progress)
    reports = []
    for store_name, store in stores.items():
        rep = StoreReport(store_name, len(store), store.dim)
        for name, spec in names_ws:
            res = evaluate_word_pairs(store, spec, oov=oov, case_insensitive=case_insensitive)
            rep.wordsim.append(_renamed(res, name))
        for name, spec in names_an:
            res = evaluate_analogies(store, spec, method=method, restrict_vocab=restrict_vocab,
                                     case_insensitive=case_insensitive)
            rep.analogy.append(_renamed(res, name))
        if docsim:
            rep.docsim.append(evaluate_lee(store, docsim=lee))
        reports.append(rep)
    settings = {"oov": oov, "restrict_vocab": restrict_vocab, "method": method,
                "case_insensitive": case_insensitive}
    return EvalReport(reports, datasets, settings)


def _renamed(result: Any, name: str) -> Any:
    from dataclasses import replace

    return replace(result, dataset=name)
