"""The embedding layer of a transformer checkpoint, read straight out of its safetensors files.

What it holds: :func:`read_embedding_layer`, which finds the embedding tensors of a checkpoint
by their names (and its ``config.json``) and returns them as :class:`EmbeddingTables`: the
token table as ``Vectors`` keyed by the tokenizer's vocabulary, the position and segment
(token type) tables, the embedding LayerNorm, and an untied output (LM head) table. Four
layouts are known:

========  =====================================================  =========================
layout    tensors (an optional prefix such as ``bert.`` allowed)  positions
========  =====================================================  =========================
bert      ``embeddings.word_embeddings`` / ``position_embeddings``  learned (a table)
          / ``token_type_embeddings`` / ``embeddings.LayerNorm``
gpt2      ``wte``, ``wpe`` (``transformer.`` prefix or none)       learned (a table)
llama     ``model.embed_tokens``, ``lm_head`` (or tied)            rotary (``rope_theta``)
t5        ``shared`` (``encoder.embed_tokens`` is tied to it)      relative (attention bias)
========  =====================================================  =========================

A GPT-2-layout folder written by embedlayer's ``CausalLM`` with positions none, sinusoidal or
rotary (its ``config.json`` says so under ``embedlayer``) reports that kind, with no position
table.

Only those tensors are read, each through the safetensors header
(``vectors/io/_safetensors`` validates it): float32 tensors are memory maps of the file (no
copy; pages are read when touched), float16 / bfloat16 (and float64) are converted to float32 block by block from the
file, so a checkpoint many times larger than its embedding tables costs about the tables'
bytes. What it leaves out: running the network (``contextual/encoder.py``) and the attention
layers' own position parameters (T5's relative bias buckets).

Rows and keys: the token table has one row per id. Keys come from ``tokenizer.json`` (the
model's vocabulary, then its added tokens, which win for their id). A row with no token
(tables padded to a multiple of 64, as GPT-2 and LLaMA checkpoints often are) or whose token
string already keys a lower id is keyed ``<row:ID>`` (``<row:ID>#`` repeated until unique), and
recorded in ``EmbeddingTables.unnamed_rows``; tokenizer ids beyond the table are counted in
``tokens_without_row``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from embedlayer._types import FloatArray
from embedlayer.contextual.checkpoint import Checkpoint, open_checkpoint
from embedlayer.errors import FormatError
from embedlayer.vectors.io._safetensors import TensorInfo
from embedlayer.vectors.vectors import Vectors

__all__ = ["EmbeddingTables", "Layout", "PositionKind", "read_embedding_layer",
           "tokenizer_vocabulary"]

Layout = Literal["bert", "gpt2", "llama", "t5"]
PositionKind = Literal["learned", "rotary", "relative", "sinusoidal", "none"]

_CONVERT_BLOCK = 1 << 24  # bytes of a non-float32 tensor converted at a time (16 MiB)
_LAYOUT_HINT = ("expected one of: BERT '[prefix.]embeddings.word_embeddings.weight', GPT-2 "
                "'[transformer.]wte.weight', LLaMA/Mistral 'model.embed_tokens.weight', "
                "T5 'shared.weight'")
# Architectures with an output (language-model) head; others (BertModel, T5EncoderModel...)
# have none, so whether their tables are tied says nothing.
_HEADS = ("LMHead", "CausalLM", "MaskedLM", "ConditionalGeneration", "PreTraining")


@dataclass(frozen=True)
class EmbeddingTables:
    """The embedding tensors of one checkpoint, float32, rows in id order."""

    name: str  # the checkpoint's name (folder name, or the known name it was opened by)
    layout: Layout
    position_kind: PositionKind
    tokens: Vectors  # (V, D) token table keyed by the tokenizer's vocabulary (see module doc)
    positions: FloatArray | None  # (P, D) learned absolute positions; None for the others
    types: FloatArray | None  # (S, D) segment (token type) table; BERT only
    layer_norm: tuple[FloatArray, FloatArray] | None  # (weight, bias), each (D,); BERT only
    output: FloatArray | None  # (V, D) an untied output table (lm_head); None if tied or absent
    tied: bool | None  # output layer = token table; None: the checkpoint has no output layer
    rope_theta: float | None  # rotary base (llama layout, a rotary CausalLM), else None
    unnamed_rows: tuple[int, ...] = ()  # rows keyed <row:ID>: no token, or a repeated string
    tokens_without_row: int = 0  # tokenizer ids >= the number of rows (left out)
    tensors: dict[str, str] = field(default_factory=dict)  # role -> tensor name read

    @property
    def nbytes(self) -> int:
        """Bytes of every table held (as float32)."""
        arrays = [self.tokens.matrix, self.positions, self.types, self.output,
                  *(self.layer_norm or ())]
        return sum(int(a.nbytes) for a in arrays if a is not None)


def _read_tensor(path: Path, info: TensorInfo, name: str) -> FloatArray:
    """One tensor as float32: a read-only memory map for F32, a blockwise conversion else."""
    count = int(np.prod(info.shape))
    if info.dtype == "F32":
        if count == 0:
            return np.zeros(info.shape, dtype=np.float32)
        return np.memmap(path, dtype="<f4", mode="r", offset=info.offset, shape=info.shape)
    source = {"F16": "<f2", "BF16": "<u2", "F64": "<f8"}.get(info.dtype)
    if source is None:
        raise FormatError(f"{path}: tensor {name!r} is {info.dtype}; an embedding table must be "
                          f"F32, F16, BF16 or F64")
    out = np.empty(count, dtype=np.float32)
    step = max(1, _CONVERT_BLOCK // np.dtype(source).itemsize)
    with open(path, "rb") as fh:
        for begin in range(0, count, step):
            n = min(step, count - begin)
            fh.seek(info.offset + begin * np.dtype(source).itemsize)
            block = np.fromfile(fh, dtype=source, count=n)
            if block.size != n:
                raise FormatError(f"{path}: tensor {name!r} ends early (the file is truncated)")
            if info.dtype == "BF16":  # bfloat16 is the top half of a float32
                out[begin:begin + n] = (block.astype(np.uint32) << 16).view(np.float32)
            else:
                out[begin:begin + n] = block
    return out.reshape(info.shape)


def tokenizer_vocabulary(path: Path) -> dict[int, str]:
    """Id -> token string of a ``tokenizer.json`` (model vocabulary, then added tokens).

    Reads the JSON only (no tokenizer library): WordPiece, WordLevel and BPE models keep a
    ``{token: id}`` map, Unigram a list of ``[piece, score]`` whose position is the id. An
    embedlayer tokenizer pipeline (format ``embedlayer.tokenizer``, as the causal language
    model saves) is read through the subword model it nests.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("format") == "embedlayer.tokenizer":
            doc = doc["model"]["tokenizer"]  # the nested huggingface tokenizers JSON
        model = doc["model"]
        vocab = model["vocab"]
        pairs = (vocab.items() if isinstance(vocab, dict)
                 else ((piece[0], i) for i, piece in enumerate(vocab)))
        ids: dict[int, str] = {}
        for token, i in pairs:
            if not isinstance(token, str) or type(i) is not int or i < 0:
                raise TypeError(f"entry {token!r}: {i!r}")
            ids.setdefault(i, token)
        for added in doc.get("added_tokens") or ():
            if not isinstance(added["content"], str) or type(added["id"]) is not int:
                raise TypeError(f"added token {added!r}")
            ids[added["id"]] = added["content"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError,
            AttributeError) as exc:
        raise FormatError(f"{path}: not a tokenizer.json with a model vocabulary (expected "
                          f"'model': {{'vocab': ...}}; {type(exc).__name__}: {exc})"[:300]) from None
    return ids


def _row_keys(ids: dict[int, str], n_rows: int) -> tuple[list[str], tuple[int, ...], int]:
    """One unique key per row, the rows keyed ``<row:ID>``, and the ids beyond the rows."""
    keys: list[str | None] = [None] * n_rows
    seen: set[str] = set()
    for i in range(n_rows):
        token = ids.get(i)
        if token and token not in seen:
            keys[i] = token
            seen.add(token)
    unnamed = tuple(i for i, k in enumerate(keys) if k is None)
    for i in unnamed:
        key = f"<row:{i}>"
        while key in seen:  # a tokenizer that really has such a token: stay unique
            key += "#"
        keys[i] = key
        seen.add(key)
    beyond = sum(1 for i in ids if i >= n_rows)
    return [k for k in keys if k is not None], unnamed, beyond


def _find(tensors: dict[str, Any], pattern: str) -> re.Match[str] | None:
    regex = re.compile(pattern)
    return next((m for m in map(regex.fullmatch, sorted(tensors)) if m), None)


def _detect(ckpt: Checkpoint) -> tuple[Layout, dict[str, str]]:
    """The layout and role -> tensor name, from the tensor names (config breaks no ties)."""
    t = ckpt.tensors
    if (m := _find(t, r"(.*\.)?embeddings\.word_embeddings\.weight")) is not None:
        p = m.group(1) or ""
        roles = {"tokens": m.group(0), "positions": f"{p}embeddings.position_embeddings.weight",
                 "types": f"{p}embeddings.token_type_embeddings.weight",
                 "ln_weight": f"{p}embeddings.LayerNorm.weight",
                 "ln_bias": f"{p}embeddings.LayerNorm.bias"}
        if f"{p}embeddings.LayerNorm.gamma" in t:  # TF-converted BERTs
            roles.update(ln_weight=f"{p}embeddings.LayerNorm.gamma",
                         ln_bias=f"{p}embeddings.LayerNorm.beta")
        return "bert", {**roles, "output": "cls.predictions.decoder.weight"}
    if (m := _find(t, r"(transformer\.)?wte\.weight")) is not None:
        p = m.group(1) or ""
        return "gpt2", {"tokens": m.group(0), "positions": f"{p}wpe.weight",
                        "output": "lm_head.weight"}
    if "model.embed_tokens.weight" in t:
        return "llama", {"tokens": "model.embed_tokens.weight", "output": "lm_head.weight"}
    if "shared.weight" in t or "encoder.embed_tokens.weight" in t:
        tokens = "shared.weight" if "shared.weight" in t else "encoder.embed_tokens.weight"
        return "t5", {"tokens": tokens, "output": "lm_head.weight"}
    names = sorted(t)
    shown = ", ".join(names[:5]) + (f" ... ({len(names)} tensors)" if len(names) > 5 else "")
    raise FormatError(f"checkpoint {ckpt.path}: no known embedding layout among its tensors "
                      f"({shown or 'none'}); {_LAYOUT_HINT}")


def _rope_theta(config: dict[str, Any]) -> float:
    params = config.get("rope_parameters") or config.get("rope_scaling") or {}
    theta = config.get("rope_theta") or (params.get("rope_theta") if isinstance(params, dict)
                                         else None)
    return float(theta) if isinstance(theta, int | float) else 10000.0


def read_embedding_layer(path_or_name: str | os.PathLike[str]) -> EmbeddingTables:
    """Read the embedding tables of a checkpoint folder (or a known name such as ``minilm``).

    Raises ``MissingFileError`` for a folder without ``config.json``, weights or
    ``tokenizer.json``; ``FormatError`` (one line) for a corrupt safetensors header, a
    checkpoint with none of the known layouts (naming the tensors found), tables whose shapes
    disagree, or a config that unties the output table while the file has none.
    """
    ckpt = open_checkpoint(path_or_name)
    layout, roles = _detect(ckpt)

    def get(role: str) -> FloatArray | None:
        name = roles.get(role)
        if name is None or name not in ckpt.tensors:
            return None
        file, info = ckpt.tensors[name]
        return _read_tensor(file, info, name)

    table = get("tokens")
    assert table is not None  # _detect found it
    if table.ndim != 2 or 0 in table.shape:
        raise FormatError(f"checkpoint {ckpt.path}: token table {roles['tokens']!r} has shape "
                          f"{table.shape}; expected (vocabulary, dim)")
    n_rows, dim = table.shape
    extras = {role: get(role) for role in ("positions", "types", "ln_weight", "ln_bias")}
    for role, arr in extras.items():
        want = 1 if role.startswith("ln_") else 2
        if arr is not None and (arr.ndim != want or arr.shape[-1] != dim):
            raise FormatError(f"checkpoint {ckpt.path}: {roles[role]!r} has shape {arr.shape}; "
                              f"expected {'(dim,)' if want == 1 else '(rows, dim)'} with dim {dim}")
    config = ckpt.config
    architectures = [str(a) for a in config.get("architectures") or ()]
    has_head = any(h in a for a in architectures for h in _HEADS)
    # A config.json written by save_pretrained leaves tie_word_embeddings out when it equals
    # the library's default, and that default differs by model (LLaMA unties, Gemma ties):
    # without the key, the file decides (a stored output table means untied).
    tie = bool(config.get("tie_word_embeddings", roles["output"] not in ckpt.tensors))
    output = None if tie else get("output")
    if output is not None and output.shape != table.shape:
        raise FormatError(f"checkpoint {ckpt.path}: output table {roles['output']!r} has shape "
                          f"{output.shape}; expected the token table's {table.shape}")
    if has_head and not tie and output is None:
        raise FormatError(f"checkpoint {ckpt.path}: config.json unties the output layer "
                          f"(tie_word_embeddings false) but the weights have no "
                          f"{roles['output']!r}")
    tied = False if output is not None else (True if has_head else None)
    assert ckpt.tokenizer is not None  # open_checkpoint checked it
    keys, unnamed, beyond = _row_keys(tokenizer_vocabulary(ckpt.tokenizer), n_rows)
    ln = extras["ln_weight"], extras["ln_bias"]
    kind: PositionKind = {"bert": "learned", "gpt2": "learned", "llama": "rotary",
                          "t5": "relative"}[layout]  # type: ignore[assignment]
    rope_theta = _rope_theta(config) if layout == "llama" else None
    own = config.get("embedlayer")
    if layout == "gpt2" and isinstance(own, dict) and own.get("positions") in (
            "none", "sinusoidal", "rotary"):
        # embedlayer's CausalLM keeps GPT-2's tensor names for other position choices
        kind = own["positions"]
        if kind == "rotary":
            base = (own.get("settings") or {}).get("rope_base", 10000.0)
            rope_theta = float(base) if isinstance(base, int | float) else 10000.0
    used = {role: name for role, name in roles.items()
            if name in ckpt.tensors and (role != "output" or output is not None)}
    return EmbeddingTables(
        name=ckpt.name, layout=layout, position_kind=kind, tokens=Vectors(keys, table),
        positions=extras["positions"], types=extras["types"],
        layer_norm=(ln[0], ln[1]) if ln[0] is not None and ln[1] is not None else None,
        output=output, tied=tied,
        rope_theta=rope_theta,
        unnamed_rows=unnamed, tokens_without_row=beyond, tensors=used,
    )
