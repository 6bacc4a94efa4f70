"""Per-encoder default settings of the text classifier, chosen on development data.

What it holds: :func:`recommended`, the encoder settings and ``TextClassifier`` options that
``embedlayer classify train`` starts from for each encoder (a flag overrides one), with and
without pretrained vectors; ``benchmarks/bench_classify.py`` runs the same settings, so the
documented figures and the CLI's defaults cannot drift apart. How they were chosen: the
learning rate and the dropout or width of each encoder came out of
``benchmarks/search_classify.py`` (a 4-point grid per encoder; every point trained on a fit
part and scored on a held-out development split of TREC's training set (seed 0) and of MR's
first fold's training part, for both initializations; the best mean development accuracy,
MR and TREC weighted equally; no test text read; the run and its table are in
docs/benchmarks.md). The other values (batch sizes, epochs with early stopping, the
initialization policy) are the published ones the grid started from. The Python constructor
keeps its own defaults (the founding example: LSTM(64), 10 epochs of 32, patience 3, no
refit). The ``transformer`` preset is not from a run of ours: it is the usual BERT
fine-tuning recipe (Devlin et al. 2019; Sun et al. 2019, "How to fine-tune BERT for text
classification"), not tuned here. What it leaves out: the estimator (``tasks.classify``) and
the encoders (``nn.encoders``).
"""

from __future__ import annotations

from typing import Any

from embedlayer.errors import ConfigError

__all__ = ["ENCODER_PRESETS", "recommended"]

# Every encoder: early stopping with patience 2 on a held-out 10% picks the number of epochs,
# then a fresh model is trained on all the training data for that many (refit).
_COMMON: dict[str, Any] = {"patience": 2, "refit": True, "dev_split": 0.1}

# encoder kind -> (encoder settings, classifier options)
ENCODER_PRESETS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # The founding example's LSTM(64), batches of 32; rate 3e-3 chosen on development data
    # (grid: rate 1e-3 / 3e-3 x hidden 64 / 128).
    "lstm": ({"hidden": 64}, {"epochs": 10, "batch_size": 32, "learning_rate": 3e-3}),
    # 64 units a direction, max pooling (Conneau et al. 2017, smaller); rate 3e-3 and dropout
    # 0.3 chosen on development data (grid: rate 1e-3 / 3e-3 x dropout 0.5 / 0.3).
    "bilstm": ({"hidden": 64, "dropout": 0.3},
               {"epochs": 10, "batch_size": 50, "learning_rate": 3e-3}),
    # Kim (2014): widths 3/4/5 x 100 maps, batches of 50; dropout 0.3 (Kim's 0.5 was the
    # grid's other value) and rate 1e-3 chosen on development data.
    "cnn": ({"widths": (3, 4, 5), "maps": 100, "dropout": 0.3},
            {"epochs": 10, "batch_size": 50, "learning_rate": 1e-3}),
    # fastText-style mean; rate 2e-3 chosen on development data (grid: 5e-3, 2e-3, 1e-2,
    # 2e-2), more passes than the deeper encoders.
    "bag": ({}, {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}),
    # Fine-tuning all-MiniLM-L6-v2 end to end, BERT's recipe: AdamW with weight decay 0.01
    # (none on biases and LayerNorm), the transformer at 5e-5 and the freshly initialized
    # head at 1e-3, a linear warmup over 10% of the steps then a linear decay, at most 4
    # epochs of 32, texts cut at 128 sub-word tokens (counted), mean pooling, dropout 0.1.
    # No refit: it would fine-tune the transformer a second time from the start, doubling
    # the dearest part; the model kept is the best epoch's on 90% of the data.
    "transformer": ({"checkpoint": "all-MiniLM-L6-v2", "layers": "last", "pooling": "mean",
                     "dropout": 0.1},
                    {"epochs": 4, "batch_size": 32, "learning_rate": 1e-3,
                     "embedding_learning_rate": 5e-5, "weight_decay": 0.01,
                     "decoupled_weight_decay": True, "warmup": 0.1, "max_length": 128,
                     "freeze": False, "refit": False}),
}
# Encoders that bring their own token embeddings: no vectors, dim or vocabulary options.
_OWN_EMBEDDINGS = frozenset({"transformer"})

# Starting from pretrained vectors: fixed for the first epoch (the encoder learns to read
# them), then fine-tuned; every word of the vectors gets a row, so a test word unseen in
# training keeps its pretrained vector instead of <unk>'s.
_PRETRAINED: dict[str, Any] = {"freeze": 1, "vocab_from_vectors": True, "oov_init": "normal"}
# Without vectors: 300 dimensions (the vectors' size in the benchmark), uniform start.
_RANDOM: dict[str, Any] = {"dim": 300, "oov_init": "uniform", "freeze": False,
                           "vocab_from_vectors": False}


def recommended(kind: str, *, pretrained: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(encoder settings, ``TextClassifier`` options): the defaults for encoder ``kind``.

    ``pretrained``: whether the embedding starts from vectors (an encoder that brings its own
    embeddings, ``transformer``, takes none). Fresh dicts: edit them freely.
    """
    if kind not in ENCODER_PRESETS:
        raise ConfigError(f"no preset for encoder {kind!r}; expected one of "
                          f"{', '.join(ENCODER_PRESETS)}")
    encoder, options = ENCODER_PRESETS[kind]
    if kind in _OWN_EMBEDDINGS:
        if pretrained:
            raise ConfigError(f"encoder {kind!r} brings its own token embeddings; it takes "
                              f"no pretrained vectors")
        return dict(encoder), {**_COMMON, **options}
    init = _PRETRAINED if pretrained else _RANDOM
    return dict(encoder), {**_COMMON, **options, **init}
