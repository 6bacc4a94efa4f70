"""One rank of a distributed test run (started by tests/_dist.py, as torchrun would start it).

``python tests/_dist_worker.py SPEC.json``: the spec names a scenario and its settings; the
rank (from the environment) writes what it found to ``<out>/rank<r>.json``. An embedlayer
error is written there too (``{"error": type, "message": ...}``) and exits with code 1.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path


def _tokens(files: list[str], rank: int, world: int):
    from embedlayer.corpus.shard import TextShard
    from embedlayer.text import TokenStream, get_tokenizer

    return TokenStream(TextShard(files, part=rank, parts=world),
                       get_tokenizer("regex", lowercase=True))


def _count(spec: dict, group) -> dict:
    from embedlayer.dist import build_shared_vocab

    vocab, merged, local = build_shared_vocab(group, _tokens(spec["files"], group.rank,
                                                            group.world_size))
    return {"counts": dict(merged.items()), "tokens": merged.tokens,
            "sentences": merged.sentences, "local_tokens": local.tokens,
            "vocab": vocab.tokens[:50]}


def _word2vec(spec: dict, group) -> dict:
    from embedlayer.dist import train_data_parallel
    from embedlayer.train import FastText, Word2Vec

    cls = FastText if spec.get("trainer") == "fasttext" else Word2Vec
    settings = dict(spec["settings"])
    if spec.get("rank_settings"):  # a deliberately wrong launch: settings differ by rank
        settings.update(spec["rank_settings"][group.rank])
    model = cls(**settings)
    callbacks = []
    kill = spec.get("kill_rank_after")  # [rank, epoch, round]: SIGKILL that rank there
    if kill and group.rank == kill[0]:
        def die(model, epoch, rnd, report):
            if (epoch, rnd) >= (kill[1], kill[2]):
                os.kill(os.getpid(), signal.SIGKILL)
        callbacks.append(die)
    report = train_data_parallel(
        model, group, _tokens(spec["files"], group.rank, group.world_size),
        sync_every=spec["sync_every"], progress=False,
        checkpoint_dir=spec.get("checkpoint"), checkpoint_minutes=spec.get("checkpoint_minutes"),
        resume=spec.get("resume", False), callbacks=callbacks,
        combine=spec.get("combine", "sum"))
    out = {"report": report.to_dict(), "loss": model.loss_history_,
           "vocab_size": len(model.vocab_)}
    if group.rank == 0 and spec.get("vectors"):
        model.save_vectors(spec["vectors"])
    return out


def _lost(spec: dict, group) -> dict:
    from embedlayer.dist.group import exchange

    if group.rank == 1:
        time.sleep(spec["sleep"])  # a rank that hangs: never reaches the collective in time
        return {}
    start = time.monotonic()
    try:
        exchange(group, b"x", "the test exchange")
    finally:
        Path(spec["out"], "elapsed.json").write_text(json.dumps(time.monotonic() - start))
    return {}


def _classify(spec: dict, group) -> dict:
    from embedlayer.dist import fit_classifier_ddp
    from embedlayer.tasks import TextClassifier

    data = json.loads(Path(spec["data"]).read_text())
    clf = TextClassifier(spec["encoder"], **spec["settings"])
    fit_classifier_ddp(clf, group, data["train"][0], data["train"][1], progress=False)
    acc = clf.evaluate(data["test"][0], data["test"][1]).accuracy
    weights = [float(p.detach().double().sum()) for p in clf.model_.parameters()]
    return {"accuracy": acc, "epochs": len(clf.history_), "first_weights": weights}


def _glove(spec: dict, group) -> dict:
    from embedlayer.dist import fit_glove_distributed
    from embedlayer.train import GloVe

    out = {}
    for name, extra in spec["runs"].items():  # count only (work_dir kept) or count and train
        model = GloVe(**{**spec["settings"], **extra["settings"]})
        fit_glove_distributed(model, group, _tokens(spec["files"], group.rank,
                                                    group.world_size),
                              progress=False, work_dir=extra.get("work_dir"),
                              train=extra.get("train", True))
        out[name] = {"words": model.words_, "vocab_size": len(model.vocab_),
                     "fitted": hasattr(model, "W_")}
        if extra.get("vectors") and group.is_main:
            model.save_vectors(extra["vectors"])
            out[name]["loss"] = model.loss_history_
    return out


def _weights(net) -> list[float]:
    return [float(p.detach().double().sum()) for p in net.parameters()]


def _tag(spec: dict, group) -> dict:
    from embedlayer.dist import fit_tagger_ddp
    from embedlayer.tasks import SequenceTagger
    from embedlayer.tasks.tag import TaggerConfig

    data = json.loads(Path(spec["data"]).read_text())
    tagger = SequenceTagger(TaggerConfig(**spec["settings"]), workers=1)
    fit_tagger_ddp(tagger, group, *data["train"], validation=tuple(data["dev"]), progress=False)
    report = tagger.evaluate(*data["test"])
    return {"f1": report.f1, "accuracy": report.accuracy, "epochs": len(tagger.history_),
            "best_epoch": tagger.best_epoch_, "weights": _weights(tagger.model_)}


def _lm(spec: dict, group) -> dict:
    from embedlayer.dist import fit_lm_ddp
    from embedlayer.tasks.lm.model import CausalLM, LMConfig

    lines = json.loads(Path(spec["data"]).read_text())
    lm = CausalLM(LMConfig(**spec["settings"]), workers=1)
    fit_lm_ddp(lm, group, lines["train"], output=spec.get("output"), progress=False)
    score = lm.evaluate(lines["test"])
    return {"perplexity": score.perplexity, "history": [r.to_dict() for r in lm.history_],
            "weights": _weights(lm.model_)}


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    from embedlayer.dist import process_group
    from embedlayer.errors import EmbedlayerError

    rank = int(os.environ["RANK"])
    out = Path(spec["out"], f"rank{rank}.json")
    try:
        with process_group(timeout=spec.get("timeout", 30)) as group:
            result = {"count": _count, "word2vec": _word2vec, "lost": _lost,
                      "classify": _classify, "glove": _glove, "tag": _tag, "lm": _lm}[spec["scenario"]](spec, group)
    except EmbedlayerError as exc:
        out.write_text(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
        return 1
    except BaseException:
        out.write_text(json.dumps({"error": "crash", "message": traceback.format_exc()}))
        raise
    out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
