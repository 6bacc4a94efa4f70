"""`embedlayer train`: outputs checked before any work, --save-model / --continue, --resume
checks, and one-line errors for runs that cannot learn."""

from __future__ import annotations

import os

import numpy as np
import pytest

from embedlayer.cli.main import main
from embedlayer.train import FastText, GloVe, Word2Vec, _estimator
from embedlayer.vectors.io import load_vectors

SMALL = {"word2vec": ["--dim", "8", "--epochs", "2", "--min-count", "1", "--workers", "1",
                      "--sample", "0"],
         "fasttext": ["--dim", "8", "--epochs", "2", "--min-count", "1", "--workers", "1",
                      "--bucket", "200", "--sample", "0"],
         "glove": ["--dim", "8", "--epochs", "2", "--min-count", "1", "--workers", "1",
                   "--window", "4", "--memory-mib", "300"]}
ALGOS = list(SMALL)
LOADERS = {"word2vec": Word2Vec, "fasttext": FastText, "glove": GloVe}


def _corpus(path, words, n=150, seed=0):
    rng = np.random.default_rng(seed)
    path.write_text("\n".join(" ".join(rng.choice(words, size=8)) for _ in range(n)) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    return _corpus(tmp_path / "c.txt", [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(6)])


def _train(algo, corpus, out, *extra):
    fmt = ["--format", "native"] if algo == "fasttext" else []
    return main(["train", algo, str(corpus), "-o", str(out), "--quiet", *fmt, *SMALL[algo],
                 *extra])


@pytest.mark.parametrize("algo", ALGOS)
def test_outputs_are_checked_before_any_work(tmp_path, corpus, capsys, monkeypatch, algo):
    def never(*args, **kwargs):
        raise AssertionError("trained although an output was bad")

    monkeypatch.setattr(LOADERS[algo], "fit", never)
    (tmp_path / "taken").mkdir()
    assert _train(algo, corpus, tmp_path / "taken") == 1
    err = capsys.readouterr().err
    assert "-o" in err and "taken exists: refusing to replace it (add --force)" in err
    assert len(err.splitlines()) == 1
    assert _train(algo, corpus, tmp_path / "no" / "where") == 1
    assert "does not exist" in capsys.readouterr().err
    assert _train(algo, corpus, tmp_path / "v", "--save-model", str(tmp_path / "taken")) == 1
    assert "--save-model" in capsys.readouterr().err
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path)
                        else real_access(p, mode))
    assert _train(algo, corpus, tmp_path / "v") == 1
    assert "is not writable" in capsys.readouterr().err


@pytest.mark.parametrize("algo", ALGOS)
def test_save_model_then_continue_on_new_text(tmp_path, corpus, capsys, algo):
    model_dir = tmp_path / "model"
    assert _train(algo, corpus, tmp_path / "v1", "--save-model", str(model_dir)) == 0
    assert "saved the model to" in capsys.readouterr().out
    more = _corpus(tmp_path / "more.txt", [f"a{i}" for i in range(6)] + ["zz1", "zz2"], seed=1)
    code = main(["train", algo, str(more), "-o", str(tmp_path / "v2"), "--quiet",
                 "--format", "native", "--continue", str(model_dir), "--update-vocab",
                 "--epochs", "1", "--save-model", str(tmp_path / "model2")])
    assert code == 0, capsys.readouterr().err
    v2 = load_vectors(tmp_path / "v2")
    assert "zz1" in v2 and "b0" in v2 and v2.dim == 8
    again = LOADERS[algo].load(tmp_path / "model2")
    assert len(again.loss_history_) == 3 and "zz2" in again.vocab_
    code = main(["train", algo, str(more), "-o", str(tmp_path / "v3"), "--quiet",
                 "--continue", str(model_dir), "--dim", "16"])
    err = capsys.readouterr().err
    assert code == 1 and "--dim conflicts with --continue" in err and len(err.splitlines()) == 1
    assert main(["train", algo, str(more), "-o", str(tmp_path / "v3"), "--quiet",
                 "--update-vocab"]) == 1
    assert "--update-vocab needs --continue" in capsys.readouterr().err
    assert main(["train", algo, str(more), "-o", str(tmp_path / "v3"), "--quiet",
                 "--continue", str(model_dir), "--resume"]) == 1
    assert "exclude each other" in capsys.readouterr().err


@pytest.mark.parametrize("algo", ["word2vec", "fasttext"])
def test_interrupt_names_the_checkpoint_and_resume_checks_it(tmp_path, corpus, capsys,
                                                             monkeypatch, algo):
    real = _estimator.run_jobs

    def interrupted(*args, on_epoch_end, **kwargs):
        def stop(epoch, state):
            on_epoch_end(epoch, state)
            raise KeyboardInterrupt

        return real(*args, on_epoch_end=stop, **kwargs)

    monkeypatch.setattr(_estimator, "run_jobs", interrupted)
    out = tmp_path / "v"
    assert _train(algo, corpus, out) == 130
    err = capsys.readouterr().err
    ckpt = tmp_path / "v.checkpoint"
    assert f"the checkpoint is in {ckpt}: run the same command again with --resume" in err
    monkeypatch.setattr(_estimator, "run_jobs", real)
    assert _train(algo, corpus, out, "--dim", "12", "--resume") == 1  # the last --dim wins
    err = capsys.readouterr().err
    assert "--dim 12 but the checkpoint was trained with dim 8" in err
    other = _corpus(tmp_path / "other.txt", [f"a{i}" for i in range(6)] + ["b0", "b1"], seed=5)
    assert _train(algo, other, out, "--resume") == 1
    assert "the corpus differs from the checkpoint's" in capsys.readouterr().err
    assert _train(algo, corpus, out) == 1  # a fresh run would overwrite the checkpoint
    assert "--resume to continue it, or --force to start over" in capsys.readouterr().err
    assert _train(algo, corpus, tmp_path / "fresh", "--resume") == 1
    assert "--resume: no checkpoint at" in capsys.readouterr().err
    assert _train(algo, corpus, out, "--resume") == 0
    printed = capsys.readouterr().out
    # One chunk an epoch: the job of epoch 2 was in flight at Ctrl-C and finished.
    assert f"resuming {LOADERS[algo].NAME}: all 2 epochs were trained" in printed
    assert out.exists() and not ckpt.exists()


@pytest.mark.parametrize("algo", ["word2vec", "fasttext"])
def test_a_corpus_lost_to_subsampling_fails_with_one_line_naming_the_flag(tmp_path, capsys,
                                                                          algo):
    three = tmp_path / "three.txt"
    three.write_text("the cat sat\n", encoding="utf-8")
    out = tmp_path / "v"
    code = main(["train", algo, str(three), "-o", str(out), "--min-count", "1", "--quiet",
                 "--bucket" if algo == "fasttext" else "--dim", "100"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1
    assert "no training pairs: every token was dropped by subsampling (--sample" in err
    assert not out.exists()


@pytest.mark.parametrize("algo", ALGOS)
def test_bad_seed_and_impossible_sizes_are_one_line(tmp_path, corpus, capsys, monkeypatch,
                                                     algo):
    assert _train(algo, corpus, tmp_path / "v", "--seed", "-1") == 1
    err = capsys.readouterr().err
    assert "--seed must be an integer >= 0, got -1" in err and len(err.splitlines()) == 1
    monkeypatch.setattr(_estimator, "available_memory", lambda: 2**30)
    assert _train(algo, corpus, tmp_path / "v", "--dim", "1000000000") == 1
    err = capsys.readouterr().err
    assert "needs about" in err and "GiB of memory, but only 922 MiB can be spared (90% of the 1.0 GiB" in err
    assert len(err.splitlines()) == 1 and "--dim" in err


def test_every_train_option_shows_its_default():
    from embedlayer.cli.main import build_parser

    parser = build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices["train"]._actions
                 if a.dest == "algorithm")
    for algo, sub in train.choices.items():
        for action in sub._actions:
            if action.option_strings and action.dest not in ("help", "output"):
                assert "default" in (action.help or ""), (algo, action.option_strings)
        flags = {s for a in sub._actions for s in a.option_strings}
        assert {"--learning-rate", "--max-vocab", "--max-types", "--workers", "--quiet",
                "--seed", "--save-model", "--continue", "--resume", "--force"} <= flags
        assert not flags & {"--alpha-min", "--min-alpha", "--threads", "--no-progress",
                            "--max-vocab-size", "--eta", "--memory"}


@pytest.mark.parametrize("algo", ALGOS)
def test_force_cannot_get_past_what_the_writers_refuse(tmp_path, corpus, capsys, monkeypatch,
                                                       algo):
    def never(*args, **kwargs):
        raise AssertionError("trained although an output cannot be replaced")

    monkeypatch.setattr(LOADERS[algo], "fit", never)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "me.jpg").write_bytes(b"jpg")
    assert _train(algo, corpus, photos, "--force") == 1
    err = capsys.readouterr().err
    assert f"-o {photos}: refusing to replace folder {photos}: it holds me.jpg" in err
    assert len(err.splitlines()) == 1 and (photos / "me.jpg").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _train(algo, corpus, empty, "--force", "--format", "glove") == 1
    assert "is a folder; the glove format writes one file" in capsys.readouterr().err
    assert _train(algo, corpus, tmp_path / "v", "--force", "--save-model", str(photos)) == 1
    err = capsys.readouterr().err
    assert f"--save-model {photos}: refusing to replace folder" in err and "me.jpg" in err
    assert _train(algo, corpus, corpus, "--force", "--format", "glove") == 1
    assert "is also a corpus input" in capsys.readouterr().err
    assert corpus.read_text(encoding="utf-8").startswith(("a", "b"))


def test_continue_leaves_an_unrelated_checkpoint_alone(tmp_path, corpus, capsys):
    model_dir = tmp_path / "model"
    assert _train("word2vec", corpus, tmp_path / "v1", "--save-model", str(model_dir)) == 0
    ckpt = tmp_path / "v2.checkpoint"  # an interrupted run of -o v2, not this one's
    ckpt.mkdir()
    (ckpt / "checkpoint.json").write_text("{}", encoding="utf-8")
    assert main(["train", "word2vec", str(corpus), "-o", str(tmp_path / "v2"), "--quiet",
                 "--continue", str(model_dir), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert (ckpt / "checkpoint.json").is_file()


def test_force_removes_a_stale_checkpoint_before_training(tmp_path, corpus, capsys,
                                                          monkeypatch):
    ckpt = tmp_path / "v.checkpoint"
    ckpt.mkdir()
    (ckpt / "checkpoint.json").write_text("{}", encoding="utf-8")
    seen = []

    def interrupted(self, *args, **kwargs):
        seen.append(ckpt.exists())
        raise KeyboardInterrupt

    monkeypatch.setattr(Word2Vec, "fit", interrupted)
    assert _train("word2vec", corpus, tmp_path / "v", "--force") == 130
    assert seen == [False]  # gone before training started
    err = capsys.readouterr().err
    assert "interrupted before training started; no checkpoint was written" in err
    ckpt.mkdir()
    (ckpt / "me.jpg").write_bytes(b"jpg")  # not a checkpoint: never deleted
    assert _train("word2vec", corpus, tmp_path / "v", "--force") == 1
    assert "holds me.jpg, which no checkpoint writes" in capsys.readouterr().err
    assert (ckpt / "me.jpg").is_file() and seen == [False]


def test_hints_name_the_command_line_flags(tmp_path, capsys):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9 au lait\nthe cat sat on the mat\n".encode("latin-1") * 20)
    out = tmp_path / "v"
    args = ["train", "word2vec", str(latin1), "-o", str(out), "--quiet", "--min-count", "1",
            "--sample", "0", "--dim", "8", "--epochs", "1"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "--errors replace" in err and "errors='replace'" not in err
    assert len(err.splitlines()) == 1
    assert main([*args, "--errors", "replace"]) == 0
    capsys.readouterr()
    assert main(["train", "word2vec", str(latin1), "-o", str(tmp_path / "w"), "--loss", "hs",
                 "--shared-negatives"]) == 1
    err = capsys.readouterr().err
    assert "--shared-negatives applies to --model 'skipgram'" in err
    for flag in ("--max-vocab", "--max-types"):
        assert main(["train", "word2vec", str(latin1), "-o", str(tmp_path / "w"), flag,
                     "0"]) == 1
        err = capsys.readouterr().err
        assert f"{flag} must be" in err and ">= 1 or leave it unset, got 0" in err, err


def test_output_help_says_it_is_required(capsys):
    with pytest.raises(SystemExit):
        main(["train", "glove", "--help"])
    assert "(required)" in capsys.readouterr().out
