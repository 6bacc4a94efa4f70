"""Training that cannot learn, diverges or cannot fit in memory stops with a clear error; the
names every trainer shares (seed, callbacks, throughput) behave the same."""

from __future__ import annotations

import re

import numpy as np
import pytest

from embedlayer.errors import ConfigError, CorpusError
from embedlayer.train import FastText, GloVe, Word2Vec, _estimator
from embedlayer.train._runner import JobResult, RunState

CORPUS = [[f"w{(i * 7 + k) % 12}" for k in range(8)] for i in range(120)]
W2V = {"dim": 8, "epochs": 3, "min_count": 1, "sample": 0.0, "workers": 1, "seed": 3,
       "chunk_words": 200}
FT = {**W2V, "bucket": 300}
GLOVE = {"dim": 8, "window": 4, "epochs": 3, "min_count": 1, "workers": 1, "seed": 3,
         "block": 64, "memory_mib": 300}


@pytest.mark.parametrize("cls", [Word2Vec, FastText], ids=["word2vec", "fasttext"])
def test_a_corpus_lost_to_subsampling_is_refused_not_trained_into_nan(cls):
    with pytest.raises(CorpusError, match=r"no training pairs: every token was dropped by "
                                          r"subsampling \(sample=0.001\)"):
        cls(**{**W2V, "sample": 1e-3}).fit([["the", "cat", "sat"]], progress=False)


@pytest.mark.parametrize("cls", [Word2Vec, FastText], ids=["word2vec", "fasttext"])
def test_sentences_of_one_word_are_refused_before_training(cls):
    with pytest.raises(CorpusError, match="fewer than two words"):
        cls(**W2V).fit([["alone"], ["again"]], progress=False)


def test_a_nan_loss_stops_training_with_the_epoch_named(monkeypatch):
    calls = []

    def job_factory(self, encoded):
        def job(a, b, learning_rate, seed):
            calls.append(a)
            return JobResult(float("nan") if len(calls) > 3 else 1.0, 5, b - a)
        return job

    monkeypatch.setattr(Word2Vec, "_job", job_factory)
    with pytest.raises(ConfigError, match=r"training diverged at epoch \d: loss is nan; lower "
                                          r"learning_rate"):
        Word2Vec(**W2V).fit(CORPUS, progress=False)
    assert len(calls) < 3 * 6  # stopped early, not after every epoch


@pytest.mark.parametrize(("cls", "settings"), [(Word2Vec, W2V), (FastText, FT), (GloVe, GLOVE)],
                         ids=["word2vec", "fasttext", "glove"])
def test_every_trainer_checks_its_seed_and_calls_back_the_same_way(cls, settings):
    with pytest.raises(ConfigError, match="seed must be an integer >= 0, got -1"):
        cls(**{**settings, "seed": -1}).fit(CORPUS, progress=False)
    seen = []
    model = cls(**settings).fit(
        CORPUS, progress=False,
        callbacks=[lambda m, epoch, state: seen.append((m, epoch, list(state.epoch_loss)))])
    assert [e for _, e, _ in seen] == [0, 1, 2] and all(m is model for m, _, _ in seen)
    assert isinstance(seen[-1][2], list) and seen[-1][2] == model.loss_history_


@pytest.mark.parametrize(("cls", "settings"), [(Word2Vec, W2V), (GloVe, GLOVE)],
                         ids=["word2vec", "glove"])
def test_an_impossible_model_names_its_memory_estimate(monkeypatch, cls, settings):
    monkeypatch.setattr(_estimator, "available_memory", lambda: 2**20)
    with pytest.raises(ConfigError, match=r"dim[= ]100000\)? needs about [\d,.]+ (MiB|GiB) of memory, "
                                          r"but only 1 MiB can be spared \(90% of the 1 MiB available\)"):
        cls(**{**settings, "dim": 100_000}).fit(CORPUS, progress=False)


def test_numpy_memory_errors_become_config_errors(monkeypatch):
    def fail(self):
        raise MemoryError

    monkeypatch.setattr(Word2Vec, "_init_arrays", fail)
    with pytest.raises(ConfigError, match=r"not enough memory for about"):
        Word2Vec(**W2V).fit(CORPUS, progress=False)


# Nine tokens a line, one of them seen once (dropped by min_count=2): 1,080 read, 960 kept.
RARE = [s + [f"rare{i}"] for i, s in enumerate(CORPUS)]


@pytest.mark.parametrize(("cls", "settings"), [(Word2Vec, W2V), (FastText, FT)],
                         ids=["word2vec", "fasttext"])
def test_throughput_after_resume_counts_only_the_tokens_this_run_trained(tmp_path, cls,
                                                                          settings):
    import json
    import time

    settings = {**settings, "min_count": 2}
    full = cls(**settings).fit(RARE, progress=False)
    assert (full.raw_words_per_epoch_, full.words_per_epoch_) == (1080, 960)
    assert full.tokens_trained_ == 3 * 1080  # every token read, three epochs

    def stop(model, epoch, state):
        if epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cls(**settings).fit(RARE, progress=False, callbacks=[stop], checkpoint_dir=tmp_path)
    doc = json.loads((tmp_path / "checkpoint.json").read_text())
    assert doc["position"]["epoch"] == 2  # one epoch left ...
    done = doc["epoch_partial"]["words"]  # ... less the kept tokens trained before Ctrl-C
    started = time.perf_counter()
    resumed = cls.resume(tmp_path, RARE, progress=False)
    seconds = time.perf_counter() - started  # measured here, around the whole resume
    # The tokens read that the rest of epoch 3 stands for, not the whole run's.
    assert abs(resumed.tokens_trained_ - 1080 * (960 - done) / 960) <= 1
    assert 0 < resumed.tokens_trained_ <= 1080
    assert 0 < resumed.train_seconds_ <= seconds
    assert resumed.tokens_per_second_ >= resumed.tokens_trained_ / seconds
    assert resumed.tokens_per_second_ * resumed.train_seconds_ == pytest.approx(
        resumed.tokens_trained_, abs=1)
    assert re.fullmatch(rf"resuming {cls.NAME} at epoch 3 of 3, chunk \d+ of \d+",
                        resumed.resumed_from_)
    np.testing.assert_array_equal(resumed._arrays()[next(iter(resumed._arrays()))],
                                  full._arrays()[next(iter(full._arrays()))])


def test_resume_refuses_other_settings_and_another_corpus(tmp_path):
    def stop(model, epoch, state):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Word2Vec(**W2V).fit(CORPUS, progress=False, callbacks=[stop], checkpoint_dir=tmp_path)
    cfg = Word2Vec(**{**W2V, "dim": 10}).config
    with pytest.raises(ConfigError, match="dim 10 but the checkpoint was trained with dim 8"):
        Word2Vec.resume(tmp_path, CORPUS, config=cfg, progress=False)
    with pytest.raises(ConfigError, match=r"the corpus differs from the checkpoint's: 60 "
                                          r"sentences, 480 tokens .* vs 120 sentences, 960"):
        Word2Vec.resume(tmp_path, CORPUS[:60], progress=False)
    shuffled = [list(reversed(s)) for s in CORPUS[1:]] + [["w0"] * 8]
    with pytest.raises(ConfigError, match="the same size .* but other words"):
        Word2Vec.resume(tmp_path, shuffled, progress=False)
    with pytest.raises(ConfigError, match="corpus differs from the checkpoint's: the same size "
                                          r".* but the sentences in another order"):
        Word2Vec.resume(tmp_path, CORPUS[::-1], progress=False)  # the same words, reordered


def test_old_checkpoints_are_refused_with_a_clear_message(tmp_path):
    import json

    (tmp_path / "checkpoint.json").write_text(json.dumps(
        {"format": "embedlayer.word2vec-checkpoint", "format_version": 1, "config": {}}))
    with pytest.raises(Exception, match="format_version 1.*older embedlayer.*train again"):
        Word2Vec.resume(tmp_path, CORPUS, progress=False)


def test_runner_state_tallies_only_this_process():
    state = RunState()
    state.restore_partial({"loss_sum": 4.0, "loss_terms": 2, "words": 10})
    state.open_epoch()
    state.add(JobResult(2.0, 2, 5))
    assert state.running_loss == 1.5 and state.run_units == 5 and state.run_terms == 2


def test_the_progress_bar_never_shows_a_nan_loss_before_the_first_predictions(monkeypatch):
    from embedlayer.train import _runner

    postfixes = []

    class Bar:
        def update(self, n):
            pass

        def set_postfix(self, **kwargs):
            postfixes.append(kwargs)

        def close(self):
            pass

    calls = []

    def job_factory(self, encoded):
        def job(a, b, learning_rate, seed):
            calls.append(a)
            return JobResult(0.0, 0, b - a) if len(calls) <= 3 else JobResult(2.0, 4, b - a)
        return job

    monkeypatch.setattr(_runner, "progress_bar", lambda **kwargs: Bar())
    monkeypatch.setattr(Word2Vec, "_job", job_factory)
    Word2Vec(**W2V).fit(CORPUS, progress=True)
    assert postfixes and all(p["loss"] == "0.5000" for p in postfixes)


@pytest.mark.parametrize(("cls", "settings"), [(Word2Vec, W2V), (FastText, FT)],
                         ids=["word2vec", "fasttext"])
def test_the_progress_bar_counts_tokens_read_as_the_summary_does(monkeypatch, cls, settings):
    from embedlayer.train import _runner

    bars = []

    class Bar:
        def __init__(self, total, **kwargs):
            self.total, self.n = total, 0.0
            bars.append(self)

        def update(self, n):
            self.n += n

        def set_postfix(self, **kwargs):
            pass

        def close(self):
            pass

    monkeypatch.setattr(_runner, "progress_bar", lambda **kwargs: Bar(kwargs["total"]))
    model = cls(**{**settings, "min_count": 2}).fit(RARE, progress=True)
    assert model.words_per_epoch_ == 960  # the rare words are not trained ...
    (bar,) = bars
    assert bar.total == 3 * 1080 == model.tokens_trained_  # ... but counted as read, as
    assert bar.n == pytest.approx(3 * 1080)  # tokens/s counts them
