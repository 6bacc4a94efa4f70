"""GloVe: counting vs brute force (with spills), kernels vs reference, the estimator, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError, VocabError
from embedlayer.train import GloVe, GloVeConfig
from embedlayer.train import _kernels_glove as K
from embedlayer.train._cooccur import RECORD, count_cooccurrences, shuffle_cooccurrences
from embedlayer.train._encode import encode_corpus
from embedlayer.train._reference_glove import (
    count_reference,
    subsample_reference,
    train_reference,
)
from embedlayer.vectors.io import load_vectors
from embedlayer.vocab import Vocab


def _random_corpus(n_sentences: int = 120, v: int = 25, seed: int = 0) -> list[list[str]]:
    """Zipf-ish tokens, sentences of 0 to 30 tokens (some empty, some single)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, v + 1)
    p /= p.sum()
    return [[f"w{t}" for t in rng.choice(v, size=rng.integers(0, 31), p=p)]
            for _ in range(n_sentences)]


def _encoded(tmp_path, sentences, v=25):
    vocab = Vocab([f"w{t}" for t in range(v)], unk_token=None)
    return encode_corpus(sentences, vocab, folder=tmp_path / "ids"), vocab


def _as_dict(cooc) -> dict[tuple[int, int], float]:
    rec = cooc.records()
    return {(int(r), int(c)): float(x) for r, c, x in zip(rec["row"], rec["col"], rec["val"],
                                                          strict=True)}


def _assert_same_counts(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for key, x in want.items():
        assert math.isclose(got[key], x, rel_tol=1e-12), (key, got[key], x)


# --- counting ------------------------------------------------------------------------------


@pytest.mark.parametrize(("symmetric", "weighting", "window"),
                         [(True, True, 3), (False, True, 5), (True, False, 1)])
def test_count_kernel_equals_brute_force_and_resumes(symmetric, weighting, window):
    rng = np.random.default_rng(3)
    v = 12
    ids = rng.integers(0, v, 300).astype(np.int32)
    bounds = np.array([0, 0, 1, 40, 41, 100, 230, 300], dtype=np.int64)  # empty, 1-token ones
    want = count_reference(ids, bounds, window=window, symmetric=symmetric,
                           distance_weighting=weighting)
    # A table too small for the whole corpus: the kernel stops, the test drains it, resumes.
    cap = 256
    keys = np.full(cap, K.EMPTY, np.int64)
    vals = np.zeros(cap)
    got: dict[tuple[int, int], float] = {}
    s, p, used, total, calls = 0, 0, 0, 0, 0
    while s < len(bounds) - 1:
        s, p, used, n = K.count_pairs(ids, bounds, s, p, window, symmetric, weighting, v, keys,
                                      vals, used, 40)
        total += n
        calls += 1
        for k, x in zip(keys[keys != K.EMPTY].tolist(), vals[keys != K.EMPTY].tolist(),
                        strict=True):
            got[divmod(k, v)] = got.get(divmod(k, v), 0.0) + x
        keys.fill(K.EMPTY)
        used = 0
    assert calls > 1
    _assert_same_counts(got, want)
    within = sum(min(window, q) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
                 for q in range(b - a))
    assert total == within  # one increment per (token, earlier token in the window)


def test_hand_counted_example(tmp_path):
    corpus, vocab = _encoded(tmp_path, [["w0", "w1", "w2"], ["w1", "w9", "w0"]], v=3)  # w9 OOV
    cooc = count_cooccurrences(corpus, 3, tmp_path / "c", window=2, budget_bytes=1 << 20,
                               progress=False)
    dense = cooc.to_dense()
    want = np.zeros((3, 3))
    want[0, 1] = want[1, 0] = 1.0 + 1.0  # w0 w1 (distance 1), then w1 _ w0 (1: OOV dropped)
    want[1, 2] = want[2, 1] = 1.0
    want[0, 2] = want[2, 0] = 0.5
    np.testing.assert_array_equal(dense, want)
    assert cooc.nonzero == 6 and cooc.updates == 4


@pytest.mark.parametrize(("budget", "workers", "spills"),
                         [(1 << 24, 1, False), (1 << 24, 2, False), (12_000, 1, True),
                          (12_000, 2, True)])
def test_counts_equal_brute_force_with_and_without_spilling(tmp_path, budget, workers, spills):
    sentences = _random_corpus(200, v=40)
    corpus, _ = _encoded(tmp_path, sentences, v=40)
    want = count_reference(np.asarray(corpus.ids), corpus.bounds, window=4)
    cooc = count_cooccurrences(corpus, 40, tmp_path / "c", window=4, budget_bytes=budget,
                               workers=workers, chunk_words=500, progress=False)
    assert (cooc.shards > workers) == spills  # a tiny budget spills several shards to disk
    assert cooc.nonzero == len(want)
    _assert_same_counts(_as_dict(cooc), want)
    rec = cooc.records()
    keys = rec["row"].astype(np.int64) * 40 + rec["col"]
    assert np.all(np.diff(keys) > 0)  # sorted, no duplicates
    assert not list((tmp_path / "c").glob("shard-*"))  # merged shards are deleted


def test_subsample_kernel_equals_reference_and_keeps_rare_words():
    sentences = _random_corpus(150, v=30, seed=3)
    vocab = Vocab([f"w{t}" for t in range(30)], unk_token=None)
    ids = np.array([int(t[1:]) for s in sentences for t in s], dtype=np.int32)
    bounds = np.cumsum([0] + [len(s) for s in sentences]).astype(np.int64)
    counts = np.bincount(ids, minlength=30)
    from embedlayer.vocab import keep_probabilities

    keep = keep_probabilities(counts, 0.02)
    assert keep[0] < 0.7 and keep[-1] == 1.0  # the frequent word is thinned, the rare kept
    want_ids, want_bounds = subsample_reference(ids, bounds, keep, 12345)
    got_ids, got_bounds = ids.copy(), bounds.copy()
    n = K.subsample_chunk(got_ids, got_bounds, keep, np.uint64(12345))
    np.testing.assert_array_equal(got_ids[:n], want_ids)
    np.testing.assert_array_equal(got_bounds, want_bounds)
    assert 0 < n < len(ids) and len(vocab) == 30


@pytest.mark.parametrize("workers", [1, 2])
def test_subsampled_counts_equal_brute_force_on_the_kept_tokens(tmp_path, workers):
    from embedlayer.train._runner import job_seed

    sentences = _random_corpus(200, v=40)
    corpus, _ = _encoded(tmp_path, sentences, v=40)
    keep = np.linspace(0.3, 1.0, 40)
    ids, bounds = np.asarray(corpus.ids), np.asarray(corpus.bounds)
    kept_ids, kept_bounds = [], [0]
    for k, (s0, s1) in enumerate(corpus.chunks(500)):  # the chunks count_cooccurrences uses
        b0 = int(bounds[s0])
        i, b = subsample_reference(ids[b0:int(bounds[s1])], bounds[s0:s1 + 1] - b0, keep,
                                   job_seed(9, 0, k))
        kept_ids.append(i)
        kept_bounds += list(b[1:] + kept_bounds[-1])
    want = count_reference(np.concatenate(kept_ids), np.array(kept_bounds), window=4)
    full = count_reference(ids, bounds, window=4)
    cooc = count_cooccurrences(corpus, 40, tmp_path / f"c{workers}", window=4,
                               budget_bytes=1 << 24, workers=workers, chunk_words=500,
                               keep=keep, seed=9, progress=False)
    _assert_same_counts(_as_dict(cooc), want)
    assert sum(want.values()) < sum(full.values())


def test_shuffle_is_a_seeded_permutation_in_memory_or_in_buckets(tmp_path):
    corpus, _ = _encoded(tmp_path, _random_corpus(200, v=40), v=40)
    cooc = count_cooccurrences(corpus, 40, tmp_path / "c", window=4, budget_bytes=1 << 20,
                               progress=False)
    sorted_rec = np.array(cooc.records())
    results = {}
    for budget in (1 << 20, 8_000):
        path, buckets = shuffle_cooccurrences(cooc, seed=5, budget_bytes=budget, progress=False)
        shuffled = np.load(path, allow_pickle=False)
        assert (buckets > 1) == (budget == 8_000)
        assert not np.array_equal(shuffled, sorted_rec)
        np.testing.assert_array_equal(np.sort(shuffled, order=["row", "col"]), sorted_rec)
        results[budget] = shuffled
    again, _ = shuffle_cooccurrences(cooc, seed=5, budget_bytes=8_000, progress=False)
    np.testing.assert_array_equal(np.load(again), results[8_000])
    assert not list((tmp_path / "c").glob("bucket-*"))


# --- training kernel -----------------------------------------------------------------------


def _triples(rows, cols, xs):
    """Read-only fields of a records array: what ``fit`` hands the kernel from ``shuffled.npy``
    (so the tests use the specialization training compiles, not a second one)."""
    rec = np.zeros(len(rows), dtype=RECORD)
    rec["row"], rec["col"], rec["val"] = rows, cols, xs
    rec.setflags(write=False)
    return rec["row"], rec["col"], rec["val"]



def _params(v: int, d: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((v, d)) * 0.3).astype(np.float32),
            (rng.standard_normal((v, d)) * 0.3).astype(np.float32),
            (rng.standard_normal(v) * 0.1).astype(np.float32),
            (rng.standard_normal(v) * 0.1).astype(np.float32),
            rng.uniform(1.0, 3.0, (v, d)).astype(np.float32),
            rng.uniform(1.0, 3.0, (v, d)).astype(np.float32),
            rng.uniform(1.0, 3.0, v).astype(np.float32),
            rng.uniform(1.0, 3.0, v).astype(np.float32)]


@pytest.mark.parametrize(("d", "eta", "clip"), [(8, 0.05, 100.0), (19, 0.3, 0.01)])
def test_train_kernel_equals_reference(d, eta, clip):
    rng = np.random.default_rng(2)
    v, n = 15, 400
    rows = rng.integers(0, v, n).astype(np.int32)
    cols = rng.integers(0, v, n).astype(np.int32)
    xs = rng.uniform(0.2, 30.0, n)  # both sides of x_max
    a, b = _params(v, d), _params(v, d)
    cost_k, skipped_k = K.train_block(*_triples(rows, cols, xs), *a, 10.0, 0.75, eta, clip)
    cost_r, skipped_r = train_reference(rows, cols, xs, *b, 10.0, 0.75, eta, clip)
    assert skipped_k == skipped_r == 0
    assert math.isclose(cost_k, cost_r, rel_tol=1e-4)
    for got, want in zip(a, b, strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-6)


def test_train_kernel_hand_derived_step():
    W = np.array([[1.0, 0.0]], np.float32)
    C = np.array([[0.5, 2.0]], np.float32)
    bw, bc = np.zeros(1, np.float32), np.zeros(1, np.float32)
    GW, GC = np.full((1, 2), 4.0, np.float32), np.ones((1, 2), np.float32)
    gbw, gbc = np.ones(1, np.float32), np.ones(1, np.float32)
    x = math.exp(0.25)  # log x = 0.25, x < x_max = 10: f = (x / 10)^0.5
    cost, _ = K.train_block(*_triples([0], [0], [x]),
                            W, C, bw, bc, GW, GC, gbw, gbc, 10.0, 0.5, 0.1, 100.0)
    f = math.sqrt(x / 10)
    diff = 0.5 - 0.25  # w . c + 0 + 0 - log x
    g = 0.1 * f * diff
    assert math.isclose(cost, 0.5 * f * diff * diff, rel_tol=1e-9)
    np.testing.assert_allclose(W[0], [1.0 - g * 0.5 / 2.0, 0.0 - g * 2.0 / 2.0], rtol=1e-5)
    np.testing.assert_allclose(C[0], [0.5 - g * 1.0, 2.0 - 0.0], rtol=1e-5)
    np.testing.assert_allclose(GW[0], [4.0 + (g * 0.5) ** 2, 4.0 + (g * 2.0) ** 2], rtol=1e-6)
    np.testing.assert_allclose([bw[0], gbw[0]], [-g, 1.0 + g * g], rtol=1e-5)


def test_train_kernel_skips_nonfinite_and_clips():
    W, C, bw, bc, GW, GC, gbw, gbc = _params(2, 4)
    before = W.copy()
    cost, skipped = K.train_block(*_triples([0], [1], [0.0]), W, C, bw, bc, GW, GC, gbw, gbc,
                                  10.0, 0.75, 0.05, 100.0)
    assert skipped == 1 and cost == 0.0  # log 0: glove.c skips the pair
    np.testing.assert_array_equal(W, before)
    W[:] = 1e3
    C[:] = 1e3  # a huge diff: each gradient component is clipped to +-grad_clip = 0.5,
    GW[:] = 1.0  # then scaled by eta = 0.05 (glove.c's order)
    K.train_block(*_triples([0], [1], [20.0]), W, C, bw, bc, GW, GC, gbw, gbc,
                  10.0, 0.75, 0.05, 0.5)
    np.testing.assert_allclose(W[0], 1e3 - 0.5 * 0.05, rtol=1e-6)
    np.testing.assert_allclose(GW[0], 1.0 + (0.5 * 0.05) ** 2, rtol=1e-6)


# --- the estimator -------------------------------------------------------------------------


def _two_topics(n_sentences: int = 400, seed: int = 0) -> list[list[str]]:
    """Sentences drawn from one of two disjoint word groups: neighbours are known."""
    rng = np.random.default_rng(seed)
    groups = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    return [list(rng.choice(groups[k % 2], size=10)) for k in range(n_sentences)]


CORPUS = _two_topics()
SMALL = {"dim": 16, "window": 5, "epochs": 25, "min_count": 1, "workers": 1, "seed": 7,
         "block": 64, "memory_mib": 512}


def test_neighbours_known_by_construction_and_loss_goes_down():
    glove = GloVe(**SMALL).fit(CORPUS, progress=False)
    v = glove.vectors_
    assert len(v) == 16 and v.dim == 16
    for word in ("a0", "a5", "b3"):
        top = [w for w, _ in v.most_similar(word, topn=5)]
        assert all(w[0] == word[0] for w in top), (word, top)
    losses = glove.loss_history_
    assert len(losses) == 25 and losses[-1] < 0.01 * losses[0]
    assert all(b < a for a, b in zip(losses[:7], losses[1:8], strict=True))  # then it levels
    assert glove.nonzero_pairs_ == 2 * 8 * 8  # every pair within a group, none across
    report = glove.cooccurrence_
    assert report.nonzero == glove.nonzero_pairs_ and report.shards == 1 and report.buckets == 1
    assert set(glove.timings_) == {"vocab", "encode", "count", "merge", "shuffle", "train"}


def test_one_worker_is_bit_for_bit_repeatable():
    a = GloVe(**SMALL).fit(CORPUS, progress=False)
    b = GloVe(**SMALL).fit(CORPUS, progress=False)
    for name in ("W_", "C_", "bw_", "bc_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.loss_history_ == b.loss_history_
    c = GloVe(**{**SMALL, "seed": 8}).fit(CORPUS, progress=False)
    assert not np.array_equal(a.W_, c.W_)


def test_two_workers_train_as_well():
    glove = GloVe(**{**SMALL, "workers": 2}).fit(CORPUS, progress=False)
    top = [w for w, _ in glove.vectors_.most_similar("a1", topn=5)]
    assert all(w.startswith("a") for w in top)


def test_output_modes():
    glove = GloVe(**{**SMALL, "epochs": 2}).fit(CORPUS, progress=False)
    np.testing.assert_array_equal(glove.output_matrix("word"), glove.W_)
    np.testing.assert_array_equal(glove.vectors_.matrix, glove.W_ + glove.C_)
    concat = GloVe.from_config(GloVeConfig(**{**SMALL, "output": "concat"}))
    concat.__dict__.update({k: v for k, v in glove.__dict__.items() if k != "config"})
    assert concat.vectors_.dim == 32
    half = GloVe.from_config(GloVeConfig(**{**SMALL, "context_weight": 0.5}))
    half.__dict__.update({k: v for k, v in glove.__dict__.items() if k != "config"})
    np.testing.assert_allclose(half.vectors_.matrix, glove.W_ + 0.5 * glove.C_, rtol=1e-6)


def test_sample_thins_frequent_words_before_counting():
    plain = GloVe(**{**SMALL, "epochs": 1}).fit(CORPUS, progress=False)
    thin = GloVe(**{**SMALL, "epochs": 1, "sample": 1e-3}).fit(CORPUS, progress=False)
    assert thin.cooccurrence_.updates < plain.cooccurrence_.updates
    again = GloVe(**{**SMALL, "epochs": 1, "sample": 1e-3}).fit(CORPUS, progress=False)
    np.testing.assert_array_equal(again.W_, thin.W_)  # seeded: the same tokens go
    for bad in ({"sample": -0.1}, {"sample": 1.0}, {"context_weight": float("nan")}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            GloVe(**{**SMALL, **bad}).fit(CORPUS, progress=False)


def test_temporary_files_are_removed_even_on_interrupt(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)

    def stop(model, epoch, state):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        GloVe(**SMALL).fit(CORPUS, progress=False, callbacks=[stop])
    assert list(tmp_path.iterdir()) == []
    work = tmp_path / "work"
    GloVe(**{**SMALL, "epochs": 1}).fit(CORPUS, progress=False, work_dir=work)
    assert (work / "cooccurrence.npy").is_file() and (work / "shuffled.npy").is_file()
    counter = GloVe(**SMALL)
    report = counter.count(CORPUS, work_dir=tmp_path / "count", progress=False)
    assert report.nonzero == counter.nonzero_pairs_ == 128 and not hasattr(counter, "W_")
    assert (tmp_path / "count" / "shuffled.npy").is_file()


def test_resume_after_an_interrupt_equals_an_unbroken_run(tmp_path):
    settings = {**SMALL, "epochs": 6}
    whole = GloVe(**settings).fit(CORPUS, progress=False)
    ckpt = tmp_path / "ckpt"

    def stop(model, epoch, state):
        if epoch == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        GloVe(**settings).fit(CORPUS, progress=False, callbacks=[stop], checkpoint_dir=ckpt)
    assert json.loads((ckpt / "checkpoint.json").read_text())["position"] == {"epoch": 3,
                                                                              "chunk": 0}
    done = GloVe.resume(ckpt, CORPUS, progress=False)
    np.testing.assert_array_equal(done.W_, whole.W_)  # one worker: bit for bit
    np.testing.assert_array_equal(done.C_, whole.C_)
    assert done.loss_history_ == whole.loss_history_
    assert done.config == whole.config
    with pytest.raises(ConfigError, match="corpus differs from the checkpoint's: 50 sentences"):
        GloVe.resume(ckpt, CORPUS[:50], progress=False)
    with pytest.raises(ConfigError, match="corpus differs from the checkpoint's: the same size "
                                          ".* but the sentences in another order"):
        GloVe.resume(ckpt, CORPUS[::-1], progress=False)  # the same counts, another order
    (ckpt / "W.npy").write_bytes(b"not an array")
    with pytest.raises(FormatError, match="W.npy"):
        GloVe.resume(ckpt, CORPUS, progress=False)
    with pytest.raises(MissingFileError, match="no checkpoint"):
        GloVe.resume(tmp_path / "nowhere", CORPUS, progress=False)


def test_a_parameter_gone_infinite_stops_training_as_diverged():
    def poison(model, epoch, state):
        if epoch == 0:
            model.W_[0] = np.inf  # its pairs' diffs are not finite: the kernel skips them

    with pytest.raises(ConfigError, match=r"training diverged at epoch 2: loss is nan; lower "
                                          r"learning_rate"):
        GloVe(**{**SMALL, "epochs": 3}).fit(CORPUS, progress=False, callbacks=[poison])


def test_bad_input_errors_are_clear():
    with pytest.raises(CorpusError, match="empty"):
        GloVe(**SMALL).fit([[], []], progress=False)
    with pytest.raises(CorpusError, match="co-occurrence"):
        GloVe(**SMALL).fit([["lonely"], ["words"]], progress=False)
    with pytest.raises(VocabError, match="min_count"):
        GloVe(**{**SMALL, "min_count": 10_000}).fit(CORPUS, progress=False)
    with pytest.raises(ConfigError, match="one-shot"):
        GloVe(**SMALL).fit(iter(CORPUS), progress=False)
    for bad, match in [({"dim": 0}, "dim"), ({"x_max": -1.0}, "x_max"),
                       ({"learning_rate": float("nan")}, "learning_rate"), ({"output": "both"}, "output"),
                       ({"window": 2.5}, "window"), ({"symmetric": "yes"}, "symmetric"),
                       ({"memory_mib": 64}, r"memory_mib=64 is too small.*memory_mib >= \d+")]:
        with pytest.raises(ConfigError, match=match):
            GloVe(**{**SMALL, **bad}).fit(CORPUS, progress=False)
    with pytest.raises(ConfigError, match="not fitted"):
        GloVe().vectors_  # noqa: B018
    with pytest.raises(ConfigError, match="unknown"):
        GloVeConfig.from_dict({"dims": 3})


# --- the CLI -------------------------------------------------------------------------------


def test_cli_trains_and_writes_vectors(tmp_path, data_dir, capsys):
    out = tmp_path / "genesis.txt"
    code = main(["train", "glove", str(data_dir / "corpora" / "en" / "genesis.txt"), "-o",
                 str(out), "--format", "glove", "--dim", "12", "--epochs", "2", "--window", "4",
                 "--lower", "--quiet", "--workers", "1", "--memory-mib", "300",
                 "--output-vectors", "concat"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "non-zero pairs" in printed and "loss per epoch" in printed
    v = load_vectors(out, format="glove")
    assert v.dim == 24 and "god" in v
    assert [p.name for p in tmp_path.iterdir()] == ["genesis.txt"]  # nothing half-written


def test_cli_resume_finishes_an_interrupted_run(tmp_path, data_dir, capsys):
    from embedlayer.corpus import TextCorpus
    from embedlayer.text import TokenStream, get_tokenizer

    corpus = data_dir / "corpora" / "en" / "genesis.txt"
    settings = {"dim": 8, "epochs": 3, "window": 4, "workers": 1, "memory_mib": 300.0}
    out = tmp_path / "v"

    def stop(model, epoch, state):
        raise KeyboardInterrupt

    tokens = TokenStream(TextCorpus(corpus), get_tokenizer("regex", lowercase=True))
    with pytest.raises(KeyboardInterrupt):  # what the CLI leaves after a Ctrl-C in epoch 2
        GloVe(**settings).fit(tokens, progress=False, callbacks=[stop],
                              checkpoint_dir=tmp_path / "v.checkpoint")
    flags = ["--dim", "8", "--epochs", "3", "--window", "4", "--workers", "1",
             "--memory-mib", "300"]
    assert main(["train", "glove", str(corpus), "-o", str(out), "--lower", "--quiet",
                 "--resume", *flags[2:]]) == 1  # other settings than the checkpoint's
    err = capsys.readouterr().err
    assert "--dim 100 but the checkpoint was trained with dim 8" in err
    assert len(err.splitlines()) == 1
    assert main(["train", "glove", str(corpus), "-o", str(out), "--lower", "--quiet",
                 *flags]) == 1  # a fresh run would overwrite the interrupted one's checkpoint
    assert "--resume to continue it, or --force" in capsys.readouterr().err
    assert main(["train", "glove", str(corpus), "-o", str(out), "--lower", "--quiet",
                 "--resume", *flags]) == 0
    printed = capsys.readouterr().out
    assert "resuming GloVe at epoch 2 of 3, chunk 0 of" in printed
    assert "loss per epoch" in printed and "tokens/s" in printed
    whole = GloVe(**settings).fit(tokens, progress=False)
    np.testing.assert_allclose(load_vectors(out).matrix, whole.vectors_.matrix, rtol=1e-6)
    assert not (tmp_path / "v.checkpoint").exists()  # finished: the checkpoint is gone


def test_cli_bad_settings_give_one_line(tmp_path, data_dir, capsys):
    corpus = str(data_dir / "corpora" / "en" / "genesis.txt")
    code = main(["train", "glove", corpus, "-o", str(tmp_path / "v"), "--x-max", "0", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "--x-max must be a finite number > 0" in err and len(err.splitlines()) == 1
    code = main(["train", "glove", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "v"),
                 "--quiet"])
    assert code == 1 and "missing.txt" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_ctrl_c_in_the_middle_of_an_epoch_resumes_to_an_unbroken_run(tmp_path, monkeypatch):
    from embedlayer.train import _runner

    settings = {**SMALL, "epochs": 3, "block": 16}
    whole = GloVe(**settings).fit(CORPUS, progress=False)

    class Bar:  # a progress bar whose 5th update is where Ctrl-C lands (the main thread)
        updates = 0

        def update(self, n):
            if n:
                Bar.updates += 1
                if Bar.updates == 5:
                    raise KeyboardInterrupt

        def set_postfix(self, **kwargs):
            pass

        def close(self):
            pass

    monkeypatch.setattr(_runner, "progress_bar", lambda **kwargs: Bar())
    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        GloVe(**settings).fit(CORPUS, progress=False, checkpoint_dir=ckpt)
    position = json.loads((ckpt / "checkpoint.json").read_text())["position"]
    assert position["epoch"] == 0 and position["chunk"] > 0  # mid-epoch
    monkeypatch.undo()
    done = GloVe.resume(ckpt, CORPUS, progress=False)
    assert done.resumed_from_.startswith("resuming GloVe at epoch 1 of 3, chunk")
    np.testing.assert_array_equal(done.W_, whole.W_)  # one worker: bit for bit
    assert done.loss_history_ == whole.loss_history_
