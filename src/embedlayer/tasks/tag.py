"""`SequenceTagger`: tokens -> words, characters, case -> BiLSTM -> CRF -> one tag per token.

What it holds: the estimator (the constructor stores a :class:`TaggerConfig`; ``fit``
validates, reads the tag scheme, builds the word and character vocabularies over the training
sentences, trains with early stopping on the development F1, and returns ``self``; learned
state ends in ``_``), ``predict`` / ``evaluate`` (conlleval's scores, ``tasks.tagging_metrics``),
saving to and loading from a pickle-free folder, and :func:`read_tagged`, which reads the
token and tag columns of a CoNLL file. Any tag set: NER (IOB1 / IOB2 / IOBES), chunking, or a
plain one such as part-of-speech tags (scheme ``none``).

How it learns (Lample et al. 2016, Ma & Hovy 2016): word vectors from an ``EmbeddingLayer``
(pretrained ``vectors`` from any ``VectorStore`` where they have the word, with the coverage
report in ``coverage_``), looked up in a normalized form (lower-cased, digits made ``0``), a
case class per token that gives back what lower-casing took away, a character CNN or BiLSTM
per word for the words the vectors miss, optional fixed contextual vectors per word from a
transformer (``contextual=``: anything with ``encode_words(sentences)`` and ``identity()``,
such as ``embedlayer.contextual.TransformerEncoder``), a BiLSTM, and a linear-chain CRF whose
transitions forbid the moves the scheme does not allow (``nn.crf``), or a per-token softmax.
Chunk tags are learned in IOBES (``internal_scheme``) and given back in the data's own scheme.
Adam or SGD, gradient clipping, length-bucketed batches, dropout, words seen once replaced by
``<unk>`` half the time, seeded; the pieces of the loop are the classifier's
(``tasks/_training.py``).

Defined answers for odd input: an empty sentence is skipped in training and gets no tags in
prediction; a token is whatever string the list holds (spaces included; its characters are
encoded as they are), but never the empty string (``ConfigError``); a sentence of any length
is tagged whole (memory grows with it; nothing is cut); tokens longer than
``max_word_chars`` characters keep their first and last ``max_word_chars // 2`` characters for
the character encoder. In ``evaluate``, gold tags the model never saw in training are scored
like any other (that type's recall is 0) and counted in the report's ``unknown_tags``; a gold
tag the scheme cannot read (``X-PER`` in IOB2) is a ``FormatError``. Errors: no training
sentence, fewer than 2 tags, a sentence whose tags are not one per token (``ConfigError``).

The saved folder holds ``config.json`` (format ``embedlayer.sequence-tagger``, version 1: the
settings, the schemes, the tag set, the embedding layer's config, the contextual encoder's
identity, the training history, and the size and sha256 of the other files, checked on load),
``vocab.json`` (words), ``chars.json`` (characters) and ``model.safetensors``.
What it leaves out: the network (``tasks/_tagger_net.py``), tag schemes
(``tasks.tagschemes``), scores (``tasks.tagging_metrics``) and the CoNLL reader
(``corpus.conll``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from embedlayer._atomic import atomic_folder
from embedlayer._jsondoc import read_json_doc
from embedlayer._progress import progress_bar
from embedlayer._types import PathLike
from embedlayer.corpus.conll import ConllCorpus
from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError
from embedlayer.nn import EmbeddingLayer
from embedlayer.nn._init import OOV_INITS
from embedlayer.nn._threads import torch_threads
from embedlayer.nn.chars import CHAR_ENCODERS
from embedlayer.nn.compressed import embedding_from_config
from embedlayer.tasks._folder import check_digests, file_digest, with_vector_words
from embedlayer.tasks._tagger_net import Encoded, TaggerNet, collate, encode_sentence, normalizer
from embedlayer.tasks._training import (
    EarlyStopping,
    bucketed_batches,
    make_optimizers,
    optimizer_step,
    sorted_batches,
)
from embedlayer.tasks.tagging_metrics import TaggingReport, tagging_report
from embedlayer.tasks.tagschemes import (
    SCHEMES,
    allowed_transitions,
    check_tags,
    convert,
    detect_scheme,
    split_tag,
)
from embedlayer.vectors.base import VectorStore
from embedlayer.vocab import PAD, UNK, Vocab, load_vocab, save_vocab

__all__ = ["FORMAT", "FORMAT_VERSION", "SequenceTagger", "TagEpoch", "TaggerConfig",
           "read_tagged"]

FORMAT = "embedlayer.sequence-tagger"
FORMAT_VERSION = 1
_FILES = frozenset({"config.json", "vocab.json", "chars.json", "model.safetensors"})
_HASHED = ("model.safetensors", "vocab.json", "chars.json")  # sha256 recorded in config.json
_PREDICT_BATCH = 64


@dataclass(frozen=True)
class TaggerConfig:
    """Settings of a ``SequenceTagger``; defaults after Lample et al. (2016) with Adam."""

    scheme: str | None = None  # the data's tags: iob1, iob2, iobes or none; None: detected
    internal_scheme: Literal["iobes", "same"] = "iobes"  # chunk tags are learned in IOBES
    lowercase: bool = True  # look words up lower-cased (the case class keeps the case)
    zeros: bool = True  # ... with every digit replaced by 0
    min_count: int = 1  # training words seen at least this often get a row; others <unk>
    vocab_from_vectors: bool = True  # every word of the vectors gets a row too
    dim: int | None = None  # word vector size; None: the vectors', else 100
    oov_init: str = "normal"  # rows of words without a pretrained vector (EmbeddingLayer's)
    freeze: bool | int = False  # the word vectors: fixed, trained, or fixed for N epochs
    singleton_unk: float = 0.5  # training words seen once become <unk> with this probability
    case_dim: int = 10  # size of the case-class embedding; 0: no case feature
    char_encoder: Literal["cnn", "bilstm", "none"] = "cnn"  # per-word character encoder
    char_dim: int = 25  # character embedding size
    char_hidden: int = 50  # CNN filters (width 3), or BiLSTM units per direction
    max_word_chars: int = 30  # longer tokens keep their first and last half of this
    hidden: int = 100  # BiLSTM units per direction
    layers: int = 1  # stacked BiLSTM layers
    dropout: float = 0.5  # on the BiLSTM's input and output
    head: Literal["crf", "softmax"] = "crf"  # CRF over the sentence, or per-token softmax
    optimizer: Literal["adam", "sgd"] = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0  # SGD's momentum
    lr_decay: float = 0.0  # learning rate / (1 + lr_decay * epoch) (Ma & Hovy's SGD: 0.05)
    weight_decay: float = 0.0  # L2 penalty
    clip_norm: float | None = 5.0  # clip the gradient's global norm; None: no clipping
    sparse: bool = False  # sparse gradients for the word vectors (lazy Adam)
    epochs: int = 50  # at most this many passes over the training sentences
    batch_size: int = 16  # sentences per step
    patience: int | None = 5  # stop after this many epochs without a better development F1
    seed: int = 0  # weights, dropout, shuffling and <unk> replacement derive from it

    def check(self) -> TaggerConfig:
        def bad(name: str, expected: str) -> ConfigError:
            return ConfigError(f"TaggerConfig: {name} must be {expected}, got "
                               f"{getattr(self, name)!r}")

        def is_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        def is_num(v: Any) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

        if self.scheme is not None and self.scheme not in SCHEMES:
            raise bad("scheme", f"one of {', '.join(SCHEMES)} or None")
        choices = {"internal_scheme": ("iobes", "same"), "oov_init": OOV_INITS,
                   "char_encoder": (*CHAR_ENCODERS, "none"), "head": ("crf", "softmax"),
                   "optimizer": ("adam", "sgd")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise bad(name, f"one of {', '.join(allowed)}")
        for name in ("lowercase", "zeros", "vocab_from_vectors", "sparse"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "True or False")
        for name in ("min_count", "char_dim", "char_hidden", "max_word_chars", "hidden",
                     "layers", "epochs", "batch_size"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "an int >= 1")
        for name in ("case_dim", "seed"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 0:
                raise bad(name, "an int >= 0")
        for name in ("dim", "patience"):
            v = getattr(self, name)
            if v is not None and (not is_int(v) or v < 1):
                raise bad(name, "an int >= 1 or None")
        if not isinstance(self.freeze, bool) and (not is_int(self.freeze) or self.freeze < 0):
            raise bad("freeze", "True, False or a number of epochs >= 0")
        for name in ("singleton_unk", "dropout", "momentum"):
            v = getattr(self, name)
            if not is_num(v) or not 0.0 <= v < 1.0:
                raise bad(name, "a number in [0, 1)")
        for name in ("lr_decay", "weight_decay"):
            if not is_num(getattr(self, name)) or getattr(self, name) < 0:
                raise bad(name, "a finite number >= 0")
        if not is_num(self.learning_rate) or self.learning_rate <= 0:
            raise bad("learning_rate", "a finite number > 0")
        if self.clip_norm is not None and (not is_num(self.clip_norm) or self.clip_norm <= 0):
            raise bad("clip_norm", "a finite number > 0 or None")
        if self.sparse and self.optimizer == "sgd" and self.momentum:
            raise ConfigError("TaggerConfig: sparse word-vector gradients take plain SGD; "
                              "set momentum=0 or sparse=False")
        return self


@dataclass(frozen=True)
class TagEpoch:
    """What one epoch did (the ``history_`` of a fit)."""

    epoch: int  # 1-based
    loss: float  # mean training loss per sentence over the epoch
    val_loss: float | None  # on the development sentences after the epoch; None without
    val_f1: float | None  # entity micro-F1 there (token accuracy's F1 for scheme none)
    val_accuracy: float | None  # token accuracy there
    seconds: float  # the training pass over the sentences
    val_seconds: float  # tagging and scoring the development sentences (0.0 without)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# callback(model, epoch, record) after each epoch (epoch from 0), as the classifier's.
Callback = Callable[["SequenceTagger", int, TagEpoch], None]


class SequenceTagger:
    """A BiLSTM-CRF sequence tagger over an ``EmbeddingLayer`` (see the module docstring).

    >>> tagger = SequenceTagger(TaggerConfig(epochs=30), vectors=vectors)  # doctest: +SKIP
    >>> tagger.fit(sentences, tags, validation=(dev_sentences, dev_tags))  # doctest: +SKIP
    >>> tagger.predict([["Juan", "vive", "en", "Madrid", "."]])  # doctest: +SKIP
    [['B-PER', 'O', 'O', 'B-LOC', 'O']]

    ``workers``: torch CPU threads while training and tagging (None: torch's setting, left
    alone); the caller's setting comes back afterwards.
    """

    def __init__(
        self, config: TaggerConfig | None = None, *, vectors: VectorStore | None = None,
        contextual: Any = None, workers: int | None = None, device: str | torch.device = "cpu",
    ) -> None:
        self.config = (config if config is not None else TaggerConfig()).check()
        if vectors is not None and not isinstance(vectors, VectorStore):
            raise ConfigError(f"SequenceTagger: vectors must be a VectorStore, got "
                              f"{type(vectors).__name__}")
        if contextual is not None and not (hasattr(contextual, "encode_words")
                                           and hasattr(contextual, "identity")):
            raise ConfigError(f"SequenceTagger: contextual must have encode_words() and "
                              f"identity() (a TransformerEncoder), got "
                              f"{type(contextual).__name__}")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                    or workers < 1):
            raise ConfigError(f"SequenceTagger: workers must be an int >= 1 or None, got "
                              f"{workers!r}")
        self.vectors = vectors
        self.contextual = contextual
        self.workers = workers
        self.device = torch.device(device)

    # --- training --------------------------------------------------------------------------
    def fit(
        self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], *,
        validation: tuple[Sequence[Sequence[str]], Sequence[Sequence[str]]] | None = None,
        progress: bool = True, callbacks: Sequence[Callback] = (),
    ) -> SequenceTagger:
        """Train on ``sentences`` (token lists) and their ``tags``; with ``validation``, keep
        the epoch with the best development F1 and stop after ``patience`` epochs without a
        better one (without it, train all ``epochs``)."""
        start = time.perf_counter()
        cfg = self.config.check()
        sentences, tags = _check_tagged(sentences, tags, "fit")
        pairs = [(s, t) for s, t in zip(sentences, tags, strict=True) if s]
        if not pairs:
            raise CorpusError("SequenceTagger.fit: no training sentence with tokens")
        scheme = cfg.scheme or detect_scheme(t for _, t in pairs)
        for i, (_, t) in enumerate(pairs):
            check_tags(t, scheme, f"SequenceTagger.fit: training sentence {i + 1}")
        self.scheme_ = scheme
        self.internal_scheme_ = "iobes" if cfg.internal_scheme == "iobes" and \
            scheme != "none" else scheme
        learned = [convert(t, self.internal_scheme_, source=scheme) for _, t in pairs]
        seen = sorted({x for t in learned for x in t} - {"O"}, key=_tag_order)
        self.tags_ = tuple((["O"] if any("O" in t for t in learned) else []) + seen)
        if len(self.tags_) < 2:
            raise ConfigError(f"SequenceTagger.fit: every training token is tagged "
                              f"{self.tags_[0]!r}; a tagger needs at least 2 tags")
        key = normalizer(cfg.lowercase, cfg.zeros)
        words = Counter(key(tok) for s, _ in pairs for tok in s)
        self.vocab_ = Vocab.from_counts(words, min_count=cfg.min_count, specials=[PAD, UNK])
        if cfg.vocab_from_vectors and self.vectors is not None:
            self.vocab_ = with_vector_words(self.vocab_, self.vectors, key)
        letters = Counter(c for s, _ in pairs for tok in s for c in tok)
        self.chars_ = Vocab.from_counts(letters, specials=[PAD, UNK])
        self.context_ = None if self.contextual is None else self.contextual.identity()
        index = {t: i for i, t in enumerate(self.tags_)}
        train = self._encode([s for s, _ in pairs], progress=progress)
        for e, t in zip(train, learned, strict=True):
            e.tags = np.array([index[x] for x in t], dtype=np.int64)
        dev = None
        if validation is not None:
            vs, vt = _check_tagged(validation[0], validation[1], "fit(validation=...)")
            kept = [(s, t) for s, t in zip(vs, vt, strict=True) if s]
            for i, (_, t) in enumerate(kept):
                check_tags(t, scheme, f"SequenceTagger.fit: development sentence {i + 1}")
            if kept:
                dev = (self._encode([s for s, _ in kept], progress=progress),
                       [t for _, t in kept])
                dev_learned = [convert(t, self.internal_scheme_, source=scheme) for _, t in kept]
                if all(x in index for t in dev_learned for x in t):  # else: no dev loss
                    for e, t in zip(dev[0], dev_learned, strict=True):
                        e.tags = np.array([index[x] for x in t], dtype=np.int64)

        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch_threads(self.workers):
            torch.manual_seed(cfg.seed)
            self.model_ = self._build_net().to(self.device)
            self.history_, self.best_epoch_ = self._train(train, dev, progress, callbacks)
        self.model_.eval()
        self.coverage_ = getattr(self.model_.embedding, "coverage", None)
        self.train_seconds_ = time.perf_counter() - start
        return self

    def _build_net(self) -> TaggerNet:
        cfg = self.config
        dim = cfg.dim if cfg.dim is not None or self.vectors is not None else 100
        embedding = EmbeddingLayer(self.vocab_, dim, vectors=self.vectors, oov_init=cfg.oov_init,
                                   freeze=cfg.freeze, sparse=cfg.sparse, seed=cfg.seed)
        return self._net(embedding)

    def _net(self, embedding: torch.nn.Module) -> TaggerNet:
        cfg = self.config
        constraints = allowed_transitions(self.tags_, self.internal_scheme_)
        return TaggerNet(
            embedding, n_tags=len(self.tags_), n_chars=len(self.chars_),
            char_kind=cfg.char_encoder, char_dim=cfg.char_dim, char_hidden=cfg.char_hidden,
            case_dim=cfg.case_dim, context_dim=int(self.context_["dim"]) if self.context_ else 0,
            hidden=cfg.hidden, layers=cfg.layers, dropout=cfg.dropout, head=cfg.head,
            constraints=constraints)

    def _train(
        self, train: list[Encoded], dev: tuple[list[Encoded], list[list[str]]] | None,
        progress: bool, callbacks: Sequence[Callback],
    ) -> tuple[list[TagEpoch], int]:
        cfg = self.config
        net = self.model_
        rng = np.random.default_rng(cfg.seed)
        optimizers = make_optimizers(net, cfg.learning_rate, None, cfg.weight_decay,
                                     kind=cfg.optimizer, momentum=cfg.momentum)
        decay = [torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1.0 + cfg.lr_decay * e))
                 for o in optimizers] if cfg.lr_decay else []
        singleton = np.asarray(self.vocab_.counts == 1)
        replace = (singleton, self.vocab_.unk_id, cfg.singleton_unk, rng) \
            if cfg.singleton_unk > 0 else None
        lengths = np.array([len(e) for e in train], dtype=np.int64)
        # Set by embedlayer.dist.fit_tagger_ddp only (a data-parallel run, see
        # tasks/_training.py's ParallelPlan); None here.
        parallel = getattr(self, "_parallel", None)
        forward = net.emissions if parallel is None else parallel.wrap(net)
        per_epoch = (math.ceil(len(train) / cfg.batch_size) if parallel is None
                     else parallel.steps_per_epoch(len(train), cfg.batch_size))
        stopper = EarlyStopping(cfg.patience, default_epoch=cfg.epochs)
        history: list[TagEpoch] = []
        with progress_bar(total=cfg.epochs * per_epoch, desc="train", unit="batch",
                          enabled=progress, unit_scale=False) as bar:
            for epoch in range(cfg.epochs):
                began = time.perf_counter()
                net.embedding.on_epoch_start(epoch)
                net.train()
                loss_sum, seen = 0.0, 0
                batches = (bucketed_batches(lengths, cfg.batch_size, rng) if parallel is None
                           else parallel.batches(lengths, cfg.batch_size, rng, epoch))
                for batch in batches:
                    b = collate([train[i] for i in batch], self.device, replace=replace)
                    loss = net.loss(forward(b), b).mean()
                    optimizer_step(loss, net, optimizers, cfg.clip_norm)
                    loss_sum += float(loss.item()) * len(batch)
                    seen += len(batch)
                    bar.update(1)
                    bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} loss "
                                        f"{loss_sum / seen:.3f}", refresh=False)
                for scheduler in decay:
                    scheduler.step()
                seen = max(seen, 1)  # a data-parallel process may get no batch
                trained = time.perf_counter()
                val_loss = val_f1 = val_acc = None
                if dev is not None:
                    predicted, val_loss = self._tag_encoded(dev[0])
                    report = tagging_report(dev[1], predicted, scheme=self.scheme_)
                    val_f1, val_acc = report.f1, report.accuracy
                    bar.set_postfix_str(f"epoch {epoch + 1}/{cfg.epochs} loss "
                                        f"{loss_sum / seen:.3f} dev F1 {100 * val_f1:.2f}")
                history.append(TagEpoch(epoch + 1, loss_sum / seen, val_loss, val_f1, val_acc,
                                        trained - began, time.perf_counter() - trained))
                for callback in callbacks:
                    callback(self, epoch, history[-1])
                score = (val_f1,) if val_loss is None else (val_f1, -val_loss)
                if val_f1 is not None and parallel is not None:
                    score = parallel.agree(score)
                if val_f1 is not None and stopper.update(net, score, epoch + 1):
                    bar.total = bar.n  # stopped early: the bar ends full
                    break
        stopper.restore(net)
        return history, stopper.best_epoch

    # --- encoding and tagging ----------------------------------------------------------------
    def _encode(self, sentences: list[list[str]], progress: bool = False) -> list[Encoded]:
        """Arrays of non-empty sentences (contextual vectors included, when used)."""
        cfg = self.config
        key = normalizer(cfg.lowercase, cfg.zeros)
        out = [encode_sentence(s, words=self.vocab_, chars=self.chars_, key=key,
                               max_chars=cfg.max_word_chars) for s in sentences]
        if self.context_ is not None:
            if self.contextual is None:
                raise ConfigError(f"SequenceTagger: this model was trained with contextual "
                                  f"features from {self.context_}; pass contextual= (the same "
                                  "encoder) to SequenceTagger.load")
            vectors = self.contextual.encode_words(sentences, progress=progress)
            for e, v in zip(out, vectors, strict=True):
                e.context = np.asarray(v, dtype=np.float32)
        return out

    def _tag_encoded(self, items: list[Encoded]) -> tuple[list[list[str]], float | None]:
        """(tags in the data's scheme for each item, the mean loss per sentence when every
        item has its gold tag ids, else None)."""
        net = self.model_
        was_training = net.training
        net.eval()
        lengths = np.array([len(e) for e in items], dtype=np.int64)
        gold = bool(items) and all(e.tags is not None for e in items)
        out: list[list[str]] = [[] for _ in items]
        loss_sum = 0.0
        with torch.no_grad():
            for batch in sorted_batches(lengths, _PREDICT_BATCH):
                b = collate([items[i] for i in batch], self.device)
                scores = net.emissions(b)
                if gold:
                    loss_sum += float(net.loss(scores, b).sum())
                ids = net.decode(scores, b.mask).cpu().numpy()
                for row, i in enumerate(batch):
                    learned = [self.tags_[k] for k in ids[row, :len(items[i])]]
                    out[i] = convert(learned, self.scheme_, source=self.internal_scheme_)
        net.train(was_training)
        return out, (loss_sum / len(items) if gold and items else None)

    def compress_embedding(self, method: str = "int8") -> SequenceTagger:
        """Replace the trained word-embedding matrix by a compressed layer, in place
        (post-training; characters, case feature, BiLSTM and CRF unchanged). ``method`` as
        ``TextClassifier.compress_embedding``: ``"int8"``, ``"int4"``, ``"pq:m=..."`` or
        ``"lowrank:rank=..."``. ``save`` / ``load`` keep it. Returns self."""
        from embedlayer.tasks._compressed import compressed_layer

        self._check_fitted("compress_embedding")
        new = compressed_layer(self.model_.embedding, method, "SequenceTagger.compress_embedding")
        self.model_.embedding = new.to(self.device)
        self.model_.eval()
        return self

    def _check_fitted(self, what: str) -> None:
        if not hasattr(self, "model_"):
            raise ConfigError(f"SequenceTagger.{what}: the tagger is not trained; call fit() or "
                              "SequenceTagger.load() first")

    # --- using it ----------------------------------------------------------------------------
    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """One tag per token of each sentence, in the training data's scheme."""
        self._check_fitted("predict")
        sentences = _check_sentences(sentences, "predict")
        full = [i for i, s in enumerate(sentences) if s]
        out: list[list[str]] = [[] for _ in sentences]
        if full:
            with torch_threads(self.workers):
                tagged, _ = self._tag_encoded(self._encode([sentences[i] for i in full]))
            for i, t in zip(full, tagged, strict=True):
                out[i] = t
        return out

    def evaluate(self, sentences: Sequence[Sequence[str]],
                 tags: Sequence[Sequence[str]]) -> TaggingReport:
        """conlleval's scores of the predictions against the gold ``tags``."""
        self._check_fitted("evaluate")
        sentences, tags = _check_tagged(sentences, tags, "evaluate")
        if not any(sentences):
            raise CorpusError("SequenceTagger.evaluate: no sentence with tokens to evaluate")
        for i, t in enumerate(tags):
            check_tags(t, self.scheme_, f"SequenceTagger.evaluate: sentence {i + 1}")
        report = tagging_report(tags, self.predict(sentences), scheme=self.scheme_)
        unknown = Counter(x for t in tags for x in t if not self._knows(x))
        return dataclasses.replace(report, unknown_tags=dict(sorted(unknown.items())))

    def _knows(self, tag: str) -> bool:
        """Whether the model can predict ``tag`` (a chunk tag: whether it knows the type)."""
        if self.scheme_ == "none" or tag == "O":
            return tag in self.tags_
        return split_tag(tag)[1] in {split_tag(t)[1] for t in self.tags_}

    @property
    def types_(self) -> tuple[str, ...]:
        """The entity types (chunk schemes) or tags (``none``) the model predicts."""
        self._check_fitted("types_")
        if self.scheme_ == "none":
            return self.tags_
        return tuple(sorted({split_tag(t)[1] for t in self.tags_ if t != "O"}))

    # --- saving ------------------------------------------------------------------------------
    def save(self, path: PathLike) -> Path:
        """Write the model folder (atomically); see the module docstring for its files."""
        from safetensors.torch import save_file

        self._check_fitted("save")
        target = Path(path)
        doc: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "tagger": asdict(self.config), "scheme": self.scheme_,
            "internal_scheme": self.internal_scheme_, "tags": list(self.tags_),
            "embedding": self.model_.embedding.config(), "contextual": self.context_,
            "training": {"best_epoch": self.best_epoch_, "seconds": self.train_seconds_,
                         "history": [r.to_dict() for r in self.history_]},
        }
        with atomic_folder(target, fmt="a sequence tagger", allowed=_FILES) as tmp:
            state = {k: v.detach().to("cpu").contiguous()
                     for k, v in self.model_.state_dict().items()}
            save_vocab(self.vocab_, tmp / "vocab.json")
            save_vocab(self.chars_, tmp / "chars.json")
            save_file(state, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
            doc["files"] = {name: file_digest(tmp / name) for name in _HASHED}
            with open(tmp / "config.json", "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
        return target

    @classmethod
    def load(cls, path: PathLike, *, contextual: Any = None, workers: int | None = None,
             device: str | torch.device = "cpu") -> SequenceTagger:
        """Read a folder written by :meth:`save`; ``FormatError`` names what is wrong.

        A model trained with contextual features needs the same encoder again
        (``contextual``, checked against the identity it recorded)."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        folder = Path(path)
        if not folder.is_dir():
            raise MissingFileError(f"{folder}: no such model folder (expected a folder written "
                                   "by `embedlayer tag train` or SequenceTagger.save)")
        for name in sorted(_FILES):
            if not (folder / name).is_file():
                raise MissingFileError(f"{folder}: {name} is missing; not a sequence-tagger "
                                       f"folder (expected {', '.join(sorted(_FILES))})")
        where = folder / "config.json"
        doc = read_json_doc(where, fmt=FORMAT, version=FORMAT_VERSION,
                            required=("tagger", "scheme", "internal_scheme", "tags",
                                      "embedding", "contextual", "files"))
        check_digests(folder, doc["files"], _HASHED)
        config = _parse_settings(where, doc["tagger"])
        identity = doc["contextual"]
        if identity is not None and not (isinstance(identity, dict)
                                         and isinstance(identity.get("dim"), int)):
            raise FormatError(f"{where}: field 'contextual' must be null or an encoder identity "
                              f"with an int 'dim', got {str(identity)[:80]}")
        if identity is not None:
            if contextual is None:
                raise ConfigError(f"{folder}: this tagger was trained with contextual features "
                                  f"from {identity}; pass contextual= (that encoder)")
            if contextual.identity() != identity:
                raise ConfigError(f"{folder}: trained with the contextual encoder {identity}, "
                                  f"not {contextual.identity()}")
        model = cls(config, contextual=contextual if identity is not None else None,
                    workers=workers, device=device)
        model.scheme_, model.internal_scheme_, model.tags_ = _parse_tags(where, doc)
        model.context_ = identity
        model.vocab_ = load_vocab(folder / "vocab.json")
        model.chars_ = load_vocab(folder / "chars.json")
        try:
            embedding = embedding_from_config(model.vocab_, doc["embedding"])
            net = model._net(embedding)
        except (KeyError, TypeError, ValueError, ConfigError) as exc:
            raise FormatError(f"{where}: fields 'tagger' and 'embedding' do not make a model "
                              f"({exc})") from None
        weights = folder / "model.safetensors"
        try:
            net.load_state_dict(load_file(str(weights)), strict=True)
        except (SafetensorError, OSError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0][:200]
            raise FormatError(f"{weights}: the weights do not fit the model described in "
                              f"config.json ({first})") from None
        model.model_ = net.to(model.device).eval()
        model.coverage_ = getattr(embedding, "coverage", None)
        training = doc.get("training") if isinstance(doc.get("training"), dict) else {}
        try:
            model.history_ = [TagEpoch(**r) for r in training.get("history", [])]
        except TypeError as exc:
            raise FormatError(f"{where}: field 'training.history': {exc}") from None
        model.best_epoch_ = training.get("best_epoch")
        model.train_seconds_ = training.get("seconds")
        return model

    def __repr__(self) -> str:
        if not hasattr(self, "model_"):
            return "SequenceTagger(not trained)"
        return (f"SequenceTagger({self.scheme_}, {len(self.tags_)} tags, {len(self.vocab_):,} "
                f"words, {len(self.chars_):,} characters, head={self.config.head})")


def _tag_order(tag: str) -> tuple[str, str]:
    """Sort tags by type, then prefix (B, I, E, S): a readable, stable tag order."""
    prefix, kind = split_tag(tag)
    return kind, prefix


def _parse_settings(where: Path, settings: Any) -> TaggerConfig:
    if not isinstance(settings, dict):
        raise FormatError(f"{where}: field 'tagger' must be an object, got "
                          f"{type(settings).__name__}")
    known = [f.name for f in fields(TaggerConfig)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise FormatError(f"{where}: field 'tagger.{unknown[0]}' is not a tagger setting")
    missing = [k for k in known if k not in settings]
    if missing:
        raise FormatError(f"{where}: field 'tagger.{missing[0]}' is missing")
    try:
        return TaggerConfig(**settings).check()
    except ConfigError as exc:
        raise FormatError(f"{where}: field 'tagger': {exc}") from None


def _parse_tags(where: Path, doc: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    scheme, internal, tags = doc["scheme"], doc["internal_scheme"], doc["tags"]
    for name, value in (("scheme", scheme), ("internal_scheme", internal)):
        if value not in SCHEMES:
            raise FormatError(f"{where}: field {name!r} is {value!r}; expected one of "
                              f"{', '.join(SCHEMES)}")
    if not isinstance(tags, list) or len(tags) < 2 or len(set(tags)) != len(tags) \
            or not all(isinstance(t, str) and t for t in tags):
        raise FormatError(f"{where}: field 'tags' must list at least 2 distinct tags, got "
                          f"{str(tags)[:80]}")
    check_tags(tags, internal, f"{where}: field 'tags'")
    return scheme, internal, tuple(tags)


def _check_sentences(sentences: Any, where: str) -> list[list[str]]:
    if isinstance(sentences, str):
        raise ConfigError(f"SequenceTagger.{where}: expected a list of sentences (token lists), "
                          "got one string")
    out = []
    for i, s in enumerate(sentences):
        if isinstance(s, str) or not isinstance(s, Sequence):
            raise ConfigError(f"SequenceTagger.{where}: sentence {i + 1} is a "
                              f"{type(s).__name__}; expected a list of tokens")
        tokens = list(s)
        for j, tok in enumerate(tokens):
            if not isinstance(tok, str) or not tok:
                raise ConfigError(f"SequenceTagger.{where}: sentence {i + 1}, token {j + 1} is "
                                  f"{tok!r}; expected a non-empty string")
        out.append(tokens)
    return out


def _check_tagged(sentences: Any, tags: Any, where: str) -> tuple[list[list[str]],
                                                                  list[list[str]]]:
    sentences = _check_sentences(sentences, where)
    if isinstance(tags, str):
        raise ConfigError(f"SequenceTagger.{where}: expected a list of tag lists, got a string")
    tags = [list(t) for t in tags]
    if len(tags) != len(sentences):
        raise ConfigError(f"SequenceTagger.{where}: {len(sentences):,} sentences but "
                          f"{len(tags):,} tag lists; expected one per sentence")
    for i, (s, t) in enumerate(zip(sentences, tags, strict=True)):
        if len(s) != len(t):
            raise ConfigError(f"SequenceTagger.{where}: sentence {i + 1} has {len(s)} tokens "
                              f"but {len(t)} tags; expected one tag per token")
    return sentences, tags


def read_tagged(path: PathLike, *, token_column: int | str = 0, tag_column: int | str = -1,
                columns: Sequence[str] | None = None,
                progress: bool = False) -> tuple[list[list[str]], list[list[str]]]:
    """(sentences, tags) from a CoNLL column file (``ConllCorpus``: ``-DOCSTART-`` lines and
    blank lines break sentences; a line with a missing column is a ``FormatError`` naming
    the file and line). A file of one column has no tags to read: ``FormatError``."""
    corpus = ConllCorpus(path, columns=columns, token_column=token_column,
                         tag_column=tag_column, progress=progress)
    sentences, tags = [], []
    for sentence in corpus:
        if len(sentence.columns) < 2 or sentence.tokens is sentence.tags:
            raise FormatError(f"{path}: the token column is also the tag column ("
                              f"{len(sentence.columns)} column(s)); expected a file with a "
                              "tag column")
        sentences.append(sentence.tokens)
        tags.append(sentence.tags)
    return sentences, tags
