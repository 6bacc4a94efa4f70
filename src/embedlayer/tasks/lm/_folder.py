"""The causal language model's folder: GPT-2's layout, so other tools read it as a checkpoint.

Files: ``config.json`` (GPT-2's keys: ``vocab_size``, ``n_positions``, ``n_embd``,
``n_layer``, ``n_head``, ``layer_norm_epsilon``, ``activation_function: gelu_new``,
``tie_word_embeddings`` ...; plus an ``embedlayer`` entry: format ``embedlayer.causal-lm``
version 1, the other settings, the position kind, whether ``transformers`` can load it, and
the training history), ``model.safetensors`` (GPT-2's tensor names and ``Conv1D`` layouts:
``transformer.wte.weight``, ``transformer.wpe.weight`` for learned positions,
``transformer.h.{i}.attn.c_attn.weight`` (in, out) ...; ``lm_head.weight`` only when untied)
and ``tokenizer.json`` (the embedlayer tokenizer pipeline; ``read_embedding_layer`` reads a BPE
one's vocabulary). A word-level model (``settings.tokenizer: "word"``) adds ``vocab.json``
(``vocab.save_vocab``'s JSON: tokens in id order, their counts, the special tokens), since
its word pipeline has no vocabulary of its own (``read_embedding_layer`` finds no keys in
its ``tokenizer.json`` and says so; ``CausalLM.load(folder).token_vectors()`` gives the table
with its words). A folder whose settings lack ``tokenizer``
(written before the word-level variant) is a BPE one. A checkpoint written during training adds ``trainer_state.json`` (step, numpy
generator state, stream length, optimizer groups) and ``optimizer.safetensors`` (AdamW's
moments and torch's RNG state): pickle-free.

With learned positions and a tied head the folder is a GPT-2 checkpoint:
``transformers.GPT2LMHeadModel.from_pretrained(folder)`` gives the same logits. Other models
get ``model_type: embedlayer-causal-lm`` (transformers refuses them instead of loading a
different network); their token table (and untied head) still read with
``read_embedding_layer``. ``transformers``' tokenizer classes cannot read ``tokenizer.json``
(its words are cut by embedlayer's regex pre-tokenizer): tokenize with ``CausalLM``.
No file digests are recorded, so a folder re-saved by ``transformers`` still loads; instead
every tensor's name and shape is checked against ``config.json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from embedlayer._atomic import atomic_folder
from embedlayer._jsondoc import read_json_doc
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.nn.transformer import CausalTransformer, from_gpt2_tensors, to_gpt2_tensors
from embedlayer.tasks.lm._tokens import EOS, check_tokenizer, check_word_vocab, token_vocab
from embedlayer.tasks.lm._train import StepRecord, optimizer_state
from embedlayer.text.serialization import load_tokenizer
from embedlayer.vocab import load_vocab, save_vocab

if TYPE_CHECKING:
    from embedlayer.tasks.lm.model import CausalLM

__all__ = ["FORMAT", "FORMAT_VERSION", "load", "read_training_state", "save", "to_transformers"]

FORMAT = "embedlayer.causal-lm"
FORMAT_VERSION = 1
STATE_FORMAT = "embedlayer.causal-lm-trainer"
_MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json")
_STATE_FILES = ("trainer_state.json", "optimizer.safetensors")
_WORD_VOCAB = "vocab.json"  # word-level models only
_ALLOWED = frozenset(_MODEL_FILES + _STATE_FILES + (_WORD_VOCAB,))
# GPT-2 config key -> LMConfig field (the network's shape lives in these keys only)
_GPT2_KEYS = {"n_positions": "context", "n_embd": "dim", "n_layer": "layers", "n_head": "heads"}


def _config_doc(lm: CausalLM) -> dict[str, Any]:
    c = lm.config
    compatible = c.positions == "learned" and c.tied
    eos = lm.vocab_[EOS]
    settings = {k: v for k, v in asdict(c).items() if k not in _GPT2_KEYS.values()}
    doc: dict[str, Any] = {
        "architectures": ["GPT2LMHeadModel" if compatible else "EmbedlayerCausalLM"],
        "model_type": "gpt2" if compatible else "embedlayer-causal-lm",
        "vocab_size": len(lm.vocab_),
        **{key: getattr(c, field) for key, field in _GPT2_KEYS.items()},
        "n_ctx": c.context,
        "n_inner": None,
        "activation_function": "gelu_new",
        "resid_pdrop": c.dropout, "embd_pdrop": c.dropout, "attn_pdrop": c.dropout,
        "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "tie_word_embeddings": c.tied,
        "bos_token_id": eos, "eos_token_id": eos,
        "torch_dtype": "float32",
        "embedlayer": {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "positions": c.positions, "tied": c.tied,
            "transformers_compatible": compatible,
            "note": ("GPT-2 layout: transformers.GPT2LMHeadModel loads it" if compatible else
                     f"positions={c.positions}, tied={c.tied}: not GPT-2's network, so "
                     "transformers cannot load it; read_embedding_layer reads its token table"),
            "settings": settings,
            "training": {"steps_done": getattr(lm, "steps_done_", None),
                         "init_rows": getattr(lm, "init_rows_", 0),
                         "init_scale": getattr(lm, "init_scale_", None),
                         "history": [r.to_dict() for r in getattr(lm, "history_", [])]},
        },
    }
    return doc


def save(lm: CausalLM, target: Path, *, training: dict[str, Any] | None = None) -> Path:
    """Write the folder; with ``training`` (step, tokens, rng, optimizer, torch_rng) also the
    training state."""
    from safetensors.torch import save_file

    with atomic_folder(target, fmt="a causal language model", allowed=_ALLOWED) as tmp:
        save_file(to_gpt2_tensors(lm.model_), str(tmp / "model.safetensors"),
                  metadata={"format": "pt"})  # "pt": what transformers expects to find
        lm.tokenizer_.save(tmp / "tokenizer.json")
        if lm.config.tokenizer == "word":
            save_vocab(lm.vocab_, tmp / _WORD_VOCAB, format="json")
        with open(tmp / "config.json", "w", encoding="utf-8") as fh:
            json.dump(_config_doc(lm), fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        if training is not None:
            tensors, groups = optimizer_state(training["optimizer"])
            tensors["rng.torch"] = training["torch_rng"].clone()
            save_file(tensors, str(tmp / "optimizer.safetensors"))
            state = {"format": STATE_FORMAT, "format_version": FORMAT_VERSION,
                     "step": training["step"], "tokens": training["tokens"],
                     "rng": training["rng"], "optimizer": groups}
            with open(tmp / "trainer_state.json", "w", encoding="utf-8") as fh:
                json.dump(state, fh, indent=1)
                fh.write("\n")
    return target


def _read_config(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config.json, the LMConfig fields it describes)."""
    from embedlayer.tasks.lm.model import settings_fields

    where = folder / "config.json"
    if not where.is_file():
        raise MissingFileError(f"{folder}: config.json is missing; not a causal-lm folder "
                               f"(expected {', '.join(_MODEL_FILES)})")
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{where}: not valid JSON ({exc})") from None
    own = doc.get("embedlayer") if isinstance(doc, dict) else None
    if not isinstance(own, dict) or own.get("format") != FORMAT:
        raise FormatError(f"{where}: field 'embedlayer.format' should be {FORMAT!r} (a folder "
                          f"written by CausalLM), got {str(own)[:80]}")
    if own.get("format_version") != FORMAT_VERSION:
        raise FormatError(f"{where}: field 'embedlayer.format_version' "
                          f"{own.get('format_version')!r} is not supported (this embedlayer "
                          f"reads version {FORMAT_VERSION})")
    settings = own.get("settings")
    if not isinstance(settings, dict):
        raise FormatError(f"{where}: field 'embedlayer.settings' must be an object")
    values = {"tokenizer": "bpe", **settings}  # folders written before "word" were all BPE
    for key, field in _GPT2_KEYS.items():
        if key not in doc:
            raise FormatError(f"{where}: field {key!r} is missing")
        values[field] = doc[key]
    known = settings_fields()
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise FormatError(f"{where}: field 'embedlayer.settings.{unknown[0]}' is not a "
                          f"CausalLM setting")
    missing = [k for k in known if k not in values]
    if missing:
        raise FormatError(f"{where}: field 'embedlayer.settings.{missing[0]}' is missing")
    if doc.get("tie_word_embeddings", True) != values["tied"]:
        raise FormatError(f"{where}: tie_word_embeddings {doc.get('tie_word_embeddings')!r} "
                          f"disagrees with embedlayer.settings.tied {values['tied']!r}")
    return doc, values


def _build(cls: type[CausalLM], folder: Path, workers: int | None, device: Any) -> CausalLM:
    from embedlayer.tasks.lm.model import LMConfig

    where = folder / "config.json"
    doc, values = _read_config(folder)
    try:
        config = LMConfig(**values).check()
    except (ConfigError, TypeError) as exc:
        raise FormatError(f"{where}: the settings do not make a model ({exc})") from None
    lm = cls(config, workers=workers, device=device)
    tok_path = folder / "tokenizer.json"
    lm.tokenizer_ = check_tokenizer(load_tokenizer(tok_path), str(tok_path), config.tokenizer)
    if config.tokenizer == "word":
        vocab_path = folder / _WORD_VOCAB
        if not vocab_path.is_file():
            raise MissingFileError(f"{folder}: {_WORD_VOCAB} is missing (a word-level model "
                                   f"keeps its vocabulary there)")
        lm.vocab_ = check_word_vocab(load_vocab(vocab_path, format="json"), str(vocab_path))
    else:
        lm.vocab_ = token_vocab(lm.tokenizer_)
    if doc.get("vocab_size") != len(lm.vocab_):
        raise FormatError(f"{where}: vocab_size {doc.get('vocab_size')!r} disagrees with "
                          f"{tok_path} ({len(lm.vocab_):,} tokens)")
    net = CausalTransformer(lm.vocab_, config.network())
    _load_weights(net, folder / "model.safetensors")
    lm.model_ = net.to(lm.device).eval()
    training = doc["embedlayer"].get("training") or {}
    try:
        lm.history_ = [StepRecord(**r) for r in training.get("history", [])]
    except TypeError as exc:
        raise FormatError(f"{where}: field 'embedlayer.training.history': {exc}") from None
    lm.steps_done_ = training.get("steps_done")
    lm.init_rows_ = training.get("init_rows", 0)
    lm.init_scale_ = training.get("init_scale")
    return lm


def _load_weights(net: CausalTransformer, path: Path) -> None:
    """Every tensor the config implies, by name and shape, and no other; else FormatError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise MissingFileError(f"{path}: missing (the model's weights)")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise FormatError(f"{path}: not a readable safetensors file ({exc})") from None
    want = {k: tuple(t.shape) for k, t in to_gpt2_tensors(net).items()}
    for name, shape in want.items():
        if name not in tensors:
            raise FormatError(f"{path}: tensor {name!r} is missing; config.json describes a "
                              f"model that needs it (shape {shape})")
        if tuple(tensors[name].shape) != shape:
            raise FormatError(f"{path}: tensor {name!r} has shape {tuple(tensors[name].shape)}, "
                              f"but config.json implies {shape}")
        if tensors[name].dtype != torch.float32:
            raise FormatError(f"{path}: tensor {name!r} is {tensors[name].dtype}; expected "
                              f"float32")
    extra = sorted(set(tensors) - set(want))
    if extra:
        raise FormatError(f"{path}: tensor {extra[0]!r} is not part of the model config.json "
                          f"describes ({len(extra)} such tensor(s); more layers than n_layer, "
                          f"or a head the config ties?)")
    net.load_state_dict(from_gpt2_tensors(tensors), strict=True)


def load(cls: type[CausalLM], folder: Path, *, workers: int | None, device: Any) -> CausalLM:
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such model folder (expected a folder written by "
                               f"`embedlayer lm train` or CausalLM.save)")
    for name in _MODEL_FILES:
        if not (folder / name).is_file():
            raise MissingFileError(f"{folder}: {name} is missing; not a causal-lm folder "
                                   f"(expected {', '.join(_MODEL_FILES)})")
    return _build(cls, folder, workers, device)


def read_training_state(folder: Path, lm: CausalLM) -> dict[str, Any]:
    """Load a checkpoint's model into ``lm`` (whose config must equal the saved one) and
    return the training state: step, tokens, rng, optimizer groups, tensors, where."""
    from safetensors.torch import load_file

    if not (folder / "trainer_state.json").is_file():
        raise MissingFileError(f"{folder}: no checkpoint to resume (trainer_state.json is "
                               f"missing; a folder saved by CausalLM.save has no training "
                               f"state)")
    saved = load(type(lm), folder, workers=lm.workers, device=lm.device)
    if saved.config != lm.config:
        diff = [k for k, v in asdict(lm.config).items() if getattr(saved.config, k) != v]
        raise ConfigError(f"{folder}: the checkpoint was trained with other settings "
                          f"({', '.join(f'{k}={getattr(saved.config, k)!r}' for k in diff)}); "
                          f"resume with the same settings")
    where = folder / "trainer_state.json"
    doc = read_json_doc(where, fmt=STATE_FORMAT, version=FORMAT_VERSION,
                        required=("step", "tokens", "rng", "optimizer"))
    tensors = load_file(str(folder / "optimizer.safetensors"))
    if "rng.torch" not in tensors:
        raise FormatError(f"{folder / 'optimizer.safetensors'}: tensor 'rng.torch' is missing")
    lm.tokenizer_, lm.vocab_, lm.model_ = saved.tokenizer_, saved.vocab_, saved.model_
    lm.history_ = saved.history_
    lm.init_rows_, lm.init_scale_ = saved.init_rows_, saved.init_scale_
    lm.model_.train()
    return {"step": doc["step"], "tokens": doc["tokens"], "rng": doc["rng"],
            "optimizer": doc["optimizer"], "tensors": tensors,
            "where": str(folder / "optimizer.safetensors")}


def to_transformers(lm: CausalLM) -> Any:
    """A ``transformers.GPT2LMHeadModel`` holding this model's weights (eval mode)."""
    from embedlayer.contextual.checkpoint import offline

    c = lm.config
    if not (c.positions == "learned" and c.tied):
        raise ConfigError(f"to_transformers: only positions='learned' with a tied head is "
                          f"GPT-2's network; this model has positions={c.positions!r}, "
                          f"tied={c.tied}")
    offline()
    from transformers import GPT2Config, GPT2LMHeadModel

    doc = _config_doc(lm)
    keep = ("vocab_size", "n_positions", "n_ctx", "n_embd", "n_layer", "n_head", "n_inner",
            "activation_function", "resid_pdrop", "embd_pdrop", "attn_pdrop",
            "layer_norm_epsilon", "initializer_range", "scale_attn_weights",
            "tie_word_embeddings", "bos_token_id", "eos_token_id")
    model = GPT2LMHeadModel(GPT2Config(**{k: doc[k] for k in keep}))
    tensors = to_gpt2_tensors(lm.model_)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or [m for m in missing if m != "lm_head.weight"]:
        raise FormatError(f"to_transformers: GPT2LMHeadModel and this model disagree "
                          f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    model.tie_weights()
    return model.eval()
