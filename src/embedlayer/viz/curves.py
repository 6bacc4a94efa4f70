"""Training loss curves, read from what the trainers already save, and drawn on one chart.

What it holds: :func:`read_loss_history` and :func:`plot_loss`. No trainer writes a separate
log; each keeps its loss history in the JSON document of the folder it saves, and that is
what is read (the JSON only: no model is loaded, so neither torch nor the weights are touched):

- ``model.json`` (``Word2Vec`` / ``FastText`` / ``GloVe.save``): ``loss_history``, the mean
  loss per prediction (per co-occurrence for GloVe), one per epoch;
- ``checkpoint.json`` (the same trainers, while training): ``history_before`` (earlier runs
  of a continued model) and ``loss_history``;
- ``config.json`` of a ``TextClassifier`` or ``SequenceTagger`` folder: ``training.history``,
  ``loss`` and ``val_loss`` per epoch;
- ``config.json`` of a ``CausalLM`` folder (or checkpoint): ``embedlayer.training.history``,
  ``loss`` and ``val_loss`` per record, by optimizer step;
- ``embedlayer_fine_tune.json`` of an encoder from ``fine_tune_retriever``:
  ``loss_per_epoch``.

A saved demo folder (``embedlayer demo``) keeps its classifier in ``classifier/``. What it
leaves out: training itself, and reading the weights.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from embedlayer._types import PathLike
from embedlayer.errors import ConfigError, FormatError, MissingFileError
from embedlayer.viz._figure import pyplot, save_png

__all__ = ["HISTORY_FILES", "KNOWN_FORMATS", "LossCurve", "plot_loss", "read_loss_history"]

# The documents a folder is searched for, in this order.
HISTORY_FILES = ("model.json", "checkpoint.json", "embedlayer_fine_tune.json", "config.json")

# format -> the newest format_version this reader knows (tests/test_plot.py pins each to the
# writer's constant, so a new version cannot pass unnoticed).
KNOWN_FORMATS: dict[str, int] = {
    "embedlayer.word2vec-model": 1, "embedlayer.fasttext-model": 1,
    "embedlayer.glove-model": 1,
    "embedlayer.word2vec-checkpoint": 2, "embedlayer.fasttext-checkpoint": 2,
    "embedlayer.glove-checkpoint": 2,
    "embedlayer.text-classifier": 3, "embedlayer.sequence-tagger": 1,
    "embedlayer.causal-lm": 1,
}


@dataclass(frozen=True)
class LossCurve:
    """One run's training loss (and held-out loss, where recorded) against epochs or steps."""

    label: str  # the legend's name for the run
    x: list[float]  # epochs (1-based) or optimizer steps
    loss: list[float]  # training loss at each x
    val_loss: list[float] | None  # held-out loss at each x (NaN where missing); None if never
    unit: Literal["epoch", "step"]
    source: str  # what was read, e.g. "a word2vec model (model.json)"


def _floats(values: Any, where: str) -> list[float]:
    if not isinstance(values, list):
        raise FormatError(f"{where}: expected a list of numbers, got {values!r}")
    try:
        return [math.nan if v is None else float(v) for v in values]
    except (TypeError, ValueError):
        raise FormatError(f"{where}: expected a list of numbers, got {values!r}") from None


def _records(doc: Any, where: str, x_key: str) -> tuple[list[float], list[float],
                                                        list[float] | None]:
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise FormatError(f"{where}: expected a list of records, got {doc!r}")
    try:
        x = [float(r[x_key]) for r in doc]
        loss = [float(r["loss"]) for r in doc]
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{where}: every record needs {x_key!r} and 'loss' ({exc})") from None
    val = [math.nan if r.get("val_loss") is None else float(r["val_loss"]) for r in doc]
    return x, loss, (val if any(not math.isnan(v) for v in val) else None)


def _check_version(fmt: str, version: Any, path: Path) -> None:
    newest = KNOWN_FORMATS[fmt]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FormatError(f"{path}: format_version {version!r} of {fmt!r} is not a version")
    if version > newest:
        raise FormatError(f"{path}: {fmt} format_version {version} is newer than this "
                          f"embedlayer reads (up to {newest}); upgrade embedlayer")


def _from_doc(doc: Any, path: Path) -> tuple[list[float], list[float], list[float] | None,
                                             Literal["epoch", "step"], str]:
    """(x, loss, val_loss, unit, what) of one saved document."""
    if not isinstance(doc, dict):
        raise FormatError(f"{path}: expected a JSON object, got {type(doc).__name__}")
    fmt = doc.get("format")
    lm = doc.get("embedlayer") if isinstance(doc.get("embedlayer"), dict) else None
    if fmt is None and lm is not None and lm.get("format") == "embedlayer.causal-lm":
        _check_version("embedlayer.causal-lm", lm.get("format_version"), path)
        training = lm.get("training") or {}
        x, loss, val = _records(training.get("history", []), f"{path}: "
                                "embedlayer.training.history", "step")
        return x, loss, val, "step", "a causal language model"
    if fmt is None and doc.get("by") == "fine_tune_retriever":
        loss = _floats(doc.get("loss_per_epoch"), f"{path}: loss_per_epoch")
        return [float(i) for i in range(1, len(loss) + 1)], loss, None, "epoch", \
            "a fine-tuned retriever"
    if fmt not in KNOWN_FORMATS:
        raise FormatError(f"{path}: format {fmt!r} holds no loss history this reads; expected "
                          f"a trainer's model or checkpoint, a classifier, tagger or language "
                          f"model folder ({', '.join(sorted(KNOWN_FORMATS))})")
    _check_version(fmt, doc.get("format_version"), path)
    kind = fmt.removeprefix("embedlayer.").replace("-", " ")
    if fmt.endswith("-model") or fmt.endswith("-checkpoint"):
        loss = _floats(doc.get("history_before", []), f"{path}: history_before") + \
            _floats(doc.get("loss_history"), f"{path}: loss_history")
        return [float(i) for i in range(1, len(loss) + 1)], loss, None, "epoch", f"a {kind}"
    training = doc.get("training") if isinstance(doc.get("training"), dict) else {}
    x, loss, val = _records(training.get("history", []), f"{path}: training.history", "epoch")
    return x, loss, val, "epoch", f"a {kind}"


def _find_document(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise MissingFileError(f"{path}: no such file or folder")
    for name in HISTORY_FILES:
        if (path / name).is_file():
            return path / name
    nested = sorted(p.name for p in path.iterdir() if p.is_dir()
                    and any((p / name).is_file() for name in HISTORY_FILES))
    hint = f"; its subfolder {nested[0]}/ may hold one" if nested else ""
    raise MissingFileError(f"{path}: no loss history here (none of {', '.join(HISTORY_FILES)})"
                           f"{hint}")


def read_loss_history(path: PathLike, *, label: str | None = None) -> LossCurve:
    """The loss history saved in a model or checkpoint folder (or its JSON document).

    ``label`` names the run in the legend (default: the folder's name). A folder without a
    history, or one whose history is empty, raises ``MissingFileError`` / ``FormatError``
    naming it.
    """
    path = Path(path)
    doc_path = _find_document(path)
    try:
        doc = json.loads(doc_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{doc_path}: not valid JSON ({exc})") from None
    x, loss, val, unit, what = _from_doc(doc, doc_path)
    if not loss:
        raise FormatError(f"{doc_path}: {what} with an empty loss history (trained for no "
                          f"epoch, or saved before its first one)")
    folder = doc_path.parent if doc_path.suffix == ".json" else doc_path
    return LossCurve(label=label or folder.name or str(folder), x=x, loss=loss, val_loss=val,
                     unit=unit, source=f"{what} ({doc_path.name})")


def plot_loss(curves: Sequence[LossCurve], path: PathLike, *, title: str | None = None,
              log_scale: bool = False, size: tuple[float, float] = (7.5, 4.5)) -> Path:
    """Draw every curve on one chart (held-out loss dashed, in the run's colour) as a PNG."""
    if not curves:
        raise ConfigError("plot_loss: no curves to draw")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=size)
    for k, c in enumerate(curves):
        color = plt.get_cmap("tab10")(k % 10)
        marker = "o" if len(c.x) <= 30 else None  # single epochs stay visible as points
        ax.plot(c.x, c.loss, color=color, marker=marker, markersize=3,
                label=f"{c.label}" if c.val_loss is None else f"{c.label} (training)")
        if c.val_loss is not None:
            ax.plot(c.x, c.val_loss, color=color, linestyle="--", marker=marker, markersize=3,
                    label=f"{c.label} (held out)")
    units = {c.unit for c in curves}
    ax.set_xlabel(units.pop() if len(units) == 1 else "epoch (step for language models)")
    ax.set_ylabel("loss" + (" (log scale)" if log_scale else ""))
    if log_scale:
        ax.set_yscale("log")
    if all(c.unit == "epoch" for c in curves):
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title or "training loss")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return save_png(fig, path)
