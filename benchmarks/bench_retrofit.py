"""Retrofitting (Faruqui et al. 2015) this project's skip-gram and GloVe vectors to PPDB and
WordNet: word similarity and analogies before and after, lexicon reading and kernel time.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_retrofit.py
      [--repeats 3] [--quick]
(needs WordNet 3.0: Debian's wordnet-base, and the knowledge extra's NLTK). The first run
trains and caches the two vector sets (skip-gram: bench_classify's ``W2V``, the same cached
folder; GloVe: bench_glove.py's settings with its learning rate 0.15 and W + 0.5 C, seed 1;
both on all of corpora/en, lower-cased regex tokens), about 10 min on 2 cores; later runs take
about 2 min. Prints Markdown for docs/benchmarks.md, headed by the exact command line.
``--quick`` is a smoke test (PPDB and WordNet synonyms on the skip-gram vectors only, one
repeat).

Settings are Faruqui et al.'s, fixed before any test pair was seen: 10 iterations, alpha 1,
beta 1 / degree, unit-normalized input, lexicon words lower-cased (our vectors are lower-cased
too); nothing is tuned. Lexicons: ``ppdb`` (PPDB-XL as shipped with their tool), ``wn-syn``
(WordNet synonyms), ``wn-all`` (synonyms + hypernyms + hyponyms, their "WN_all"), and
``wn-syn+ant`` (synonyms with our antonym repulsion, weight 0.5, margin 0: an extra, not in
the paper). Multiword lemmas are dropped (our vectors have no phrases).

Measures: Spearman on WS-353 (all), SimLex-999, MEN-3k and RG-65 with the pairs used (both
words known; unknown pairs skipped, the same before and after: retrofitting keeps the
vocabulary), and 3CosAdd accuracy on the Google analogies over the top 30k words. Times:
reading each lexicon from scratch (WordNet: NLTK's reader opened and every synset read again,
caches cleared), the retrofitting call (graph over the vocabulary + 10 sweeps; median of
``--repeats`` after one warm-up that compiles the kernel) and one sweep of the numba kernel
against its numpy reference (same graph, same start). The load average (1 min) is recorded:
the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_word2vec import command_line  # noqa: E402

WORDSIM = {"WS-353": "ws353-all", "SimLex-999": "simlex999", "MEN": "men3k", "RG-65": "rg65"}
# bench_glove.py's trainer settings (its SETTINGS and its defaults for the options).
GLOVE = {"dim": 100, "window": 10, "epochs": 15, "x_max": 10.0, "alpha": 0.75,
         "min_count": 5, "workers": 2, "output": "word+context", "context_weight": 0.5,
         "learning_rate": 0.15, "sample": 0.0, "seed": 1}
# label -> (load_lexicon spec, WordNet relations, antonym repulsion)
LEXICONS = {
    "ppdb": ("ppdb", "synonyms", False),
    "wn-syn": ("wordnet", "synonyms", False),
    "wn-all": ("wordnet", "synonyms,hypernyms,hyponyms", False),
    "wn-syn+ant": ("wordnet", "synonyms", True),
}


def skipgram_vectors():
    from bench_classify import pretrained_vectors

    return pretrained_vectors(progress=False)


def glove_vectors():
    from _pretrained import cache_root, trained_vectors

    name = "glove-" + "-".join(f"{k}{v}" for k, v in GLOVE.items())
    return trained_vectors("glove", GLOVE, cache_root() / "bench-pretrained" / name,
                           progress=False)


def _load() -> float:
    return os.getloadavg()[0]


def read_lexicons(labels: list[str]) -> dict[str, tuple]:
    """label -> (lexicon, antonyms or None, seconds to read both from scratch)."""
    from embedlayer.data import lexicons

    out = {}
    for label in labels:
        spec, relations, with_antonyms = LEXICONS[label]
        lexicons._open_wordnet.cache_clear()
        lexicons._LINKS.clear()
        t0 = time.perf_counter()
        lex = lexicons.load_lexicon(spec, relations=relations)
        ant = lexicons.wordnet_lexicon("antonyms") if with_antonyms else None
        out[label] = (lex, ant, time.perf_counter() - t0)
    return out


def quality(store) -> dict[str, tuple[float, int, int]]:
    """measure -> (score, used, total): Spearman / pairs, or accuracy / answered questions."""
    from embedlayer.eval import evaluate_analogies, evaluate_word_pairs

    out = {}
    for label, name in WORDSIM.items():
        r = evaluate_word_pairs(store, name)
        out[label] = (r.spearman, r.scored, r.pairs)
    a = evaluate_analogies(store, "google-analogy", restrict_vocab=30_000)
    out["analogy"] = (a.accuracy, a.answered, a.questions)
    return out


def kernel_vs_reference(store, lexicon, repeats: int) -> tuple[float, float]:
    """Seconds of one sweep: numba kernel, numpy reference (medians over ``repeats``)."""
    import numpy as np

    from embedlayer.transform._kernels import retrofit_sweep
    from embedlayer.transform._reference import retrofit_sweep_reference
    from embedlayer.transform.retrofit import _edge_weights, lexicon_graph

    g = lexicon_graph(lexicon, store.vocab)
    q_hat = np.array(store.matrix, dtype=np.float32)
    q_hat /= np.maximum(np.linalg.norm(q_hat, axis=1, keepdims=True), 1e-12)
    w = _edge_weights(g, None)
    rows = np.flatnonzero(g.degrees > 0).astype(np.int64)
    empty = (np.zeros(len(store) + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))
    buf = np.empty(q_hat.shape[1], np.float64)
    fast, slow = [], []
    retrofit_sweep(q_hat.copy(), q_hat, rows, g.indptr, g.indices, w, 1.0, *empty, 0.0, buf)
    for _ in range(repeats):  # interleaved
        q = q_hat.copy()
        t0 = time.perf_counter()
        retrofit_sweep(q, q_hat, rows, g.indptr, g.indices, w, 1.0, *empty, 0.0, buf)
        fast.append(time.perf_counter() - t0)
        q2 = q_hat.copy()
        t0 = time.perf_counter()
        retrofit_sweep_reference(q2, q_hat, rows, g.indptr, g.indices, w, 1.0, *empty, 0.0)
        slow.append(time.perf_counter() - t0)
        assert np.allclose(q, q2, rtol=1e-4, atol=1e-5)
    return statistics.median(fast), statistics.median(slow)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats of each retrofit (default: 3, 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: skip-gram only, PPDB and WordNet synonyms")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    labels = ["ppdb", "wn-syn"] if args.quick else list(LEXICONS)
    from embedlayer.transform import lexicon_graph, retrofit

    load_start = _load()
    vector_sets = {"skip-gram": skipgram_vectors}
    if not args.quick:
        vector_sets["GloVe"] = glove_vectors
    stores = {name: make() for name, make in vector_sets.items()}
    lexicons = read_lexicons(labels)

    rows = []  # (vectors, lexicon, connected, edges, quality, seconds)
    for vname, store in stores.items():
        rows.append((vname, "(original)", 0, 0, quality(store), float("nan")))
        for label in labels:
            lex, ant, _ = lexicons[label]
            g = lexicon_graph(lex, store.vocab)
            retrofit(store, lex, antonyms=ant, iterations=1, progress=False)  # compile
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                out = retrofit(store, lex, antonyms=ant, progress=False)
                times.append(time.perf_counter() - t0)
            rows.append((vname, label, g.connected, g.num_edges, quality(out),
                         statistics.median(times)))
    first = next(iter(stores.values()))
    fast, slow = kernel_vs_reference(first, lexicons["ppdb"][0], repeats)
    load_end = _load()

    import nltk
    import numba

    print(f"`{command_line()}`\n")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python "
          f"{platform.python_version()}, numba {numba.__version__}, NLTK {nltk.__version__}, "
          f"{os.cpu_count()} CPUs (shared machine), load average {load_start:.1f} at the "
          f"start, {load_end:.1f} at the end; retrofitting: 10 iterations, alpha 1, "
          f"beta 1/degree, unit-normalized input; times are medians of {repeats}\n")
    for vname, store in stores.items():
        print(f"- {vname}: {len(store):,} words x {store.dim}")
    print()
    print("| lexicon | words | words with neighbours | edges | read s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label in labels:
        lex, ant, secs = lexicons[label]
        extra = f" (+ {ant.num_edges:,} antonym edges)" if ant is not None else ""
        heads = int((lex.degrees > 0).sum())
        print(f"| {label} | {len(lex):,} | {heads:,} | {lex.num_edges:,}{extra} | {secs:.1f} |")
    print()
    measures = [*WORDSIM, "analogy"]
    print("| vectors | lexicon | words retrofitted | edges used | "
          + " | ".join(m if m != "analogy" else "analogy 30k %" for m in measures)
          + " | retrofit s |")
    print("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in measures) + " | ---: |")
    base: dict[str, dict] = {}
    for vname, label, connected, edges, q, secs in rows:
        if label == "(original)":
            base[vname] = q
            cells = [f"{100 * q[m][0]:.1f}" if m == "analogy" else f"{q[m][0]:.3f}"
                     for m in measures]
            print(f"| {vname} | (original) | | | " + " | ".join(cells) + " | |")
            continue
        cells = []
        for m in measures:
            value, ref = q[m][0], base[vname][m][0]
            if m == "analogy":
                cells.append(f"{100 * value:.1f} ({100 * (value - ref):+.1f})")
            else:
                cells.append(f"{value:.3f} ({value - ref:+.3f})")
        print(f"| {vname} | {label} | {connected:,} | {edges:,} | " + " | ".join(cells)
              + f" | {secs:.2f} |")
    print()
    print("| vectors | " + " | ".join(f"{m} pairs used" for m in WORDSIM)
          + " | analogies answered |")
    print("| --- | " + " | ".join("---:" for _ in measures) + " |")
    for vname, q in base.items():
        print(f"| {vname} | " + " | ".join(f"{q[m][1]:,} / {q[m][2]:,}" for m in measures)
              + " |")
    print()
    vname = next(iter(stores))
    moving = lexicon_graph(lexicons["ppdb"][0], first.vocab).connected
    print(f"| one sweep, {vname} x ppdb | numba kernel s | numpy reference s | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| Gauss-Seidel over {moving:,} rows | {fast:.4f} | {slow:.3f} | "
          f"{slow / fast:.0f}x |")


if __name__ == "__main__":
    main()
