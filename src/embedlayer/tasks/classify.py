"""`TextClassifier`: texts -> tokens -> ``EmbeddingLayer`` -> encoder -> labels.

What it holds: the estimator (the constructor stores a :class:`ClassifierConfig`; ``fit``
validates, tokenizes, builds the vocabulary over the training texts, trains, and returns
``self``; learned state ends in ``_``), ``predict`` / ``predict_proba`` / ``evaluate``, saving
to and loading from a pickle-free folder. k-fold cross-validation lives in ``tasks.crossval``.
The founding example is the default: ``Embedding -> LSTM(64) -> Dense`` with a sigmoid for
two classes (softmax for more), Adam, binary cross-entropy, 10 epochs of batches of 32.

Defined answers for odd input:

- a text with no tokens (``""``, blanks, only unknown characters) is encoded as one ``<unk>``
  token, in training and in prediction: it gets the model's answer for an unknown word;
- words not seen in training map to ``<unk>`` (with ``vocab_from_vectors``, every word of the
  pretrained vectors has a row too, left as it was pretrained when training never sees it);
- labels are strings (other values are turned into ``str``); classes are sorted, so
  ``labels_[i]`` names column ``i`` of ``predict_proba``.

Errors: no training examples (``CorpusError``), a single class, texts and labels of different
lengths, or labels in ``evaluate`` that the model never saw (``ConfigError``).

With the encoder ``transformer`` (a ``TransformerConfig``), the texts go through the
checkpoint's own fast tokenizer instead of a word tokenizer and vocabulary, the transformer
(``embedlayer.contextual.ContextualEmbedding``) is the embedding layer, fine-tuned
(``freeze=False``), fixed (``True``) or fixed for N epochs, and its pooled vector goes through
dropout to the linear head. ``max_length`` then counts sub-word tokens, special tokens
included (None: the checkpoint's limit, 512 for BERT); texts cut to it are counted
(``truncated_``: training texts) and never cut silently. An empty text is ``[CLS] [SEP]``.
The constructor's optimizer defaults are the founding example's (Adam at 1e-3 for every
weight), far too large a rate for a pretrained transformer: start from
``tasks.presets.recommended("transformer", pretrained=False)`` (BERT's fine-tuning recipe,
what ``embedlayer classify train --encoder transformer`` uses).

The saved folder holds ``config.json`` (format ``embedlayer.text-classifier``, version 3: the
labels, the settings, the encoder, the tokenizer pipeline, the embedding layer's config, the
training history, and the size and sha256 of the other files, checked on load),
``vocab.json`` and ``model.safetensors`` (the torch state dict). A transformer classifier has
no ``vocab.json`` and a null tokenizer: its ``model.safetensors`` holds the head (and scalar
mix), and the subfolder ``transformer/`` the fine-tuned transformer as a checkpoint folder
(``config.json``, ``model.safetensors``, ``tokenizer.json``; see ``tasks/_contextual.py``).
Loading also reads version 2 folders (before the settings ``warmup`` and
``decoupled_weight_decay``: their defaults) and version 1 (no digests; ``lr`` for
``learning_rate``). A malformed ``config.json`` is a ``FormatError`` naming the field.
What it leaves out: the training loop (``tasks/_training.py``), encoders (``nn/encoders.py``),
the transformer's module and files (``contextual/module.py``, ``tasks/_contextual.py``),
metrics (``tasks/metrics.py``) and file readers (``embedlayer.data.classify``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from embedlayer._atomic import atomic_folder
from embedlayer._types import Float64Array, IntArray, PathLike
from embedlayer.errors import (
    ConfigError,
    CorpusError,
    FormatError,
    MissingFileError,
)
from embedlayer.nn import EmbeddingLayer
from embedlayer.nn._threads import torch_threads
from embedlayer.nn.compressed import embedding_from_config
from embedlayer.nn.encoders import (
    EncoderConfig,
    EncoderKind,
    TransformerConfig,
    build_encoder,
    encoder_config,
    encoder_config_dict,
)
from embedlayer.tasks._classify_config import (
    FORMAT,
    FORMAT_VERSION,
    ClassifierConfig,
    parse_config,
    parse_training,
    read_config,
)
from embedlayer.tasks._folder import check_digests, file_digest, with_vector_words
from embedlayer.tasks._training import (
    ClassifierNet,
    EpochRecord,
    forward_all,
    stratified_split,
    train,
)
from embedlayer.tasks.metrics import ClassificationReport, classification_report
from embedlayer.text import TokenizerPipeline, get_tokenizer
from embedlayer.vectors.base import VectorStore
from embedlayer.vocab import PAD, UNK, TokenCounter, load_vocab, save_vocab

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Callback",
    "ClassifierConfig",
    "TextClassifier",
]

_FILES = frozenset({"config.json", "vocab.json", "model.safetensors"})
_FOLDERS = frozenset({"transformer"})  # a transformer classifier's subfolder
_HASHED = ("model.safetensors", "vocab.json")  # files whose sha256 config.json records
_PREDICT_BATCH = 256

# callback(model, epoch, record) after each epoch: the trainers' signature (epoch from 0).
Callback = Callable[["TextClassifier", int, EpochRecord], None]


class TextClassifier:
    """A text classifier over an ``EmbeddingLayer``, trained with Adam.

    >>> clf = TextClassifier("cnn", vectors=vectors, freeze=1).fit(texts, labels)  # doctest: +SKIP
    >>> clf.predict(["a gripping, beautifully acted film"])  # doctest: +SKIP
    ['pos']

    ``workers`` is the number of torch CPU threads used while training and predicting (None:
    torch's setting, left alone); the caller's setting is restored afterwards.
    """

    def __init__(
        self,
        encoder: EncoderKind | EncoderConfig = "lstm",
        *,
        vectors: VectorStore | None = None,
        tokenizer: str | TokenizerPipeline = "regex",
        lowercase: bool = True,
        min_count: int = 1,
        max_vocab: int | None = None,
        vocab_from_vectors: bool = False,
        max_length: int | None = None,
        dim: int | None = None,
        oov_init: str = "normal",
        freeze: bool | int = False,
        embedding_dropout: float = 0.0,
        sparse: bool = True,
        embedding_rank: int | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        embedding_learning_rate: float | None = None,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        warmup: float | None = None,
        clip_norm: float | None = None,
        patience: int | None = 3,
        dev_split: float = 0.1,
        refit: bool = False,
        seed: int = 0,
        workers: int | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.config = ClassifierConfig(
            lowercase=lowercase, min_count=min_count, max_vocab=max_vocab,
            vocab_from_vectors=vocab_from_vectors, max_length=max_length, dim=dim,
            oov_init=oov_init, freeze=freeze, embedding_dropout=embedding_dropout,
            sparse=sparse, embedding_rank=embedding_rank, epochs=epochs,
            batch_size=batch_size, learning_rate=learning_rate,
            embedding_learning_rate=embedding_learning_rate, weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay, warmup=warmup, clip_norm=clip_norm,
            patience=patience, dev_split=dev_split, refit=refit, seed=seed,
        ).check()
        self.encoder = encoder_config(encoder) if isinstance(encoder, str) else encoder
        if isinstance(self.encoder, TransformerConfig) and vectors is not None:
            raise ConfigError("TextClassifier: the transformer encoder brings its own token "
                              "embeddings; leave vectors out")
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.workers = _check_workers(workers)
        self.device = torch.device(device)

    @classmethod
    def from_config(
        cls, config: ClassifierConfig, encoder: EncoderKind | EncoderConfig = "lstm", *,
        vectors: VectorStore | None = None, tokenizer: str | TokenizerPipeline = "regex",
        workers: int | None = None, device: str | torch.device = "cpu",
    ) -> TextClassifier:
        return cls(encoder, vectors=vectors, tokenizer=tokenizer, workers=workers,
                   device=device, **asdict(config))

    # --- training --------------------------------------------------------------------------
    def fit(
        self, texts: Sequence[str], labels: Sequence[Any], *,
        validation: tuple[Sequence[str], Sequence[Any]] | None = None,
        progress: bool = True,
        callbacks: Sequence[Callback] = (),
    ) -> TextClassifier:
        """Train on ``texts`` / ``labels``; early stopping on ``validation``, else on a held-out
        ``dev_split`` of the training data (none when ``dev_split`` is 0). With ``refit`` (and
        a ``dev_split``), the model kept is a fresh one trained on all of ``texts`` for the
        ``best_epoch_`` epochs chosen on the held-out part; ``history_`` records the first.

        ``callbacks`` are called as ``callback(model, epoch, record)`` after each epoch (the
        trainers' signature: ``epoch`` counts from 0, ``record`` is that epoch's
        :class:`EpochRecord`); with ``refit``, again for each epoch of the final run."""
        start = time.perf_counter()
        cfg = self.config.check()
        texts, str_labels = _check_examples(texts, labels, "fit")
        if not texts:
            raise CorpusError("TextClassifier.fit: no training examples (the training data "
                              "is empty)")
        classes = sorted(set(str_labels))
        if len(classes) < 2:
            raise ConfigError(f"TextClassifier.fit: all {len(texts):,} training examples have "
                              f"the label {classes[0]!r}; a classifier needs at least 2 classes")
        self.labels_ = tuple(classes)
        self.truncated_ = 0
        first = None
        if self._contextual:
            # The checkpoint's own tokenizer. The pretrained transformer read here is the
            # first training run's (a refit reads it afresh); seeded, as anything random in
            # it (weights a checkpoint lacks) must repeat.
            self.tokenizer_ = self.vocab_ = None
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(cfg.seed)
                first = self._subwords = self._contextual_embedding()
            seqs, self.truncated_ = first.tokenize(texts)
        else:
            tok = self.tokenizer
            self.tokenizer_ = get_tokenizer(tok, lowercase=cfg.lowercase) \
                if isinstance(tok, str) else tok
            tokens = self._tokenize(texts)
            counter = TokenCounter().update_many(tokens)
            self.vocab_ = counter.to_vocab(min_count=cfg.min_count, max_vocab=cfg.max_vocab,
                                           specials=[PAD, UNK])
            if cfg.vocab_from_vectors and self.vectors is not None:
                self.vocab_ = with_vector_words(self.vocab_, self.vectors)
            seqs = [self._encode(t) for t in tokens]
        y = self._label_ids(str_labels, "fit")

        rng = np.random.default_rng(cfg.seed)
        val = None
        everything = (seqs, y)
        if validation is not None:
            vt, vl = _check_examples(validation[0], validation[1], "fit(validation=...)")
            if vt:
                val = (self._sequences(vt), self._label_ids(vl, "fit(validation=...)"))
        elif cfg.dev_split > 0:
            keep, held = stratified_split(y, cfg.dev_split, rng)
            if len(held):
                val = ([seqs[i] for i in held], y[held])
                seqs, y = [seqs[i] for i in keep], y[keep]

        def on_epoch_end(epoch: int, record: EpochRecord) -> None:
            for callback in callbacks:
                callback(self, epoch, record)

        # The caller's global RNG is left as it was; torch.manual_seed seeds every device.
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch_threads(self.workers):
            torch.manual_seed(cfg.seed)
            history, best = self._train(seqs, y, val, cfg.epochs, rng, progress, on_epoch_end,
                                        embedding=first)
            del first
            if cfg.refit and validation is None and len(seqs) < len(everything[0]):
                torch.manual_seed(cfg.seed)
                # all the data, the chosen epochs
                self._train(*everything, None, best, rng, progress, on_epoch_end)
        self.model_.eval()
        self.history_: list[EpochRecord] = history
        self.best_epoch_ = best
        self.train_seconds_ = time.perf_counter() - start  # the whole fit, tokenizing included
        self.coverage_ = getattr(self.model_.embedding, "coverage", None)
        if self._contextual:
            self._subwords = self.model_.embedding
        return self

    def _train(
        self, seqs: list[IntArray], y: IntArray, val: tuple[list[IntArray], IntArray] | None,
        epochs: int, rng: np.random.Generator, progress: bool,
        on_epoch_end: Callable[[int, EpochRecord], None], embedding: torch.nn.Module | None = None,
    ) -> tuple[list[EpochRecord], int]:
        cfg = self.config
        self.model_ = self._build_net(vectors=self.vectors, embedding=embedding).to(self.device)
        return train(
            self.model_, seqs, y, val=val, pad_id=self._pad_id, epochs=epochs,
            batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
            embedding_learning_rate=cfg.embedding_learning_rate,
            weight_decay=cfg.weight_decay, clip_norm=cfg.clip_norm, patience=cfg.patience,
            rng=rng, device=self.device, progress=progress,
            on_epoch_start=self.model_.embedding.on_epoch_start, on_epoch_end=on_epoch_end,
            decoupled_weight_decay=cfg.decoupled_weight_decay, warmup=cfg.warmup,
            # Set by embedlayer.dist.fit_classifier_ddp only (a data-parallel run); None here.
            parallel=getattr(self, "_parallel", None))

    def compress_embedding(self, method: str = "int8") -> TextClassifier:
        """Replace the trained embedding matrix by a compressed layer, in place (post-training
        compression; the rest of the network is unchanged). ``method``: ``"int8"``,
        ``"int4"`` (``":axis=dim"`` for a scale per dimension), ``"pq:m=..."`` (product
        quantization, ``embedlayer.compress.fit_pq``'s options) or ``"lowrank:rank=..."``
        (truncated SVD). The padding row stays exactly zero. ``save`` / ``load`` keep the
        compressed layer. Returns self."""
        from embedlayer.tasks._compressed import compressed_layer

        self._check_fitted("compress_embedding")
        new = compressed_layer(self.model_.embedding, method, "TextClassifier.compress_embedding")
        self.model_.embedding = new.to(self.device)
        self.model_.eval()
        return self

    @property
    def _contextual(self) -> bool:
        """Whether the embedding layer is a transformer (the ``transformer`` encoder)."""
        return isinstance(self.encoder, TransformerConfig)

    def _contextual_embedding(self) -> torch.nn.Module:
        from embedlayer.tasks import _contextual

        assert isinstance(self.encoder, TransformerConfig)
        return _contextual.build_embedding(self.encoder, freeze=self.config.freeze,
                                           max_length=self.config.max_length)

    def _build_net(self, *, vectors: VectorStore | None,
                   embedding: torch.nn.Module | None = None) -> ClassifierNet:
        cfg = self.config
        if isinstance(self.encoder, TransformerConfig):
            from embedlayer.tasks import _contextual

            emb = embedding if embedding is not None else self._contextual_embedding()
            return _contextual.build_net(emb, self.encoder, len(self.labels_))
        dim = cfg.dim if cfg.dim is not None or vectors is not None else 100
        if cfg.embedding_rank is not None:
            from embedlayer.nn import LowRankEmbedding

            if cfg.oov_init != "normal":
                raise ConfigError("TextClassifier: embedding_rank builds its start from the "
                                  "vectors and normal rows (oov_init='normal' only)")
            embedding: torch.nn.Module = LowRankEmbedding(
                self.vocab_, dim if cfg.dim is not None or vectors is None else None,
                cfg.embedding_rank, vectors=vectors, seed=cfg.seed, freeze=cfg.freeze)
        else:
            embedding = EmbeddingLayer(self.vocab_, dim, vectors=vectors,
                                       oov_init=cfg.oov_init, freeze=cfg.freeze,
                                       dropout=cfg.embedding_dropout, sparse=cfg.sparse,
                                       seed=cfg.seed)
        encoder = build_encoder(self.encoder, embedding.dim)
        return ClassifierNet(embedding, encoder, len(self.labels_))

    # --- encoding --------------------------------------------------------------------------
    @property
    def _pad_id(self) -> int:
        if self._contextual:
            from embedlayer.contextual.module import PAD_ID

            return PAD_ID
        pad = self.vocab_.pad_id
        assert pad is not None  # the vocabulary is always built with <pad>
        return pad

    def _sequences(self, texts: Sequence[str]) -> list[IntArray]:
        """The id array of each text (the transformer's sub-words, or the vocabulary's words)."""
        if self._contextual:
            return self._subwords.tokenize(texts)[0]
        return [self._encode(t) for t in self._tokenize(texts)]

    def _tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        limit = self.config.max_length
        out = list(self.tokenizer_.tokenize_many(texts))
        return out if limit is None else [t[:limit] for t in out]

    def _encode(self, tokens: list[str]) -> IntArray:
        ids = self.vocab_.encode(tokens, oov="unk").astype(np.int64)
        if ids.size == 0:  # no tokens: one <unk> (see the module docstring)
            ids = np.array([self.vocab_.unk_id], dtype=np.int64)
        return ids

    def _label_ids(self, labels: Sequence[str], where: str) -> IntArray:
        index = {label: i for i, label in enumerate(self.labels_)}
        unseen = sorted(set(labels) - set(index))
        if unseen:
            shown = ", ".join(repr(u) for u in unseen[:5])
            more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
            raise ConfigError(f"TextClassifier.{where}: label(s) {shown}{more} were not seen in "
                              f"training; the model knows {list(self.labels_)}")
        return np.array([index[label] for label in labels], dtype=np.int64)

    def _check_fitted(self, what: str) -> None:
        if not hasattr(self, "model_"):
            raise ConfigError(f"TextClassifier.{what}: the classifier is not trained; call fit() "
                              "or TextClassifier.load() first")

    def _logits(self, texts: Sequence[str]) -> torch.Tensor:
        seqs = self._sequences(texts)
        with torch_threads(self.workers):
            return forward_all(self.model_, seqs, self._pad_id, _PREDICT_BATCH, self.device)

    # --- using it ----------------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str]) -> Float64Array:
        """(N, C) class probabilities; column ``i`` is ``labels_[i]``."""
        self._check_fitted("predict_proba")
        texts = _check_texts(texts, "predict_proba")
        with torch.no_grad():
            probs = self.model_.probabilities(self._logits(texts))
        return probs.numpy().astype(np.float64).reshape(len(texts), len(self.labels_))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        probs = self.predict_proba(texts)
        return [self.labels_[i] for i in probs.argmax(axis=1)]

    def evaluate(self, texts: Sequence[str], labels: Sequence[Any]) -> ClassificationReport:
        """Loss, accuracy, precision / recall / F1 (per class and macro) and the confusion."""
        self._check_fitted("evaluate")
        texts, str_labels = _check_examples(texts, labels, "evaluate")
        if not texts:
            raise CorpusError("TextClassifier.evaluate: no examples to evaluate")
        y = self._label_ids(str_labels, "evaluate")
        logits = self._logits(texts)
        with torch.no_grad():
            loss = float(self.model_.loss(logits, torch.from_numpy(y)).item())
            pred = self.model_.probabilities(logits).argmax(dim=1).numpy()
        return classification_report(y, pred, self.labels_, loss=loss)

    # --- saving ----------------------------------------------------------------------------
    def save(self, path: PathLike) -> Path:
        """Write the model folder (atomically); see the module docstring for its files."""
        from safetensors.torch import save_file

        self._check_fitted("save")
        target = Path(path)
        doc: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": list(self.labels_),
            "classifier": asdict(self.config),
            "encoder": encoder_config_dict(self.encoder),
            "tokenizer": None if self._contextual else self.tokenizer_.to_dict(),
            "embedding": self.model_.embedding.config(),
            "training": {"best_epoch": self.best_epoch_, "seconds": self.train_seconds_,
                         "truncated": self.truncated_,
                         "history": [r.to_dict() for r in self.history_]},
        }
        with atomic_folder(target, fmt="a text classifier", allowed=_FILES,
                           folders=_FOLDERS) as tmp:
            if self._contextual:
                from embedlayer.tasks import _contextual

                _contextual.save_net(self.model_, tmp, FORMAT)
                hashed: tuple[str, ...] = _contextual.HASHED
            else:
                state = {k: v.detach().to("cpu").contiguous() for k, v in
                         self.model_.state_dict().items()}
                save_vocab(self.vocab_, tmp / "vocab.json")
                save_file(state, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
                hashed = _HASHED
            # Written last, so it can record the digests of the files it describes.
            doc["files"] = {name: file_digest(tmp / name) for name in hashed}
            with open(tmp / "config.json", "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
        return target

    @classmethod
    def load(cls, path: PathLike, *, workers: int | None = None,
             device: str | torch.device = "cpu", progress: bool = True) -> TextClassifier:
        """Read a folder written by :meth:`save`; ``FormatError`` names what is wrong.

        The weight and vocabulary files must match the sha256 digests that ``config.json``
        records (folders of format version 1, which predate them, are read without).
        ``progress`` is accepted like every loader's; reading a classifier shows no bar.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        del progress  # nothing here runs long enough for a bar
        folder = Path(path)
        if not folder.is_dir():
            raise MissingFileError(f"{folder}: no such model folder (expected a folder written "
                                   "by `embedlayer classify train` or TextClassifier.save)")
        where = folder / "config.json"
        transformer = (folder / "transformer").is_dir()
        if transformer:
            from embedlayer.tasks import _contextual

            expected = ["config.json", *_contextual.HASHED]
        else:
            expected = sorted(_FILES)
        for name in expected:
            if not (folder / name).is_file():
                raise MissingFileError(f"{folder}: {name} is missing; not a text-classifier "
                                       f"folder (expected {', '.join(sorted(set(expected)))})")
        doc = read_config(where)
        config, encoder, tokenizer, labels = parse_config(where, doc)
        if transformer != isinstance(encoder, TransformerConfig):
            kind = encoder_config_dict(encoder)["kind"]
            raise FormatError(f"{where}: field 'encoder' is {kind!r}, but the folder "
                              f"{'has' if transformer else 'lacks'} a transformer/ subfolder")
        if doc["format_version"] >= 2:
            check_digests(folder, doc["files"],
                          _contextual.HASHED if transformer else _HASHED)
        model = cls.from_config(config, encoder, tokenizer=tokenizer or "regex",
                                workers=workers, device=device)
        model.tokenizer_ = tokenizer
        model.labels_ = tuple(labels)
        model.history_, model.best_epoch_, model.train_seconds_ = parse_training(where, doc)
        model.truncated_ = doc["training"].get("truncated", 0) if isinstance(
            doc.get("training"), dict) else 0
        if transformer:
            net = _contextual.load_net(folder, doc["embedding"], encoder, len(labels),
                                       freeze=config.freeze, max_length=config.max_length)
            model.vocab_ = None
            model.model_ = net.to(model.device).eval()
            model._subwords = net.embedding
            model.coverage_ = None
            return model
        model.vocab_ = load_vocab(folder / "vocab.json")
        try:
            embedding = embedding_from_config(model.vocab_, doc["embedding"])
        except (KeyError, TypeError, ValueError, ConfigError) as exc:
            raise FormatError(f"{where}: field 'embedding': {exc}") from None
        try:
            net = ClassifierNet(embedding, build_encoder(encoder, embedding.dim), len(labels))
        except (TypeError, ValueError, ConfigError) as exc:
            raise FormatError(f"{where}: fields 'encoder' and 'embedding' do not make a "
                              f"model ({exc})") from None
        weights = folder / "model.safetensors"
        try:
            state = load_file(str(weights))
        except (SafetensorError, OSError, ValueError) as exc:
            raise FormatError(f"{weights}: not a safetensors file ({exc})") from None
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0][:200]
            raise FormatError(f"{weights}: the weights do not fit the model described in "
                              f"config.json ({first})") from None
        bad = next((k for k, v in state.items() if v.is_floating_point()
                    and not bool(torch.isfinite(v).all())), None)
        if bad is not None:  # a damaged file of a version without digests
            raise FormatError(f"{weights}: tensor {bad!r} holds NaN or infinite values")
        model.model_ = net.to(model.device).eval()
        model.coverage_ = getattr(embedding, "coverage", None)
        return model

    def __repr__(self) -> str:
        if not hasattr(self, "model_"):
            state = "not trained"
        elif self.vocab_ is None:
            state = f"{len(self.labels_)} classes, {self.model_.embedding.name}"
        else:
            state = f"{len(self.labels_)} classes, {len(self.vocab_):,} words"
        return f"TextClassifier({encoder_config_dict(self.encoder)}, {state})"


def _check_workers(workers: int | None) -> int | None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ConfigError(f"TextClassifier: workers must be an int >= 1 or None, got "
                          f"{workers!r}")
    return workers


def _check_texts(texts: Sequence[str], where: str) -> list[str]:
    if isinstance(texts, str):
        raise ConfigError(f"TextClassifier.{where}: expected a sequence of texts, got one "
                          "string; wrap it in a list")
    out = list(texts)
    bad = next((i for i, t in enumerate(out) if not isinstance(t, str)), None)
    if bad is not None:
        raise ConfigError(f"TextClassifier.{where}: text {bad} is a "
                          f"{type(out[bad]).__name__}, expected a string")
    return out


def _check_examples(
    texts: Sequence[str], labels: Sequence[Any], where: str,
) -> tuple[list[str], list[str]]:
    texts = _check_texts(texts, where)
    if isinstance(labels, str):
        raise ConfigError(f"TextClassifier.{where}: expected a sequence of labels, got one string")
    str_labels = [str(y) for y in labels]
    if len(str_labels) != len(texts):
        raise ConfigError(f"TextClassifier.{where}: {len(texts):,} texts but "
                          f"{len(str_labels):,} labels; expected one label per text")
    return texts, str_labels
