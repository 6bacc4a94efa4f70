"""embedlayer.dist.ddp: the sequence tagger and the causal LM trained by 2 ranks with DDP (gloo
on 127.0.0.1, spawned by tests/_dist.py) against one process; the single-process run happens
here while the ranks train."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _dist  # noqa: E402 - the launcher next to this file
from test_tag import toy_ner  # noqa: E402 - the toy NER task of the tagger's tests

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TAGGER = {"dim": 16, "char_dim": 8, "char_hidden": 8, "case_dim": 4, "hidden": 16, "epochs": 3,
          "batch_size": 16, "learning_rate": 0.01, "dropout": 0.2, "patience": 2, "seed": 3}
LM = {"tokenizer": "word", "vocab_size": 300, "min_count": 2, "context": 24, "dim": 32,
      "layers": 1, "heads": 2, "batch_size": 8, "warmup": 5, "learning_rate": 3e-3,
      "steps": 60, "eval_every": 30, "val_fraction": 0.05, "eval_tokens": 2000, "seed": 1}


def test_ddp_tagger_matches_single_process(tmp_path: Path):
    from embedlayer.tasks import SequenceTagger
    from embedlayer.tasks.tag import TaggerConfig

    train, dev, test = toy_ner(160, seed=1), toy_ner(40, seed=2), toy_ner(80, seed=3)
    data = tmp_path / "ner.json"
    data.write_text(json.dumps({"train": train, "dev": dev, "test": test}))
    procs = _dist.start({"scenario": "tag", "data": str(data), "settings": TAGGER},
                        tmp_path / "run")
    single = SequenceTagger(TaggerConfig(**TAGGER), workers=1).fit(*train, validation=dev,
                                                                    progress=False)
    report = single.evaluate(*test)
    codes = _dist.wait(procs, 120)
    r0, r1 = (json.loads((tmp_path / "run" / f"rank{r}.json").read_text()) for r in range(2))
    assert codes == [0, 0], (r0, r1)
    assert r0["weights"] == r1["weights"]  # DDP: the same weights on every rank
    assert (r0["f1"], r0["best_epoch"]) == (r1["f1"], r1["best_epoch"])
    # Another sampling of the same batches. Seeds 3-6 on one process: F1 0.926-0.979,
    # accuracy 0.957-0.991 (2 ranks, seed 3: 0.945 / 0.983; one process 0.973 / 0.991).
    assert abs(r0["f1"] - report.f1) <= 0.1, (report.f1, r0["f1"])
    assert abs(r0["accuracy"] - report.accuracy) <= 0.05, (report.accuracy, r0["accuracy"])


def test_ddp_lm_matches_single_process(data_dir: Path, tmp_path: Path):
    from embedlayer.tasks.lm.model import CausalLM, LMConfig

    text = (data_dir / "corpora" / "en" / "genesis.txt").read_text().splitlines()
    lines = {"train": text[:600], "test": text[600:700]}
    data = tmp_path / "lines.json"
    data.write_text(json.dumps(lines))
    out = tmp_path / "model"
    procs = _dist.start({"scenario": "lm", "data": str(data), "settings": LM,
                         "output": str(out)}, tmp_path / "run")
    torch.manual_seed(0)
    single = CausalLM(LMConfig(**LM), workers=1).fit(lines["train"], progress=False)
    ppl1 = single.evaluate(lines["test"]).perplexity
    codes = _dist.wait(procs, 120)
    r0, r1 = (json.loads((tmp_path / "run" / f"rank{r}.json").read_text()) for r in range(2))
    assert codes == [0, 0], (r0, r1)
    assert r0["weights"] == r1["weights"]  # DDP: the same weights on every rank
    assert r0["history"][-1]["val_loss"] == r1["history"][-1]["val_loss"]
    ppl2 = r0["perplexity"]
    # Seeds 1-3 on one process: 46.2-46.8; 2 ranks, seed 1: 47.2 (one process 46.7).
    assert abs(ppl2 - ppl1) <= 0.05 * ppl1, (ppl1, ppl2)
    # rank 0 wrote the folder; it loads and scores as rank 0's model
    loaded = CausalLM.load(out)
    assert loaded.evaluate(lines["test"]).perplexity == pytest.approx(ppl2, rel=1e-5)


def test_sparse_tagger_is_refused_before_any_collective():
    from embedlayer.dist import fit_tagger_ddp
    from embedlayer.errors import ConfigError
    from embedlayer.tasks import SequenceTagger
    from embedlayer.tasks.tag import TaggerConfig

    with pytest.raises(ConfigError, match="sparse=False"):
        fit_tagger_ddp(SequenceTagger(TaggerConfig(sparse=True)), None, [["a"]], [["O"]])
