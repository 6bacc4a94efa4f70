"""The transformer side of ``TextClassifier`` (encoder kind ``transformer``): its embedding
module and the files it adds to a saved classifier folder.

What it holds: building the :class:`~embedlayer.contextual.ContextualEmbedding` of a
``TransformerConfig`` (the checkpoint's own tokenizer replaces the classifier's word
vocabulary), writing the fine-tuned transformer into the folder's ``transformer/`` subfolder
(``config.json``, ``model.safetensors`` with the transformer's own tensor names, and
``tokenizer.json``: a checkpoint folder that ``open_checkpoint`` and ``transformers`` read
as is) while the folder's ``model.safetensors`` keeps the rest (head, scalar mix), and
reading them back without the hub or the original checkpoint. What it leaves out: the
estimator, config.json and its digests (``tasks/classify.py``), training
(``tasks/_training.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from embedlayer.contextual.module import ContextualEmbedding
from embedlayer.errors import ConfigError, FormatError
from embedlayer.nn.encoders import TransformerConfig, build_encoder
from embedlayer.tasks._training import ClassifierNet

__all__ = ["HASHED", "SUBFOLDER", "build_embedding", "build_net", "load_net", "save_net"]

SUBFOLDER = "transformer"
_PREFIX = "embedding.model."  # the transformer's tensors inside the classifier's state dict
# files whose sha256 config.json records (paths relative to the classifier folder)
HASHED = ("model.safetensors", f"{SUBFOLDER}/config.json", f"{SUBFOLDER}/model.safetensors",
          f"{SUBFOLDER}/tokenizer.json")


def build_embedding(encoder: TransformerConfig, *, freeze: bool | int,
                    max_length: int | None) -> ContextualEmbedding:
    """The pretrained transformer of ``encoder.checkpoint`` (a folder or a known name)."""
    return ContextualEmbedding.from_checkpoint(encoder.checkpoint, freeze=freeze,
                                               layers=encoder.layers, max_length=max_length)


def build_net(embedding: ContextualEmbedding, encoder: TransformerConfig,
              n_classes: int) -> ClassifierNet:
    """transformer -> pooling + dropout -> linear head."""
    return ClassifierNet(embedding, build_encoder(encoder, embedding.dim), n_classes)


def save_net(net: ClassifierNet, folder: Path, fmt: str) -> None:
    """Write ``model.safetensors`` (all but the transformer) and ``transformer/``."""
    from safetensors.torch import save_file

    embedding = net.embedding
    assert isinstance(embedding, ContextualEmbedding)
    sub = folder / SUBFOLDER
    sub.mkdir()
    state = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()
             if not k.startswith(_PREFIX)}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": fmt})
    # clone: tensors that share storage (tied weights) cannot be written by save_file
    own = {k: v.detach().to("cpu").clone().contiguous()
           for k, v in embedding.model.state_dict().items()}
    save_file(own, str(sub / "model.safetensors"), metadata={"format": "pt"})  # transformers' tag
    with open(sub / "config.json", "w", encoding="utf-8") as fh:
        json.dump(embedding.model.config.to_dict(), fh, indent=1, sort_keys=True)
        fh.write("\n")
    embedding.tokenizer.save(str(sub / "tokenizer.json"))
    from embedlayer._atomic import fsync_file

    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        fsync_file(sub / name)


def load_net(folder: Path, spec: Any, encoder: TransformerConfig, n_classes: int,
             *, freeze: bool | int, max_length: int | None) -> ClassifierNet:
    """The saved classifier's net; ``spec`` is config.json's field 'embedding'."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    where = folder / "config.json"
    if not isinstance(spec, dict) or spec.get("layers") != encoder.layers:
        raise FormatError(f"{where}: field 'embedding' must record layers "
                          f"{encoder.layers!r} as field 'encoder' does, got {spec!r}")
    try:
        embedding = ContextualEmbedding.from_checkpoint(
            folder / SUBFOLDER, freeze=freeze, layers=encoder.layers, max_length=max_length,
            pretrained=False)
    except ConfigError as exc:
        raise FormatError(f"{where}: fields 'classifier' and 'embedding' do not fit the "
                          f"transformer in {SUBFOLDER}/ ({exc})") from None
    net = build_net(embedding, encoder, n_classes)
    state: dict[str, torch.Tensor] = {}
    for name, prefix in (("model.safetensors", ""), (f"{SUBFOLDER}/model.safetensors", _PREFIX)):
        try:
            part = load_file(str(folder / name))
        except (SafetensorError, OSError, ValueError) as exc:
            raise FormatError(f"{folder / name}: not a safetensors file ({exc})") from None
        state.update({prefix + k: v for k, v in part.items()})
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise FormatError(f"{folder}: the weights do not fit the model described in "
                          f"config.json and {SUBFOLDER}/config.json ({first})") from None
    return net
