"""`embedlayer lm train | eval | generate` end to end on a tiny corpus; errors in one line."""

from __future__ import annotations

import json
import random

import pytest
import torch

from embedlayer.cli.main import main

WORDS = ["the", "cat", "dog", "sat", "on", "a", "mat", "and", "ran", "to", "big", "small",
         "red", "house"]
QUICK = ["--vocab-size", "60", "--min-count", "1", "--context", "16", "--dim", "32",
         "--layers", "1", "--heads", "2", "--batch-size", "8", "--warmup", "2",
         "--workers", "1", "--quiet"]


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def corpus(tmp_path):
    rng = random.Random(0)
    path = tmp_path / "corpus.txt"
    path.write_text("".join(" ".join(rng.choices(WORDS, k=rng.randint(3, 9))) + "\n"
                            for _ in range(300)))
    return path


def test_train_eval_generate_resume(corpus, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["lm", "train", str(corpus), "-o", str(model), *QUICK,
                 "--steps", "8", "--eval-every", "4"]) == 0
    out = capsys.readouterr().out
    assert "step      8" in out and "val_ppl" in out and "saved CausalLM" in out
    assert {p.name for p in model.iterdir()} >= {"config.json", "model.safetensors",
                                                "tokenizer.json"}

    assert main(["lm", "eval", str(model), str(corpus), "--json", "--quiet"]) == 0
    score = json.loads(capsys.readouterr().out)
    assert score["tokens"] > 0 and score["perplexity"] > 1

    args = ["lm", "generate", str(model), "the cat", "--seed", "3", "--max-new-tokens", "12"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first and first.startswith("the cat")
    assert main(["lm", "generate", str(model), "the cat", "--max-new-tokens", "0"]) == 0
    assert capsys.readouterr().out == "the cat\n"

    # refuses to clobber; --resume with the saved settings (and not new ones)
    assert main(["lm", "train", str(corpus), "-o", str(model), *QUICK]) == 1
    assert "--resume" in capsys.readouterr().err
    assert main(["lm", "train", str(corpus), "-o", str(model), "--resume",
                 "--steps", "9"]) == 1
    assert "drop --steps" in capsys.readouterr().err
    assert main(["lm", "train", str(corpus), "-o", str(model), "--resume",
                 "--quiet"]) == 0  # already at its last step: saves again


def test_errors_are_one_line(corpus, tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["lm", "train", str(corpus), "-o", str(model), *QUICK,
                 "--steps", "2", "--dim", "30", "--heads", "4"]) == 1
    err = capsys.readouterr().err
    assert "multiple of heads" in err and len(err.strip().splitlines()) == 1
    assert main(["lm", "train", str(corpus), "-o", str(model), *QUICK,
                 "--steps", "0"]) == 1
    assert "--steps must be" in capsys.readouterr().err
    assert main(["lm", "eval", str(tmp_path / "nope"), str(corpus)]) == 1
    assert "no such model folder" in capsys.readouterr().err
    assert main(["lm", "train", str(corpus), "-o", str(model), *QUICK,
                 "--steps", "2", "--eval-every", "2"]) == 0
    capsys.readouterr()
    assert main(["lm", "generate", str(model), "x", "--max-new-tokens", "-1"]) == 1
    assert "--max-new-tokens must be" in capsys.readouterr().err
    assert main(["lm", "generate", str(model), "x", "--top-k", "0"]) == 1
    assert "--top-k must be" in capsys.readouterr().err


def test_word_tokenizer_init_vectors_and_a_longer_eval_context(corpus, tmp_path, capsys):
    vectors = tmp_path / "vectors.txt"  # word2vec text format, --dim 32
    rows = [(w, [0.1 * (i + 1)] * 16 + [-0.05 * (i + 1)] * 16)
            for i, w in enumerate(["cat", "dog", "zebra"])]
    vectors.write_text(f"{len(rows)} 32\n" + "".join(
        w + " " + " ".join(f"{x:.4f}" for x in v) + "\n" for w, v in rows))
    model = tmp_path / "model"
    assert main(["lm", "train", str(corpus), "-o", str(model), *QUICK,
                 "--tokenizer", "word", "--positions", "rotary", "--init-vectors",
                 str(vectors), "--steps", "4", "--eval-every", "4"]) == 0
    out = capsys.readouterr().out
    assert "token table: 2 of 16 rows started from" in out and "word tokens" in out
    doc = json.loads((model / "config.json").read_text())
    assert doc["embedlayer"]["settings"]["tokenizer"] == "word"
    assert doc["embedlayer"]["training"]["init_rows"] == 2 and (model / "vocab.json").is_file()

    scores = []
    for extra in ([], ["--context", "48"], ["--context", "48", "--rope-scaling", "ntk"]):
        assert main(["lm", "eval", str(model), str(corpus), "--json", "--quiet", *extra]) == 0
        scores.append(json.loads(capsys.readouterr().out))
    assert scores[0]["tokens"] == scores[1]["tokens"] and scores[0]["loss"] != scores[1]["loss"]
    assert scores[2]["tokens"] == scores[1]["tokens"] and scores[2]["loss"] != scores[1]["loss"]
    assert main(["lm", "generate", str(model), "the cat", "--max-new-tokens", "5"]) == 0
    assert capsys.readouterr().out.startswith("the cat")

    learned = tmp_path / "learned"
    assert main(["lm", "train", str(corpus), "-o", str(learned), *QUICK,
                 "--steps", "2", "--eval-every", "2"]) == 0
    capsys.readouterr()
    assert main(["lm", "eval", str(learned), str(corpus), "--context", "48"]) == 1
    err = capsys.readouterr().err
    assert "learned position table (16 positions" in err and len(err.strip().splitlines()) == 1
    assert main(["lm", "train", str(corpus), "-o", str(tmp_path / "x"), *QUICK,
                 "--steps", "2", "--init-vectors", str(vectors), "--dim", "16"]) == 1
    assert "dimension 32" in capsys.readouterr().err
