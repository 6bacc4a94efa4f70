"""A transformer checkpoint as an ``Encoder``: sentence vectors, token vectors, word vectors.

What it holds: :class:`TransformerEncoder` (a local checkpoint folder run with the
ecosystem's own forward pass: ``tokenizers`` for the tokenizer, ``transformers`` for the
network) with mean / CLS / max pooling, optional L2 normalization, sliding windows for long
texts, token-level outputs with character offsets (:meth:`~TransformerEncoder.encode_tokens`)
and a word-level view for tagging (:meth:`~TransformerEncoder.encode_words`); an int8 path
(``precision="int8"``, see ``_int8.py``); and :class:`EncodeStats`, what the last call saw.
What it leaves out: finding and checking the folder (``checkpoint.py``), reading the
embedding tables without the network (``layer.py``), training (``module.py``).

Defaults follow the checkpoint's own sentence-transformers files when it has them
(``modules.json``: whether it normalizes; ``1_Pooling/config.json``: the pooling;
``sentence_bert_config.json``: ``max_seq_length``), so ``TransformerEncoder("all-MiniLM-L6-v2")``
gives what ``SentenceTransformer(...).encode`` gives; a bare checkpoint gets mean pooling, no
normalization and its position table's length.

Long texts are never cut silently: a text with more tokens than ``max_length`` is split into
windows of ``max_length`` tokens (special tokens included) that overlap by ``stride`` tokens;
each window runs on its own and the text's vector pools over all of them (mean: every
window's real tokens together, a token in an overlap counting once per window; CLS: the mean
of the windows' first tokens; max: over every window). ``stats_.windowed_texts`` counts such
texts. An empty text is encoded as what the tokenizer makes of it — for BERT-like models
``[CLS] [SEP]`` — so it gets a defined, non-zero vector, the same one every time.

Speed: texts are tokenized in one batch call, their windows sorted by length (longest first,
a stable sort) and run in batches of ``batch_size`` under ``torch.inference_mode``, with the
model's pooler head (unused by any pooling here) removed. Results do not depend on the order
of the input texts beyond float rounding of batched matrix products.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embedlayer._progress import progress_bar
from embedlayer._types import FloatArray, IntArray
from embedlayer.contextual.checkpoint import Checkpoint, offline, open_checkpoint
from embedlayer.errors import ConfigError
from embedlayer.nn._threads import torch_threads
from embedlayer.vectors.encoder import check_texts, l2_normalize

__all__ = ["EncodeStats", "Pooling", "Precision", "TokenVectors", "TransformerEncoder"]

Pooling = Literal["mean", "cls", "max"]
Precision = Literal["fp32", "int8"]
WordPooling = Literal["first", "mean"]
POOLINGS = ("mean", "cls", "max")
#: in a checkpoint folder written by ``TransformerEncoder.save`` after fine-tuning
TUNED_FILE = "embedlayer_fine_tune.json"
PRECISIONS = ("fp32", "int8")


@dataclass
class EncodeStats:
    """What one ``encode*`` call saw."""

    texts: int = 0
    tokens: int = 0  # tokens run through the network, special tokens and overlaps included
    windows: int = 0
    windowed_texts: int = 0  # texts longer than max_length, split into several windows
    empty_texts: int = 0  # texts that are empty or only whitespace
    unmatched_words: int = 0  # encode_words: words that gave no sub-token (zero vectors)


@dataclass(frozen=True)
class TokenVectors:
    """One text's sub-tokens (special tokens left out) and their contextual vectors.

    ``offsets[i]`` is token i's ``[start, end)`` character span in the text (for pre-split
    words: within word ``word_ids[i]``); ``word_ids[i]`` is the index of the word it belongs
    to (the tokenizer's pre-tokenizer words, or the caller's words).
    """

    tokens: list[str]
    offsets: IntArray  # (t, 2) int64
    word_ids: IntArray  # (t,) int64
    vectors: FloatArray  # (t, d) float32

    def words(self, how: WordPooling = "first", n_words: int | None = None) -> FloatArray:
        """(n_words, d): each word's first sub-token vector, or the mean of its sub-tokens.

        A word without sub-tokens (``n_words`` larger than the words seen) gets zeros.
        """
        if how not in ("first", "mean"):
            raise ConfigError(f"word pooling must be 'first' or 'mean', got {how!r}")
        count = int(self.word_ids.max()) + 1 if n_words is None and len(self.word_ids) else (
            n_words or 0)
        out = np.zeros((count, self.vectors.shape[1]), dtype=np.float32)
        if not len(self.word_ids):
            return out
        if how == "first":
            ids, first = np.unique(self.word_ids, return_index=True)
            out[ids] = self.vectors[first]
        else:
            sums = np.zeros((count, self.vectors.shape[1]), dtype=np.float64)
            np.add.at(sums, self.word_ids, self.vectors)
            counts = np.bincount(self.word_ids, minlength=count)[:, None]
            np.divide(sums, counts, out=sums, where=counts > 0)
            out[:] = sums
        return out


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _sentence_transformers_defaults(path: Path) -> dict[str, Any]:
    """Pooling, normalization and max length from a sentence-transformers folder, if any."""
    found: dict[str, Any] = {}
    modules = _read_json(path / "modules.json")
    if isinstance(modules, list):
        types = [m.get("type", "") for m in modules if isinstance(m, dict)]
        found["normalize"] = any(t.endswith("Normalize") for t in types)
        for m in modules:
            if isinstance(m, dict) and str(m.get("type", "")).endswith("Pooling"):
                pool = _read_json(path / str(m.get("path", "")) / "config.json")
                if isinstance(pool, dict):
                    for key, name in (("pooling_mode_mean_tokens", "mean"),
                                      ("pooling_mode_cls_token", "cls"),
                                      ("pooling_mode_max_tokens", "max")):
                        if pool.get(key):
                            found["pooling"] = name
                            break
    bert = _read_json(path / "sentence_bert_config.json")
    if isinstance(bert, dict) and isinstance(bert.get("max_seq_length"), int):
        found["max_length"] = bert["max_seq_length"]
    return found


def _position_limit(config: dict[str, Any]) -> int | None:
    for key in ("max_position_embeddings", "n_positions", "max_seq_len"):
        value = config.get(key)
        if isinstance(value, int) and value > 0:
            # RoBERTa-style tables reserve padding_idx + 1 rows before the first position.
            if config.get("model_type") in ("roberta", "xlm-roberta", "camembert"):
                value -= int(config.get("pad_token_id", 1)) + 1
            return value
    return None


class TransformerEncoder:
    """A local transformer checkpoint behind the ``Encoder`` protocol.

    >>> enc = TransformerEncoder("all-MiniLM-L6-v2")              # doctest: +SKIP
    >>> enc.encode(["A cat sat.", "Dogs bark."]).shape             # doctest: +SKIP
    (2, 384)

    ``checkpoint``: a folder with ``config.json``, ``*.safetensors`` and ``tokenizer.json``,
    or a known name (``all-MiniLM-L6-v2``); never downloaded. ``pooling``, ``normalize`` and
    ``max_length`` default to the checkpoint's sentence-transformers settings (else mean,
    False, the position table's length). ``stride``: tokens shared by consecutive windows of a
    long text (default ``max_length // 4``). ``layer``: which hidden layer to pool (-1, the
    last; 0 is the embedding layer's output). ``precision``: ``"fp32"`` or ``"int8"`` (every
    linear layer as an int8 matrix product, per-token activation scales). ``workers``: torch
    CPU threads while encoding (default: torch's setting).
    """

    def __init__(
        self,
        checkpoint: str | Path = "all-MiniLM-L6-v2",
        *,
        pooling: Pooling | None = None,
        normalize: bool | None = None,
        max_length: int | None = None,
        stride: int | None = None,
        layer: int = -1,
        batch_size: int = 32,
        precision: Precision = "fp32",
        workers: int | None = None,
    ) -> None:
        ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else open_checkpoint(checkpoint)
        defaults = _sentence_transformers_defaults(ckpt.path)
        pooling = pooling if pooling is not None else defaults.get("pooling", "mean")
        normalize = normalize if normalize is not None else defaults.get("normalize", False)
        limit = _position_limit(ckpt.config)
        if max_length is None:
            max_length = defaults.get("max_length") or limit or 512
        _check_options(pooling, normalize, max_length, stride, layer, batch_size, precision,
                       workers, limit)
        self.checkpoint = ckpt
        self.pooling: Pooling = pooling
        self.normalize = bool(normalize)
        self.max_length = int(max_length)
        self.stride = int(stride) if stride is not None else self.max_length // 4
        if self.stride >= self.max_length - 2:
            raise ConfigError(f"TransformerEncoder: stride {self.stride} must be less than "
                              f"max_length - 2 = {self.max_length - 2}")
        self.layer = layer
        self.batch_size = batch_size
        self.precision: Precision = precision
        self.workers = workers
        self.stats_ = EncodeStats()
        tuned = _read_json(ckpt.path / TUNED_FILE)
        #: what fine-tuned these weights (``{"by", "weights_sha256", ...}``), else None
        self.fine_tuned: dict[str, Any] | None = tuned if (
            isinstance(tuned, dict) and isinstance(tuned.get("weights_sha256"), str)) else None
        self._tokenizer = self._load_tokenizer()
        self._model = self._load_model()

    # --- loading -----------------------------------------------------------------------
    def _load_tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        path = self.checkpoint.tokenizer
        assert path is not None  # open_checkpoint(tokenizer=True) guarantees it
        try:
            tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # the Rust side raises plain Exception subclasses
            from embedlayer.errors import FormatError

            raise FormatError(f"{path}: not a tokenizer.json the tokenizers library can read "
                              f"({str(exc).splitlines()[0][:200]})") from None
        tok.no_padding()
        tok.enable_truncation(self.max_length, stride=self.stride)
        return tok

    def _load_model(self) -> Any:
        offline()
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = self.checkpoint.path
        try:
            model = AutoModel.from_pretrained(str(path), local_files_only=True,
                                              dtype=torch.float32)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            from embedlayer.errors import FormatError

            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise FormatError(f"checkpoint {path}: transformers could not build the model "
                              f"({first})") from None
        if getattr(model.config, "is_encoder_decoder", False):
            model = model.get_encoder()
        if getattr(model, "pooler", None) is not None:
            model.pooler = None  # a head no pooling here uses; skipping it saves a matmul
        model.eval()
        names = set(model.forward.__code__.co_varnames)
        self._takes_types = "token_type_ids" in names
        self._model = model
        if self.precision == "int8":
            from embedlayer.contextual._int8 import activation_ranges, quantize_model

            ranges = activation_ranges(model, self._calibrate)
            quantize_model(model, ranges)
        return model

    def _calibrate(self) -> None:
        """Run the float model over 128 seeded random word sequences (1-40 words) from the
        checkpoint's own vocabulary: the int8 path's activation ranges, with no data set."""
        vocab = self._tokenizer.get_vocab()
        words = sorted(w for w in vocab if w.isalpha() and w.isascii() and len(w) > 1)
        if not words:
            words = sorted(vocab)
        rng = np.random.default_rng(0)
        texts = [" ".join(rng.choice(words, int(rng.integers(1, 41)))) for _ in range(128)]
        for _ in self._run(self._windows(texts, pretokenized=False)[0], progress=False):
            pass

    # --- the protocol --------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self._model.config.hidden_size if hasattr(self._model.config, "hidden_size")
                   else self._model.config.d_model)

    def identity(self) -> dict[str, Any]:
        # a fine-tuned encoder is named by the checkpoint it started from (and its weights'
        # digest below), the same before and after save() and reload
        name = self.fine_tuned.get("from", self.checkpoint.name) if self.fine_tuned \
            else self.checkpoint.name
        return {"kind": "transformer", "checkpoint": name,
                "model_type": self.checkpoint.model_type, "dim": self.dim,
                "pooling": self.pooling, "normalize": self.normalize,
                "max_length": self.max_length, "stride": self.stride, "layer": self.layer,
                "precision": self.precision,
                **({"fine_tuned": self.fine_tuned["weights_sha256"]} if self.fine_tuned else {})}

    def save(self, folder: str | Path) -> Path:
        """Write these weights as a new checkpoint folder (``model.safetensors`` plus the
        original's configuration, tokenizer and sentence-transformers files, and
        ``embedlayer_fine_tune.json`` when fine-tuned), so ``TransformerEncoder(folder)``
        (or sentence-transformers) loads it. Atomic; an existing folder is never replaced."""
        import shutil

        import torch
        from safetensors.torch import save_file

        from embedlayer._atomic import atomic_folder

        folder = Path(folder)
        if getattr(self._model.config, "is_encoder_decoder", False):
            raise ConfigError("TransformerEncoder.save: this encoder is the encoder half of an "
                              "encoder-decoder checkpoint; its config.json describes the whole "
                              "model, so a saved folder would not load back")
        if self.precision != "fp32":
            raise ConfigError(f"TransformerEncoder.save: an {self.precision} encoder holds "
                              f"quantized layers; save the fp32 encoder instead")
        if folder.exists():
            raise ConfigError(f"{folder} already exists: TransformerEncoder.save writes a new "
                              f"checkpoint folder and never replaces one")
        source = self.checkpoint.path
        weights = {p.name for p in source.glob("*.safetensors")} | {
            "model.safetensors.index.json", TUNED_FILE}
        with atomic_folder(folder, fmt="a checkpoint", allowed=frozenset()) as tmp:
            for item in sorted(source.iterdir()):
                if item.name in weights or item.name.startswith("."):
                    continue
                if item.is_file() and item.suffix in (".json", ".txt", ".model", ".md"):
                    shutil.copyfile(item, tmp / item.name)
                elif item.is_dir() and all(f.suffix == ".json" for f in item.iterdir()):
                    shutil.copytree(item, tmp / item.name)  # e.g. 1_Pooling/config.json
                elif item.is_dir() and (source / "modules.json").is_file() and \
                        item.name in (source / "modules.json").read_text(encoding="utf-8"):
                    raise ConfigError(f"TransformerEncoder.save: {source} has a "
                                      f"sentence-transformers module with weights of its own "
                                      f"({item.name}/); only the transformer is saved here")
            state = {k: v.detach().to(torch.float32).contiguous()
                     for k, v in self._model.state_dict().items()}
            save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
            if self.fine_tuned:
                (tmp / TUNED_FILE).write_text(json.dumps(self.fine_tuned, indent=1) + "\n",
                                              encoding="utf-8")
        return folder

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> FloatArray:
        """(len(texts), dim) float32: one pooled (and, if set, normalized) vector per text."""
        texts = check_texts(texts, "TransformerEncoder.encode")
        windows, owner = self._windows(texts, pretokenized=False)
        import torch

        n = len(texts)
        dim = self.dim
        # One row per window: the pooled vector (mean: the sum) and its weight (mean: tokens).
        pooled = np.zeros((len(windows), dim), dtype=np.float32)
        weight = np.zeros(len(windows), dtype=np.float64)
        for idx, hidden, mask in self._run(windows, progress=progress):
            if self.pooling == "mean":
                m = mask.unsqueeze(-1).to(hidden.dtype)
                vec = (hidden * m).sum(dim=1)
                weight[idx] = mask.sum(dim=1).numpy()
            elif self.pooling == "cls":
                vec = hidden[:, 0]
                weight[idx] = 1.0
            else:
                vec = hidden.masked_fill(mask.unsqueeze(-1) == 0, -torch.inf).amax(dim=1)
                weight[idx] = 1.0
            pooled[idx] = vec.to(torch.float32).numpy()
        if len(windows) == n:  # no text needed windows: window i is text i
            acc = pooled
            if self.pooling != "max":
                acc /= np.maximum(weight, 1e-9).astype(np.float32)[:, None]
        elif self.pooling == "max":
            acc = np.full((n, dim), -np.inf, dtype=np.float32)
            np.maximum.at(acc, owner, pooled)
        else:
            acc = np.zeros((n, dim), dtype=np.float64)
            np.add.at(acc, owner, pooled)
            totals = np.bincount(owner, weights=weight, minlength=n)
            acc /= np.maximum(totals, 1e-9)[:, None]
        out = np.ascontiguousarray(acc, dtype=np.float32)
        return l2_normalize(out) if self.normalize else out

    def encode_tokens(self, texts: Sequence[str], *, progress: bool = False) -> list[TokenVectors]:
        """Each text's sub-tokens (no special tokens) with offsets, word ids and vectors.

        A token seen in two overlapping windows gets the mean of its two vectors.
        """
        texts = check_texts(texts, "TransformerEncoder.encode_tokens")
        return self._token_vectors(texts, pretokenized=False, progress=progress)

    def encode_words(self, sentences: Sequence[Sequence[str]], *, how: WordPooling = "first",
                     progress: bool = False) -> list[FloatArray]:
        """One (n_words, dim) array per sentence of pre-split words (e.g. CoNLL tokens).

        Each word's vector is its first sub-token's (``how="first"``) or the mean of its
        sub-tokens; a word the tokenizer drops entirely gets zeros (counted in
        ``stats_.unmatched_words``).
        """
        if how not in ("first", "mean"):
            raise ConfigError(f"encode_words: how must be 'first' or 'mean', got {how!r}")
        words = []
        for i, sentence in enumerate(sentences):
            if isinstance(sentence, str):
                raise ConfigError(f"encode_words: sentence {i} is a str; expected a list of "
                                  f"words")
            words.append(check_texts(sentence, f"encode_words: sentence {i}"))
        tokens = self._token_vectors(words, pretokenized=True, progress=progress)
        out = []
        unmatched = 0
        for sentence, tv in zip(words, tokens, strict=True):
            vectors = tv.words(how, n_words=len(sentence))
            unmatched += len(sentence) - len(np.unique(tv.word_ids))
            out.append(vectors)
        self.stats_.unmatched_words = unmatched
        return out

    # --- internals -----------------------------------------------------------------------
    def _windows(self, texts: list[Any], *, pretokenized: bool) -> tuple[list[Any], IntArray]:
        """Every window's Encoding and the index of the text it came from."""
        encodings = self._tokenizer.encode_batch(texts, is_pretokenized=pretokenized)
        windows: list[Any] = []
        owner: list[int] = []
        stats = EncodeStats(texts=len(texts))
        for i, (text, enc) in enumerate(zip(texts, encodings, strict=True)):
            parts = [enc, *enc.overflowing]
            if len(parts) > 1:
                stats.windowed_texts += 1
            if (not text.strip()) if isinstance(text, str) else not any(w.strip() for w in text):
                stats.empty_texts += 1
            for part in parts:
                windows.append(part)
                owner.append(i)
        stats.windows = len(windows)
        stats.tokens = sum(len(w.ids) for w in windows)
        self.stats_ = stats
        return windows, np.asarray(owner, dtype=np.int64)

    def _run(self, windows: list[Any], *, progress: bool) -> Iterator[tuple[IntArray, Any, Any]]:
        """(window indices, hidden states (b, t, d) tensor, attention mask (b, t) int64 tensor)
        per batch, longest windows first."""
        import torch

        if not windows:
            return
        lengths = np.fromiter((len(w.ids) for w in windows), dtype=np.int64, count=len(windows))
        order = np.argsort(-lengths, kind="stable")
        pad = self._pad_id()
        bar = progress_bar(total=len(windows), desc="encode", unit="text", enabled=progress)
        with torch_threads(self.workers), torch.inference_mode(), bar:
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                inputs = self._inputs([windows[w] for w in idx], pad)
                yield idx, self._hidden(self._model, inputs), inputs["attention_mask"]
                bar.update(len(idx))

    def _inputs(self, encodings: Sequence[Any], pad: int) -> dict[str, Any]:
        """The model's keyword inputs (int64 tensors) for a batch of Encodings, padded to the
        longest with ``pad``."""
        import torch

        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), pad, dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            types[row, :n] = enc.type_ids
            mask[row, :n] = 1
        inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if self._takes_types:
            inputs["token_type_ids"] = torch.from_numpy(types)
        return inputs

    def _hidden(self, model: Any, inputs: dict[str, Any]) -> Any:
        """(b, t, d) hidden states of ``self.layer`` (``model``: this encoder's network or a
        copy of it being trained)."""
        if self.layer == -1:
            return model(**inputs).last_hidden_state
        return model(**inputs, output_hidden_states=True).hidden_states[self.layer]

    def _pool(self, hidden: Any, mask: Any) -> Any:
        """(b, d) torch pooling of one window per text, as ``encode`` pools (differentiable;
        not normalized)."""
        import torch

        if self.pooling == "mean":
            m = mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
        if self.pooling == "cls":
            return hidden[:, 0]
        return hidden.masked_fill(mask.unsqueeze(-1) == 0, -torch.inf).amax(dim=1)

    def _pad_id(self) -> int:
        pad = self._model.config.pad_token_id
        if isinstance(pad, int) and pad >= 0:
            return pad
        for token in ("[PAD]", "<pad>", "<|endoftext|>", "</s>"):
            found = self._tokenizer.token_to_id(token)
            if found is not None:
                return int(found)
        return 0  # masked out anyway

    def _token_vectors(self, texts: list[Any], *, pretokenized: bool,
                       progress: bool) -> list[TokenVectors]:
        import torch

        windows, owner = self._windows(texts, pretokenized=pretokenized)
        # key (text, word id, start, end) -> [sum of vectors, count, token]
        per_text: list[dict[tuple[int, int, int], list[Any]]] = [{} for _ in texts]
        for idx, batch, _mask in self._run(windows, progress=progress):
            hidden = batch.to(torch.float32).numpy()
            for row, w in enumerate(idx):
                enc = windows[w]
                table = per_text[owner[w]]
                for t, (special, word, span, token) in enumerate(zip(
                        enc.special_tokens_mask, enc.word_ids, enc.offsets, enc.tokens,
                        strict=True)):
                    if special or word is None:
                        continue
                    key = (word, span[0], span[1])
                    entry = table.get(key)
                    if entry is None:
                        table[key] = [hidden[row, t].astype(np.float64), 1, token]
                    else:
                        entry[0] += hidden[row, t]
                        entry[1] += 1
        out = []
        dim = self.dim
        for table in per_text:
            keys = sorted(table)
            vectors = np.zeros((len(keys), dim), dtype=np.float32)
            for j, key in enumerate(keys):
                total, count, _ = table[key]
                vectors[j] = total / count
            out.append(TokenVectors(
                tokens=[table[k][2] for k in keys],
                offsets=np.asarray([[k[1], k[2]] for k in keys], dtype=np.int64).reshape(-1, 2),
                word_ids=np.asarray([k[0] for k in keys], dtype=np.int64),
                vectors=vectors))
        return out

    def __repr__(self) -> str:
        return (f"TransformerEncoder({self.checkpoint.name!r}, dim={self.dim}, "
                f"pooling={self.pooling!r}, normalize={self.normalize}, "
                f"max_length={self.max_length}, precision={self.precision!r})")


def _check_options(pooling: Any, normalize: Any, max_length: Any, stride: Any, layer: Any,
                   batch_size: Any, precision: Any, workers: Any, limit: int | None) -> None:
    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    where = "TransformerEncoder"
    if pooling not in POOLINGS:
        raise ConfigError(f"{where}: pooling must be one of {', '.join(POOLINGS)}, got "
                          f"{pooling!r}")
    if not isinstance(normalize, bool):
        raise ConfigError(f"{where}: normalize must be True or False, got {normalize!r}")
    if not is_int(max_length) or max_length < 4:
        raise ConfigError(f"{where}: max_length must be an int >= 4, got {max_length!r}")
    if limit is not None and max_length > limit:
        raise ConfigError(f"{where}: max_length {max_length} is more than the checkpoint's "
                          f"{limit} positions")
    if stride is not None and (not is_int(stride) or stride < 0):
        raise ConfigError(f"{where}: stride must be an int >= 0, got {stride!r}")
    if not is_int(layer):
        raise ConfigError(f"{where}: layer must be an int, got {layer!r}")
    if not is_int(batch_size) or batch_size < 1:
        raise ConfigError(f"{where}: batch_size must be an int >= 1, got {batch_size!r}")
    if precision not in PRECISIONS:
        raise ConfigError(f"{where}: precision must be one of {', '.join(PRECISIONS)}, got "
                          f"{precision!r}")
    if workers is not None and (not is_int(workers) or workers < 1):
        raise ConfigError(f"{where}: workers must be an int >= 1 or None, got {workers!r}")
