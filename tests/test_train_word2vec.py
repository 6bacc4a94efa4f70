"""The Word2Vec estimator: known neighbours, determinism, loss, checkpoints, continued training."""

from __future__ import annotations

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.errors import ConfigError, CorpusError, VocabError
from embedlayer.train import Word2Vec, Word2VecConfig, estimate_memory
from embedlayer.vectors.io import load_vectors


def _two_topics(n_sentences: int = 600, seed: int = 0) -> list[list[str]]:
    """Sentences drawn from one of two disjoint word groups: neighbours are known."""
    rng = np.random.default_rng(seed)
    groups = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    return [list(rng.choice(groups[k % 2], size=10)) for k in range(n_sentences)]


CORPUS = _two_topics()
SMALL = {"dim": 16, "epochs": 5, "min_count": 1, "sample": 0.0, "workers": 1, "seed": 7,
         "chunk_words": 500}


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
@pytest.mark.parametrize("loss", ["ns", "hs"])
def test_neighbours_known_by_construction(model, loss):
    w2v = Word2Vec(model=model, loss=loss, **SMALL).fit(CORPUS, progress=False)
    v = w2v.vectors_
    assert len(v) == 16 and v.dim == 16
    for word in ("a0", "a5", "b3"):
        top = [w for w, _ in v.most_similar(word, topn=5)]
        assert all(w[0] == word[0] for w in top), (word, top)
    assert w2v.loss_history_[-1] < w2v.loss_history_[0]  # the loss goes down


def test_one_worker_is_bit_for_bit_repeatable():
    a = Word2Vec(**SMALL).fit(CORPUS, progress=False)
    b = Word2Vec(**SMALL).fit(CORPUS, progress=False)
    np.testing.assert_array_equal(a.syn0_, b.syn0_)
    np.testing.assert_array_equal(a.syn1_, b.syn1_)
    assert a.loss_history_ == b.loss_history_
    c = Word2Vec(**{**SMALL, "seed": 8}).fit(CORPUS, progress=False)
    assert not np.array_equal(a.syn0_, c.syn0_)


def test_two_workers_train_as_well():
    w2v = Word2Vec(**{**SMALL, "workers": 2}).fit(CORPUS, progress=False)
    top = [w for w, _ in w2v.vectors_.most_similar("a1", topn=5)]
    assert all(w.startswith("a") for w in top)


def test_interrupted_run_resumes_to_the_same_result(tmp_path):
    full = Word2Vec(**SMALL).fit(CORPUS, progress=False)

    fired = []

    def interrupt_after_epoch_1(model, epoch, state):
        if epoch == 1 and not fired:
            fired.append(epoch)
            raise KeyboardInterrupt

    ckpt = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**SMALL).fit(CORPUS, progress=False, callbacks=[interrupt_after_epoch_1],
                              checkpoint_dir=ckpt)
    assert sorted(p.name for p in ckpt.iterdir()) == ["checkpoint.json", "counts.json", "syn0.npy",
                                                      "syn1.npy", "vocab.json"]
    resumed = Word2Vec.resume(ckpt, CORPUS, progress=False)
    np.testing.assert_array_equal(resumed.syn0_, full.syn0_)
    np.testing.assert_allclose(resumed.loss_history_, full.loss_history_, rtol=1e-12)


def test_periodic_checkpoints_are_whole_folders(tmp_path):
    ckpt = tmp_path / "ckpt"
    Word2Vec(**SMALL).fit(CORPUS, progress=False, checkpoint_dir=ckpt, checkpoint_minutes=0.0)
    assert (ckpt / "checkpoint.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_continued_training_same_and_extended_vocabulary():
    w2v = Word2Vec(**SMALL).fit(CORPUS, progress=False)
    before = w2v.syn0_.copy()
    w2v.partial_fit(CORPUS[:100], progress=False, epochs=1)
    assert len(w2v.vocab_) == 16 and not np.array_equal(before, w2v.syn0_)
    more = [["c0", "c1", "c2", "a0"]] * 50
    old_row = w2v.syn0_[w2v.vocab_["a0"]].copy()
    w2v.partial_fit(more, update_vocab=True, progress=False, epochs=1)
    assert len(w2v.vocab_) == 19 and w2v.vocab_.tokens[:16] == Word2Vec(**SMALL).fit(
        CORPUS, progress=False).vocab_.tokens  # old ids are kept
    assert w2v.syn0_.shape == (19, 16)
    assert not np.array_equal(old_row, w2v.syn0_[w2v.vocab_["a0"]])  # old rows keep training
    assert "c1" in w2v.vectors_


def test_bad_input():
    with pytest.raises(ConfigError, match="one-shot"):
        Word2Vec(**SMALL).fit(iter(CORPUS), progress=False)
    with pytest.raises(ConfigError, match="window"):
        Word2Vec(**{**SMALL, "window": 0}).fit(CORPUS, progress=False)
    with pytest.raises(VocabError, match="min_count"):
        Word2Vec(**{**SMALL, "min_count": 10_000}).fit(CORPUS, progress=False)
    with pytest.raises(CorpusError):
        Word2Vec(**SMALL).fit([[]], progress=False)
    with pytest.raises(ConfigError, match="not fitted"):
        Word2Vec().vectors_  # noqa: B018
    with pytest.raises(ConfigError, match="unknown"):
        Word2VecConfig.from_dict({"dims": 3})


def test_memory_estimate_is_the_matrices_plus_tables():
    cfg = Word2VecConfig(dim=100)
    assert estimate_memory(30_000, cfg) >= 2 * 30_000 * 100 * 4


def test_cli_trains_and_writes_vectors(tmp_path, data_dir, capsys):
    out = tmp_path / "genesis.bin"
    code = main(["train", "word2vec", str(data_dir / "corpora" / "en" / "genesis.txt"), "-o",
                 str(out), "--format", "word2vec-binary", "--dim", "20", "--epochs", "2",
                 "--lower", "--quiet", "--workers", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "tokens/s" in printed and "loss per epoch" in printed
    v = load_vectors(out)
    assert v.dim == 20 and "god" in v
    assert not (tmp_path / "genesis.bin.checkpoint").exists()


def test_shared_negatives_default_and_validation():
    assert Word2VecConfig().uses_shared_negatives  # skipgram + ns
    assert not Word2VecConfig(model="cbow").uses_shared_negatives
    assert not Word2VecConfig(shared_negatives=False).uses_shared_negatives
    with pytest.raises(ConfigError, match="shared_negatives"):
        Word2Vec(**{**SMALL, "model": "cbow", "shared_negatives": True}).fit(CORPUS, progress=False)
    classic = Word2Vec(**{**SMALL, "shared_negatives": False}).fit(CORPUS, progress=False)
    shared = Word2Vec(**SMALL).fit(CORPUS, progress=False)
    assert not np.array_equal(classic.syn0_, shared.syn0_)  # the default really is the other kernel
    top = [w for w, _ in classic.vectors_.most_similar("b2", topn=5)]
    assert all(w.startswith("b") for w in top)


def test_the_encoded_corpus_is_deleted_after_training(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    Word2Vec(**SMALL).fit(CORPUS, progress=False)
    fitted = Word2Vec(**SMALL).fit(CORPUS, progress=False)
    with pytest.raises(CorpusError):  # no known word: the folder goes on errors too
        fitted.partial_fit([["zz"]] * 3, progress=False)
    assert list(tmp_path.iterdir()) == []
    kept = tmp_path / "work"
    Word2Vec(**SMALL).fit(CORPUS, progress=False, work_dir=kept)  # a given folder is the user's
    assert sorted(p.name for p in kept.iterdir()) == ["bounds.int64", "ids.int32"]


def _mapped_rss_kib(path) -> int:
    """Resident KiB of every mapping of ``path`` in this process (Linux /proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8") as fh:
        lines = fh.readlines()
    for line in lines:
        head = line.split()
        if "-" in head[0] and len(head) >= 5:  # a mapping's header line
            inside = line.rstrip().endswith(str(path))
        elif inside and head[0] == "Rss:":
            total += int(head[1])
    return total


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/smaps"), reason="Linux only")
def test_released_chunks_leave_the_process(tmp_path):
    from embedlayer.train._encode import encode_corpus
    from embedlayer.vocab import Vocab

    vocab = Vocab([f"w{i}" for i in range(50)], unk_token=None)
    sentences = [[f"w{(i * 7 + j) % 50}" for j in range(1000)] for i in range(2000)]  # 2M ids
    with encode_corpus(sentences, vocab, folder=tmp_path) as enc:
        assert enc.words == 2_000_000 and enc.sentences == 2000
        expected = int(enc.ids[::997].astype(np.int64).sum())
        total = int(np.asarray(enc.ids).astype(np.int64).sum())  # touch every page
        assert _mapped_rss_kib(tmp_path / "ids.int32") > 6000  # ~7.8 MB resident
        enc.release(0, enc.words)
        assert _mapped_rss_kib(tmp_path / "ids.int32") < 100
        assert int(enc.ids[::997].astype(np.int64).sum()) == expected  # still readable
        assert int(np.asarray(enc.ids).astype(np.int64).sum()) == total
        assert int(enc.bounds[-1]) == enc.words and enc.bounds[1] == 1000


def test_chunk_order_is_a_fixed_permutation_and_changes_the_result():
    from embedlayer.train._encode import encode_corpus
    from embedlayer.train._runner import chunk_order
    from embedlayer.vocab import Vocab

    vocab = Vocab([f"a{i}" for i in range(8)] + [f"b{i}" for i in range(8)], unk_token=None)
    with encode_corpus(CORPUS, vocab) as enc:
        order = chunk_order(enc, 500, seed=7)
        assert sorted(order.tolist()) == list(range(len(enc.chunks(500)))) and len(order) > 5
        np.testing.assert_array_equal(order, chunk_order(enc, 500, seed=7))
        assert not np.array_equal(order, np.arange(len(order)))
    plain = Word2Vec(**{**SMALL, "shuffle": False}).fit(CORPUS, progress=False)
    mixed = Word2Vec(**SMALL).fit(CORPUS, progress=False)
    assert not np.array_equal(plain.syn0_, mixed.syn0_)
    # Same words trained, same number of predictions' worth of loss terms: only the order moved.
    assert plain.words_per_epoch_ == mixed.words_per_epoch_
