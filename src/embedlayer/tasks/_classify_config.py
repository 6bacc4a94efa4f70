"""The settings of a ``TextClassifier`` and its saved folder's ``config.json``.

What it holds: :class:`ClassifierConfig` (every setting with its default, checked by
``check``) and the reading of ``config.json`` into settings, encoder, tokenizer, labels and
training record (versions 1 to 3; every problem a ``FormatError`` naming the field).
What it leaves out: the estimator, training and writing the folder (``tasks.classify``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from embedlayer._jsondoc import read_json_doc
from embedlayer.errors import ConfigError, EmbedlayerError, FormatError
from embedlayer.nn._init import OOV_INITS
from embedlayer.nn.encoders import EncoderConfig, TransformerConfig, encoder_config
from embedlayer.tasks._training import EpochRecord
from embedlayer.text import TokenizerPipeline, pipeline_from_dict

__all__ = ["FORMAT", "FORMAT_VERSION", "ClassifierConfig", "parse_config", "parse_training",
           "read_config"]

FORMAT = "embedlayer.text-classifier"
# 2: config.json records the sha256 of the weight and vocabulary files; 3: transformer
# classifiers (a transformer/ subfolder), the settings warmup and decoupled_weight_decay
FORMAT_VERSION = 3


@dataclass(frozen=True)
class ClassifierConfig:
    """Settings of a ``TextClassifier`` (the encoder's own settings live in its config)."""

    lowercase: bool = True  # lower-case before tokenizing (when the tokenizer is given by name)
    min_count: int = 1  # vocabulary: training words seen at least this often; others -> <unk>
    max_vocab: int | None = None  # keep at most this many words (the most frequent)
    vocab_from_vectors: bool = False  # also give every word of the pretrained vectors a row
    max_length: int | None = None  # tokens kept per text (the first ones); None: all
    dim: int | None = None  # embedding size; None: the vectors' size, else 100
    oov_init: str = "normal"  # rows without a pretrained vector (EmbeddingLayer's oov_init)
    freeze: bool | int = False  # embedding matrix: fixed, trained, or fixed for N epochs
    embedding_dropout: float = 0.0  # drops whole word vectors while training
    sparse: bool = True  # sparse gradients for the embedding matrix, trained by lazy Adam
    # (only the rows a batch uses move); False: dense Adam over the whole matrix every step
    embedding_rank: int | None = None  # train a low-rank embedding A @ B of this rank
    # (nn.LowRankEmbedding, started from the SVD of the usual initial matrix) instead of the
    # full matrix; None: the full matrix
    epochs: int = 10  # at most this many passes over the training data
    batch_size: int = 32
    learning_rate: float = 1e-3  # Adam's learning rate (a transformer: its head's and mix's)
    embedding_learning_rate: float | None = None  # the embedding matrix's own rate (None:
    # learning_rate); a small one fine-tunes pretrained vectors gently (Adam moves every row
    # it sees by about the learning rate a step)
    weight_decay: float = 0.0  # Adam's L2 penalty (AdamW's decay with decoupled_weight_decay)
    decoupled_weight_decay: bool = False  # AdamW: decay the weights directly, not through the
    # gradient, and leave biases and normalization weights undecayed (BERT's recipe)
    warmup: float | None = None  # share of the steps over which the rates rise linearly from
    # 0, after which they fall linearly to 0 at the last step; None: constant rates
    clip_norm: float | None = None  # clip the gradient's global norm to this; None: no clipping
    patience: int | None = 3  # stop after this many epochs without a better held-out score
    dev_split: float = 0.1  # share of the training data held out for early stopping (no val)
    refit: bool = False  # then train a fresh model on all of it for the epochs chosen there
    seed: int = 0  # weights, dropout, shuffling and the held-out split derive from it

    def check(self) -> ClassifierConfig:
        def bad(name: str, expected: str) -> ConfigError:
            return ConfigError(f"ClassifierConfig: {name} must be {expected}, got "
                               f"{getattr(self, name)!r}")

        def is_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        for name in ("lowercase", "vocab_from_vectors", "refit", "sparse",
                     "decoupled_weight_decay"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "True or False")
        for name in ("min_count", "epochs", "batch_size"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "an int >= 1")
        for name in ("max_vocab", "max_length", "dim", "patience", "embedding_rank"):
            v = getattr(self, name)
            if v is not None and (not is_int(v) or v < 1):
                raise bad(name, "an int >= 1 or None")
        if not is_int(self.seed) or self.seed < 0:
            raise bad("seed", "an int >= 0")
        if not isinstance(self.freeze, bool) and (not is_int(self.freeze) or self.freeze < 0):
            raise bad("freeze", "True, False or a number of epochs >= 0")
        for name in ("learning_rate", "embedding_learning_rate", "weight_decay", "clip_norm"):
            v = getattr(self, name)
            if v is None and name in ("embedding_learning_rate", "clip_norm"):
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                    or v < 0 or (v == 0 and name != "weight_decay"):
                expected = "a finite number >= 0" if name == "weight_decay" else \
                    "a finite number > 0" + ("" if name == "learning_rate" else " or None")
                raise bad(name, expected)
        if self.oov_init not in OOV_INITS:
            raise bad("oov_init", f"one of {', '.join(OOV_INITS)}")
        if self.embedding_rank is not None and self.embedding_dropout > 0:
            raise ConfigError("ClassifierConfig: embedding_rank (a low-rank embedding) does "
                              "not combine with embedding_dropout")
        for name in ("embedding_dropout", "dev_split", "warmup"):
            v = getattr(self, name)
            if v is None and name == "warmup":
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v < 1.0:
                raise bad(name, "a number in [0, 1)" + (" or None" if name == "warmup" else ""))
        return self



# --- the saved folder's config.json -----------------------------------------------------------
_LEGACY_NAMES = {"lr": "learning_rate", "embedding_lr": "embedding_learning_rate"}  # version 1
_CONFIG_FIELDS = ("labels", "classifier", "encoder", "tokenizer", "embedding")
_ADDED_IN_3 = {"decoupled_weight_decay": False, "warmup": None}  # settings and their defaults


def read_config(where: Path) -> dict[str, Any]:
    """config.json of version 3, of version 2 (before the settings ``_ADDED_IN_3``: their
    defaults), or of version 1 (before file digests)."""
    version = _peek_version(where)
    if version == 1:
        doc = read_json_doc(where, fmt=FORMAT, version=1, required=_CONFIG_FIELDS)
        if isinstance(doc.get("classifier"), dict):
            doc["classifier"] = {_LEGACY_NAMES.get(k, k): v for k, v in doc["classifier"].items()}
    else:
        try:
            doc = read_json_doc(where, fmt=FORMAT, version=2 if version == 2 else FORMAT_VERSION,
                                required=(*_CONFIG_FIELDS, "files"))
        except FormatError as exc:
            if "format_version" in str(exc) and "is not supported" in str(exc):
                raise FormatError(f"{where}: format_version {version!r} is not supported (this "
                                  f"embedlayer reads versions 1 to {FORMAT_VERSION})") from None
            raise
    if version in (1, 2) and isinstance(doc.get("classifier"), dict):
        doc["classifier"] = {**_ADDED_IN_3, **doc["classifier"]}
    return doc


def _peek_version(where: Path) -> Any:
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except (ValueError, OSError):  # read_json_doc reports it
        return None
    return doc.get("format_version") if isinstance(doc, dict) else None


def parse_config(
    where: Path, doc: dict[str, Any],
) -> tuple[ClassifierConfig, EncoderConfig, TokenizerPipeline | None, list[str]]:
    """The settings of a saved classifier; every problem is a ``FormatError`` naming a field."""
    settings = doc["classifier"]
    if not isinstance(settings, dict):
        raise FormatError(f"{where}: field 'classifier' must be an object, got "
                          f"{type(settings).__name__}")
    known = [f.name for f in fields(ClassifierConfig)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise FormatError(f"{where}: field 'classifier.{unknown[0]}' is not a classifier "
                          f"setting (expected {', '.join(known)})")
    missing = [k for k in known if k not in settings]
    if missing:
        raise FormatError(f"{where}: field 'classifier.{missing[0]}' is missing")
    try:
        config = ClassifierConfig(**settings).check()
    except ConfigError as exc:
        raise FormatError(f"{where}: field 'classifier': {exc}") from None

    spec = doc["encoder"]
    if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
        raise FormatError(f"{where}: field 'encoder' must be an object with a 'kind' string, "
                          f"got {spec!r}")
    # Folders saved before the bag encoder's "buckets" became "bucket" (fastText's name).
    renamed = {"buckets": "bucket"} if spec["kind"] == "bag" and "bucket" not in spec else {}
    try:
        encoder = encoder_config(spec["kind"], {renamed.get(k, k): (tuple(v) if isinstance(
            v, list) else v) for k, v in spec.items() if k != "kind"})
    except (ConfigError, TypeError, ValueError) as exc:
        raise FormatError(f"{where}: field 'encoder': {exc}") from None

    tokenizer: TokenizerPipeline | None = None
    if isinstance(encoder, TransformerConfig):
        if doc["tokenizer"] is not None:  # the transformer's own is transformer/tokenizer.json
            raise FormatError(f"{where}: field 'tokenizer' must be null for a transformer "
                              f"classifier, got {type(doc['tokenizer']).__name__}")
    elif not isinstance(doc["tokenizer"], dict):
        raise FormatError(f"{where}: field 'tokenizer' must be an object, got "
                          f"{type(doc['tokenizer']).__name__}")
    else:
        try:
            tokenizer = pipeline_from_dict(doc["tokenizer"],
                                           source=f"{where}: field 'tokenizer'")
        except (EmbedlayerError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{where}: field 'tokenizer': {exc}") from None

    labels = doc["labels"]
    if not isinstance(labels, list) or len(labels) < 2 \
            or not all(isinstance(x, str) for x in labels) or len(set(labels)) != len(labels):
        raise FormatError(f"{where}: field 'labels' must list at least 2 distinct strings, "
                          f"got {str(labels)[:80]}")
    if not isinstance(doc["embedding"], dict):
        raise FormatError(f"{where}: field 'embedding' must be an object, got "
                          f"{type(doc['embedding']).__name__}")
    return config, encoder, tokenizer, labels


def parse_training(
    where: Path, doc: dict[str, Any],
) -> tuple[list[EpochRecord], int | None, float | None]:
    """(history, best epoch, seconds) from the optional field 'training' (a record only)."""
    training = doc.get("training", {})
    if not isinstance(training, dict):
        raise FormatError(f"{where}: field 'training' must be an object, got "
                          f"{type(training).__name__}")
    history = training.get("history", [])
    try:
        if not isinstance(history, list):
            raise TypeError(f"expected a list, got {type(history).__name__}")
        records = [EpochRecord(**r) for r in history]
    except TypeError as exc:
        raise FormatError(f"{where}: field 'training.history': {exc}") from None
    best, seconds = training.get("best_epoch"), training.get("seconds")
    if best is not None and (isinstance(best, bool) or not isinstance(best, int)):
        raise FormatError(f"{where}: field 'training.best_epoch' must be an int, got {best!r}")
    if seconds is not None and (isinstance(seconds, bool)
                                or not isinstance(seconds, int | float)):
        raise FormatError(f"{where}: field 'training.seconds' must be a number, got "
                          f"{seconds!r}")
    return records, best, seconds
