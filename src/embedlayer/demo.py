"""The demo pipeline: the project's founding story, end to end, on the default data.

A wiring module (layer L5 of DESIGN.md, beside ``cli/``): no algorithms, only calls into the
layers below. ``embedlayer demo`` (``cli/_demo.py``) parses its flags, calls
:func:`run_demo` and prints the closing lines. The stages:

1. vocabulary: resolve the English corpora through the data registry (local mirror, cache or
   a verified download), stream them through the regex tokenizer, count, build the
   vocabulary and print corpus statistics;
2. word vectors: train word2vec (skip-gram, negative sampling) on the same token stream;
3. evaluation: word similarity (WS-353, SimLex-999, MEN) and the Google analogies;
4. classifier: the founding Keras example, ``Embedding -> LSTM(64) -> Dense(1, sigmoid)``,
   on MR sentence polarity, its embedding initialized from those vectors (a row for every
   MR training word and every vector word; fixed for the first epoch, then fine-tuned),
   trained with Adam on a seeded, stratified 90% of MR (10% of that held out for early
   stopping) and evaluated on the other 10%: ``[loss, accuracy]`` as Keras prints it, then
   precision, recall and F1;
5. everything is saved in one pickle-free folder: ``vocab.tsv``, ``counts.tsv``,
   ``tokenizer.json``, ``vectors/`` (native format), ``eval.json``, ``classifier/`` (a
   ``TextClassifier`` folder) and ``demo.json`` (every number printed).

``DemoSettings.quick()`` (``--quick``) shrinks every stage (for tests and a first look); the
statistics stage and the output folder's layout stay the same.

The output folder is checked before any work (an existing one is refused unless ``force``,
and even then only a folder of the demo's own files is replaced), written beside its target
and renamed into place at the end, so an interrupted run leaves nothing half written.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer._atomic import atomic_folder, check_replaceable
from embedlayer.errors import ConfigError

__all__ = ["DEFAULT_CORPORA", "OUTPUTS", "DemoResult", "DemoSettings", "check_output",
           "run_demo"]

# The English corpora of the shared data set, in the order the demo reads them.
DEFAULT_CORPORA = (
    "brown", "movie-reviews", "abc", "state-union", "inaugural", "webtext", "genesis",
    "lee-background",
)
WORDSIM = ("ws353-all", "simlex999", "men3k")
ANALOGY = "google-analogy"


@dataclass(frozen=True)
class DemoSettings:
    """What the demo trains; ``quick()`` is the small version for tests."""

    min_count: int = 5  # vocabulary (and word2vec) min_count
    w2v_model: str = "skipgram"  # word2vec architecture
    dim: int = 100  # vector size
    w2v_epochs: int = 5  # passes of word2vec over the corpora
    workers: int = 2  # word2vec threads
    clf_workers: int = 1  # torch threads of the classifier: its batches of 32 short sentences
    # gain little from more, and on a busy machine extra threads mostly wait for each other
    clf_epochs: int = 10  # the founding example's epochs=10 (early stopping may end sooner)
    batch_size: int = 32  # ... and batch_size=32
    freeze: int = 1  # the embedding starts fixed for this many epochs, then is fine-tuned
    mr_limit: int | None = None  # use only this many MR sentences (None: all 10,662)
    analogy_vocab: int = 30_000  # analogies search the most frequent words only
    seed: int = 0

    @classmethod
    def quick(cls, min_count: int = 2, **overrides: Any) -> DemoSettings:
        return cls(min_count=min_count, w2v_model="cbow", dim=24, w2v_epochs=1, clf_epochs=2,
                   mr_limit=1_200, analogy_vocab=5_000, **overrides)

    def check(self) -> DemoSettings:
        for name in ("min_count", "workers", "clf_workers", "dim", "w2v_epochs", "clf_epochs",
                     "batch_size", "analogy_vocab"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"DemoSettings: {name} must be an int >= 1, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"DemoSettings: seed must be an int >= 0, got {self.seed!r}")
        return self


# What the demo writes into its folder: a folder holding only these may be replaced.
OUTPUT_FILES = frozenset({"vocab.tsv", "counts.tsv", "tokenizer.json", "eval.json", "demo.json"})
OUTPUT_FOLDERS = frozenset({"vectors", "classifier"})
OUTPUTS = OUTPUT_FILES | OUTPUT_FOLDERS


def check_output(output: Path, *, force: bool, hint: str = "force=True") -> None:
    """Refuse ``output`` before any work: it exists (unless ``force``), it is a file, or it is
    a folder holding something the demo did not write. ``hint`` names the override."""
    output = Path(output)
    if output.exists() and not output.is_dir():  # even --force never replaces a file
        raise ConfigError(f"{output} is a file; the demo writes a folder: choose another path")
    if output.exists() and not force:
        raise ConfigError(f"{output} exists; pass {hint} to replace it, or choose another "
                          "output folder")
    check_replaceable(output, "the demo", OUTPUT_FILES, OUTPUT_FOLDERS)
    parent = next((p for p in output.absolute().parents if p.exists()), None)
    if parent is not None and not os.access(parent, os.W_OK):
        raise ConfigError(f"{parent}: not writable; cannot create {output}")


@dataclass(frozen=True)
class CorpusRow:
    name: str
    lines: int
    tokens: int
    types: int


@dataclass
class DemoResult:
    """What ``run_demo`` measured and wrote: stage timings, vector, evaluation and classifier figures."""

    rows: list[CorpusRow]
    tokens: int
    types: int
    vocab_size: int
    coverage: float
    hapax: int
    zipf_slope: float
    seconds: float  # reading, tokenizing and counting
    output: Path
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    vectors: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    classifier: dict[str, Any] = field(default_factory=dict)


def _say(text: str) -> None:
    print(text, flush=True)


def run_demo(
    *, output: Path, corpora: tuple[str, ...] = DEFAULT_CORPORA,
    settings: DemoSettings = DemoSettings(), force: bool = False, progress: bool = True,
    log: Callable[[str], None] = _say, force_hint: str = "force=True",
) -> DemoResult:
    """Run the five stages, printing as it goes through ``log``; return every number.

    ``output`` is checked first (see :func:`check_output`; ``force_hint`` is how the refusal
    names the override) and appears only when every stage has succeeded.
    """
    settings.check()
    output = Path(output)
    check_output(output, force=force, hint=force_hint)
    with atomic_folder(output, fmt="the demo", allowed=OUTPUT_FILES,
                       folders=OUTPUT_FOLDERS) as work:
        result = _run_stages(work, corpora, settings, progress, log)
    result.output = output
    return result


def _run_stages(
    output: Path, corpora: tuple[str, ...], settings: DemoSettings, progress: bool,
    log: Callable[[str], None],
) -> DemoResult:
    from embedlayer import data
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import get_tokenizer
    from embedlayer.vocab import PAD, UNK, TokenCounter, save_counter, save_vocab

    tokenizer = get_tokenizer("regex", lowercase=True)
    total = TokenCounter()
    rows = []
    start = time.perf_counter()
    paths = []
    for name in corpora:
        path = data.path(name, progress=progress)
        paths.append(path)
        corpus = TextCorpus(path, progress=progress)
        counter = TokenCounter().update_many(tokenizer.tokenize_many(corpus))
        rows.append(CorpusRow(name, corpus.stats.lines, counter.tokens, len(counter)))
        total.merge(counter)
    seconds = time.perf_counter() - start
    vocab = total.to_vocab(min_count=settings.min_count, specials=[PAD, UNK])
    report = total.report(vocab)

    save_vocab(vocab, output / "vocab.tsv")
    save_counter(total, output / "counts.tsv")
    tokenizer.save(output / "tokenizer.json")

    counts = np.sort(np.fromiter(dict(total).values(), dtype=np.float64))[::-1]
    result = DemoResult(
        rows=rows, tokens=total.tokens, types=len(total), vocab_size=len(vocab),
        coverage=report.coverage, hapax=int((counts == 1).sum()),
        zipf_slope=_zipf_slope(counts), seconds=seconds, output=output,
    )
    result.stages["1 vocabulary"] = seconds
    _print_statistics(result, settings.min_count, log)

    vectors = _train_vectors(paths, tokenizer, settings, result, progress, log)
    _evaluate(vectors, settings, result, log)
    _classify(vectors, settings, result, progress, log)
    _write_summary(result, corpora, settings)
    return result


def _print_statistics(result: DemoResult, min_count: int, log: Callable[[str], None]) -> None:
    log("== 1/5 vocabulary ==")
    log(f"{'corpus':<16}{'lines':>10}{'tokens':>12}{'types':>10}")
    for row in result.rows:
        log(f"{row.name:<16}{row.lines:>10,}{row.tokens:>12,}{row.types:>10,}")
    log(f"{'all':<16}{sum(r.lines for r in result.rows):>10,}{result.tokens:>12,}"
        f"{result.types:>10,}")
    rate = result.tokens / result.seconds if result.seconds > 0 else float("inf")
    log(f"\nread, tokenized and counted in {result.seconds:.1f} s ({rate:,.0f} tokens/s)")
    log(f"hapax legomena: {result.hapax:,} types ({result.hapax / result.types:.1%} of types)")
    log(f"Zipf slope over the top 10,000 ranks: {result.zipf_slope:.2f}")
    log(f"vocabulary at min_count {min_count}: {result.vocab_size:,} tokens "
        f"(with <pad>, <unk>), covering {result.coverage:.2%} of running tokens")


def _train_vectors(paths: list[Path], tokenizer: Any, settings: DemoSettings,
                   result: DemoResult, progress: bool, log: Callable[[str], None]) -> Any:
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream
    from embedlayer.train import Word2Vec
    from embedlayer.vectors.io import save_vectors

    log(f"\n== 2/5 word vectors: word2vec {settings.w2v_model}, negative sampling, "
        f"{settings.dim} dims, {settings.w2v_epochs} epoch(s) ==")
    start = time.perf_counter()
    model = Word2Vec(model=settings.w2v_model, dim=settings.dim, epochs=settings.w2v_epochs,
                     min_count=settings.min_count, workers=settings.workers, seed=1)
    model.fit(TokenStream(TextCorpus(paths), tokenizer), progress=progress)
    seconds = time.perf_counter() - start
    vectors = model.vectors_
    save_vectors(vectors, result.output / "vectors", format="native")
    train_s = sum(model.epoch_seconds_)
    result.stages["2 word vectors"] = seconds
    result.vectors = {"words": len(vectors), "dim": vectors.dim, "model": settings.w2v_model,
                      "epochs": settings.w2v_epochs, "train_seconds": train_s,
                      "tokens_per_second": model.tokens_per_second_ or None}
    log(f"{len(vectors):,} words x {vectors.dim} dims in {seconds:.1f} s "
        f"({model.tokens_per_second_:,.0f} tokens/s while training)")
    for word in ("good", "film", "king"):
        if word in vectors:
            near = ", ".join(w for w, _ in vectors.most_similar(word, topn=5))
            log(f"  nearest to {word!r}: {near}")
    return vectors


def _evaluate(vectors: Any, settings: DemoSettings, result: DemoResult,
              log: Callable[[str], None]) -> None:
    from embedlayer.eval import run_suite
    from embedlayer.eval.report import write_json

    log("\n== 3/5 evaluation: word similarity (Spearman) and analogies ==")
    start = time.perf_counter()
    report = run_suite({"demo": vectors}, wordsim=list(WORDSIM), analogy=[ANALOGY],
                       docsim=False, restrict_vocab=settings.analogy_vocab)
    write_json(report, result.output / "eval.json")
    store = report.stores[0]
    scores: dict[str, Any] = {}
    for ws in store.wordsim:
        scores[ws.dataset] = {"spearman": ws.spearman, "scored": ws.scored, "pairs": ws.pairs}
        log(f"{ws.dataset:<16} Spearman {ws.spearman:6.3f}   ({ws.scored:,} of {ws.pairs:,} "
            "pairs covered)")
    for an in store.analogy:
        acc = an.correct / an.answered if an.answered else math.nan
        scores[an.dataset] = {"accuracy": acc, "answered": an.answered,
                              "questions": an.questions}
        log(f"{an.dataset:<16} accuracy {acc:6.2%}   ({an.answered:,} of {an.questions:,} "
            f"questions answerable in the top {settings.analogy_vocab:,} words)")
    result.stages["3 evaluation"] = time.perf_counter() - start
    result.evaluation = scores


def _classify(vectors: Any, settings: DemoSettings, result: DemoResult, progress: bool,
              log: Callable[[str], None]) -> None:
    from embedlayer.data.classify import load_classification
    from embedlayer.tasks import TextClassifier, stratified_folds

    start = time.perf_counter()
    mr = load_classification("mr", progress=progress).train
    if settings.mr_limit is not None and settings.mr_limit < len(mr):
        rng = np.random.default_rng(settings.seed)
        mr = mr.select(np.sort(rng.permutation(len(mr))[:settings.mr_limit]))
    test_idx = stratified_folds(mr.labels, 10, seed=settings.seed)[0]  # a seeded 10%
    train = mr.select(np.setdiff1d(np.arange(len(mr)), test_idx))
    test = mr.select(test_idx)
    log("\n== 4/5 classifier: Embedding -> LSTM(64) -> Dense(1, sigmoid) on MR ==")
    log(f"{len(train):,} sentences to train on (10% of them held out for early stopping), "
        f"{len(test):,} to test; Adam, binary cross-entropy, epochs={settings.clf_epochs}, "
        f"batch_size={settings.batch_size}")
    clf = TextClassifier("lstm", vectors=vectors, freeze=settings.freeze, vocab_from_vectors=True,
                         epochs=settings.clf_epochs, batch_size=settings.batch_size,
                         seed=settings.seed, workers=settings.clf_workers)
    clf.fit(train.texts, train.labels, progress=progress)
    log(f"embedding: {clf.coverage_}")
    for r in clf.history_:
        log(f"  epoch {r.epoch:>2}: loss {r.loss:.4f} - accuracy {r.accuracy:.4f} - "
            f"val_loss {r.val_loss:.4f} - val_accuracy {r.val_accuracy:.4f}")
    log(f"kept epoch {clf.best_epoch_} (best held-out accuracy)")
    report = clf.evaluate(test.texts, test.labels)
    pos = report.labels.index("pos")
    log("\ntest [loss, accuracy]:")
    log(f"[{report.loss:.4f}, {report.accuracy:.4f}]")
    log(f"precision {report.precision[pos]:.4f}  recall {report.recall[pos]:.4f}  "
        f"F1 {report.f1[pos]:.4f}  (class 'pos'; macro-F1 {report.macro_f1:.4f})")
    clf.save(result.output / "classifier")
    result.stages["4 classifier"] = time.perf_counter() - start
    result.classifier = {"train": len(train), "test": len(test), "epochs_run": len(clf.history_),
                         "best_epoch": clf.best_epoch_, "coverage": clf.coverage_.rate,
                         "train_seconds": clf.train_seconds_, **report.to_dict()}


def _write_summary(result: DemoResult, corpora: tuple[str, ...],
                   settings: DemoSettings) -> None:
    from dataclasses import asdict

    from embedlayer._atomic import atomic_write

    doc = {
        "format": "embedlayer.demo-report", "format_version": 1,
        "corpora": list(corpora), "settings": asdict(settings),
        "statistics": {"rows": [asdict(r) for r in result.rows], "tokens": result.tokens,
                       "types": result.types, "vocab_size": result.vocab_size,
                       "coverage": result.coverage, "hapax": result.hapax,
                       "zipf_slope": result.zipf_slope},
        "vectors": result.vectors, "evaluation": result.evaluation,
        "classifier": result.classifier, "seconds": result.stages,
    }
    with atomic_write(result.output / "demo.json", "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1, allow_nan=False, default=_no_nan)
        fh.write("\n")


def _no_nan(value: Any) -> Any:  # pragma: no cover - numpy scalars only
    return value.item() if hasattr(value, "item") else str(value)


def _zipf_slope(counts_desc: np.ndarray, *, head: int = 10_000) -> float:
    """Slope of log(count) against log(rank) over the top ``head`` ranks (Zipf: about -1)."""
    n = min(head, counts_desc.size)
    if n < 2:
        return math.nan
    ranks = np.log(np.arange(1, n + 1))
    return float(np.polyfit(ranks, np.log(counts_desc[:n]), 1)[0])
