"""Cross-lingual mapping: bilingual lexicon induction (P@1/5/10) on held-out Swadesh pairs
(en-es) with English and Spanish vectors both trained by this project, and on gensim's EN/IT
toy vectors with their OPUS dictionary.

Run:  EMBEDLAYER_DATA=../shared/data .venv/bin/python benchmarks/bench_crosslingual.py
      [--tables es,it] [--quiet]
Prints the command line, the settings, each fold's fit time, and the Markdown tables for
docs/benchmarks.md.

Vectors. English: ``embedlayer.train.Word2Vec`` (skip-gram, negative sampling, dim 300,
window 5, min_count 3, 5 epochs, seed 1) on all of corpora/en/*.txt, lower-cased regex tokens:
bench_classify's vectors, trained once and cached. Spanish: the same trainer and tokenizer
(lower-cased regex tokens) on the Spanish text here, CESS-ESP (199K tokens) plus the
CoNLL-2002 Spanish sentences (train, testa, testb; the first column; 367K tokens): about
0.57M tokens, so min_count 2 (to cover more Swadesh words) and 20 epochs (it is small); the
rest as English. Trained once, cached under ``$EMBEDLAYER_CACHE/bench-crosslingual``.

Protocol. The en-es Swadesh pairs with both words in the vectors are dealt into 5 folds by
their English word (``split_folds``, seed 0); each fold's mapping is fitted without the
fold's words and scored on them: a word is correct at k when any of its gold Spanish words is
among its k best, over the whole Spanish vocabulary. Methods: Procrustes and least squares on
all the training pairs; self-learning (VecMap-style, Procrustes, mutual best matches by CSLS
among the 10,000 most frequent words of each side, at most 10 fits: a compute budget,
not a tuned value; the objective still rises by ~3e-4 a fit then, short of VecMap's 1e-6 stop) seeded by the identical
strings of both vocabularies only (numerals, names, punctuation; the fold's test words left
out), and by 5 training pairs drawn at random (seed: the fold); each of those seeds also
fitted once without self-learning (what self-learning starts from), and the supervised
dictionary refined by self-learning (MUSE's refinement). Every alignment is scored
with nearest-neighbour and with CSLS retrieval. All settings (``SETTINGS``) are fixed here
before any run and are the published defaults (unit-center-unit normalization, CSLS k=10,
VecMap's self-learning); none is chosen on the test folds. The OPUS table: gensim's 20-word
EN/IT vectors and their 20 OPUS pairs, the same 5-fold protocol (4 test words a fold), with
gensim's own setup (unit length only, least squares) as the first row.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Fixed before any run; the literature's defaults (MUSE, VecMap), never tuned on test folds.
SETTINGS = {
    "normalize": ("unit", "center", "unit"),
    "csls_k": 10,  # Conneau et al. 2018
    "folds": 5,
    "fold_seed": 0,
    "sl_vocab": 10_000,  # self-learning's dictionary induction among the most frequent words
    "sl_induction": "csls",
    "sl_max_iterations": 10,  # compute budget: 10K x 10K CSLS passes, ~5 s a fit here
    "seed_pairs": 5,
}
KS = (1, 5, 10)


def spanish_vectors(progress: bool = True):
    """Train (once) and load this project's skip-gram vectors of the Spanish text here."""
    from _pretrained import cache_root
    from bench_classify import W2V
    from embedlayer import data
    from embedlayer.corpus import ConllCorpus, TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer
    from embedlayer.train import Word2Vec
    from embedlayer.vectors.io import load_vectors

    settings = {**W2V, "min_count": 2, "epochs": 20}
    folder = cache_root() / "bench-crosslingual"
    path = folder / ("w2v-es-" + "-".join(f"{k}{v}" for k, v in settings.items()))
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        text = folder / "es-text.txt"
        with open(text, "w", encoding="utf-8") as out:
            with open(data.path("cess-esp", progress=progress), encoding="utf-8") as fh:
                out.writelines(fh)
            conll = [data.path("conll2002-esp", f"esp.{s}", progress=progress)
                     for s in ("train", "testa", "testb")]
            for sentence in ConllCorpus(conll, token_column=0):
                out.write(" ".join(sentence.tokens) + "\n")
        stream = TokenStream(TextCorpus([text]), get_tokenizer("regex", lowercase=True))
        t0 = time.perf_counter()
        model = Word2Vec(workers=2, **settings).fit(stream, progress=progress)
        print(f"trained {path.name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        model.save_vectors(path)
    return load_vectors(path, progress=False), settings


def _fits(src, tgt, *, with_self_learning: bool):
    """name -> fit(train, test) -> Alignment, for cross_validate_bli."""
    import numpy as np

    from embedlayer.transform import align, identical_pairs, self_learning

    norm = SETTINGS["normalize"]
    fits = {
        "Procrustes": lambda tr, te: align(src, tgt, tr, method="procrustes", normalize=norm),
        "least squares": lambda tr, te: align(src, tgt, tr, method="lstsq", normalize=norm),
    }
    if not with_self_learning:
        return fits
    sl = {"method": "procrustes", "normalize": norm, "vocab_size": SETTINGS["sl_vocab"],
          "max_iterations": SETTINGS["sl_max_iterations"], "induction": SETTINGS["sl_induction"],
          "csls_k": SETTINGS["csls_k"], "progress": False}
    log = []

    def identical(tr, te):
        seed = identical_pairs(src, tgt, exclude={s for s, _ in te})
        result = self_learning(src, tgt, seed, **sl)
        log.append(f"identical seed {len(seed)} pairs -> {result.iterations} fits, "
                   f"{len(result.pairs)} pairs induced")
        return result

    def five(tr, te):
        fold = len(log)
        picks = np.random.default_rng(fold).choice(len(tr), SETTINGS["seed_pairs"],
                                                   replace=False)
        result = self_learning(src, tgt, [tr[i] for i in picks], **sl)
        log.append(f"5 seed pairs -> {result.iterations} fits, {len(result.pairs)} pairs")
        return result

    def identical_once(tr, te):  # the seed alone: what self-learning starts from
        seed = identical_pairs(src, tgt, exclude={s for s, _ in te})
        return align(src, tgt, seed, method="procrustes", normalize=norm)

    def five_once(tr, te):
        fold = len(log)
        picks = np.random.default_rng(fold).choice(len(tr), SETTINGS["seed_pairs"],
                                                   replace=False)
        log.append("5 seed pairs, one fit")
        return align(src, tgt, [tr[i] for i in picks], method="procrustes", normalize=norm)

    def refined(tr, te):  # MUSE's refinement: supervised start, then self-learning
        result = self_learning(src, tgt, tr, **sl)
        log.append(f"all training pairs -> {result.iterations} fits, {len(result.pairs)} pairs")
        return result

    fits["identical strings only, Procrustes once (no self-learning)"] = identical_once
    fits["self-learning, identical strings only"] = identical
    fits["5 seed pairs, Procrustes once (no self-learning)"] = five_once
    fits["self-learning, 5 seed pairs"] = five
    fits["all training pairs, then self-learning"] = refined
    fits["_log"] = log  # type: ignore[assignment]
    return fits


def run_table(src, tgt, pairs, *, with_self_learning: bool, extra: dict | None = None,
              quiet: bool = False) -> list[tuple]:
    """Rows (method, retrieval, P@1, P@5, P@10, words scored, fit seconds a fold)."""
    from embedlayer.transform import cross_validate_bli

    fits = _fits(src, tgt, with_self_learning=with_self_learning)
    log = fits.pop("_log", [])
    fits = {**(extra or {}), **fits}
    rows = []
    for name, fit in fits.items():
        seconds = []

        def timed(tr, te, fit=fit, seconds=seconds):
            t0 = time.perf_counter()
            result = fit(tr, te)
            seconds.append(time.perf_counter() - t0)
            return result

        log.clear()
        t0 = time.perf_counter()
        cv = cross_validate_bli(src, tgt, pairs, timed, folds=SETTINGS["folds"],
                                seed=SETTINGS["fold_seed"], ks=KS, retrievals=("nn", "csls"),
                                csls_k=SETTINGS["csls_k"])
        if not quiet:
            print(f"  {name}: {time.perf_counter() - t0:.0f} s; fits "
                  f"{', '.join(f'{s:.1f}' for s in seconds)} s" +
                  (f"; {'; '.join(log)}" if log else ""), file=sys.stderr)
        for mode in ("nn", "csls"):
            p = cv[mode].precision
            rows.append((name, mode.upper() if mode == "nn" else "CSLS", p[1], p[5], p[10],
                         cv[mode].queries, sum(seconds) / len(seconds)))
    return rows


def print_rows(rows: list[tuple]) -> None:
    print("| mapping | retrieval | P@1 | P@5 | P@10 | words scored | fit s (per fold) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, mode, p1, p5, p10, n, sec in rows:
        print(f"| {name} | {mode} | {100 * p1:.1f} | {100 * p5:.1f} | {100 * p10:.1f} | "
              f"{n} | {sec:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", default="es,it",
                        help="which tables: es (Swadesh en-es), it (gensim EN/IT + OPUS) "
                             "(default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress (default: show)")
    args = parser.parse_args()
    tables = args.tables.split(",")
    print("$ " + shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"settings: {SETTINGS}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    t_all = time.perf_counter()

    from embedlayer import data
    from embedlayer.transform import dictionary_coverage, read_dictionary

    if "es" in tables:
        from bench_classify import W2V, pretrained_vectors

        en = pretrained_vectors(progress=not args.quiet)
        es, es_settings = spanish_vectors(progress=not args.quiet)
        print(f"English vectors: {len(en):,} x {en.dim} ({W2V}); Spanish: {len(es):,} x "
              f"{es.dim} ({es_settings})")
        pairs = read_dictionary(data.path("swadesh", "bilingual/swadesh/en-es.txt"))
        print(f"Swadesh en-es: {dictionary_coverage(pairs, en, es).describe()}")
        rows = run_table(en, es, pairs, with_self_learning=True, quiet=args.quiet)
        print("\n### Swadesh en-es, 5-fold cross-validation over the English words\n")
        print_rows(rows)

    if "it" in tables:
        from embedlayer.transform import align
        from embedlayer.vectors.io import load_vectors

        folder = data.path("formats", "formats/OPUS_en_it_europarl_train_one2ten.txt").parent
        en_it = load_vectors(folder / "EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt",
                             progress=False)
        it = load_vectors(folder / "IT.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt",
                          progress=False)
        pairs = read_dictionary(folder / "OPUS_en_it_europarl_train_one2ten.txt")
        print(f"\nOPUS en-it: {dictionary_coverage(pairs, en_it, it).describe()}")
        gensim_setup = {"least squares, gensim's setup (unit length only)":
                        lambda tr, te: align(en_it, it, tr, method="lstsq", normalize="unit")}
        rows = run_table(en_it, it, pairs, with_self_learning=False, extra=gensim_setup,
                         quiet=args.quiet)
        print("\n### gensim EN/IT toy vectors + OPUS pairs, 5-fold cross-validation\n")
        print_rows(rows)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; "
          f"{time.perf_counter() - t_all:.0f} s in all")


if __name__ == "__main__":
    main()
