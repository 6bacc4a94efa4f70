"""The inspection report on disk: ``report.json``, ``report.md`` and the plots, in one folder.

What it holds: :func:`write_report`, which renders an :class:`~embedlayer.eval.inspect.
Inspection` into a folder written atomically (a folder holding anything else is never
replaced), :func:`check_report_folder` (the same refusal, checked before the work starts) and
:func:`to_markdown`. The JSON has a ``format`` and ``format_version``; NaN is written as
null. Plots use matplotlib's Agg backend (an extra, imported when writing). What it leaves out:
the measurements (``eval/inspect.py``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from embedlayer import __version__
from embedlayer._atomic import atomic_folder, check_replaceable
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError
from embedlayer.eval.inspect import Inspection

__all__ = ["REPORT_FILES", "check_report_folder", "to_json", "to_markdown", "write_report"]

REPORT_FORMAT = "embedlayer.inspect-report"
REPORT_VERSION = 1
_PLOTS = ("norm_frequency.png", "spectrum.png", "positions.png")
REPORT_FILES = frozenset({"report.json", "report.md", *_PLOTS})
_WHAT = "embedlayer inspect"


def check_report_folder(folder: PathLike, *, force: bool) -> None:
    """``ConfigError`` if ``folder`` exists (without ``force``), is a file, or holds files
    that an inspection report does not write."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} is a file; {_WHAT} writes a folder: choose another path")
    if folder.exists() and not force:
        raise ConfigError(f"{folder} exists; pass --force to replace it, or choose another "
                          f"output folder")
    check_replaceable(folder, _WHAT, REPORT_FILES)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(inspection: Inspection) -> dict[str, Any]:
    """The report as a JSON-able dict (format, format_version, embedlayer_version, figures)."""
    return {"format": REPORT_FORMAT, "format_version": REPORT_VERSION,
            "embedlayer_version": __version__, **_finite(inspection.summary)}


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}"


def to_markdown(inspection: Inspection) -> str:
    """The report as Markdown: one short section per measurement."""
    s = inspection.summary
    f, a = s["frequency"], s["anisotropy"]
    lines = [f"### Embedding layer of {s['checkpoint']}", "",
             f"Layout {s['layout']} ({s['position_kind']} positions), {s['vocab_size']:,} "
             f"tokens x {s['dim']} dims; position table {s['positions'] or 'none'}, type table "
             f"{s['types'] or 'none'}; output layer tied: {s['tied']}; rows without a token: "
             f"{s['unnamed_rows']}.", "",
             f"**Norm vs frequency.** {f['tokens']:,} tokens over {f['lines']:,} lines of "
             f"{', '.join(f['corpora'])}"
             + (f" (capped at {f['max_lines']:,} lines)" if f["max_lines"] else "")
             + f"; {f['tokens_seen']:,} token types seen. Spearman(norm, log frequency) over "
             f"the tokens seen: **{_num(f['spearman_norm_log_frequency'])}**; mean norm "
             f"{_num(f['mean_norm_seen'])} seen, {_num(f['mean_norm_unseen'])} unseen.", "",
             f"**Anisotropy** (mean cosine of {a['all_rows'].get('pairs', 0):,} random token "
             f"pairs, seed {a['seed']}), before and after all-but-the-top (mean and top "
             f"{a['n_components']} components removed, {_num(a['variance_removed'])} of the "
             f"variance):", "",
             "| tokens | rows | before | after |", "| --- | ---: | ---: | ---: |"]
    for label, key in (("all rows", "all_rows"), ("seen in the corpus", "tokens_seen")):
        row = a[key]
        lines.append(f"| {label} | {row['rows']:,} | {_num(row['before'])} | "
                     f"{_num(row['after'])} |")
    sp = s["spectrum"]
    lines += ["", f"**Spectrum** of the centered token table: top singular values "
              f"{', '.join(_num(v, 1) for v in sp['top'][:5])}; first / median "
              f"{_num(sp['ratio_first_to_median'], 2)} (spectrum.png)."]
    pc = s["positions_cosine"]
    if pc is not None:
        lines += ["", f"**Positions**: mean cosine of adjacent positions "
                  f"{_num(pc['adjacent_mean'])}, of all pairs {_num(pc['mean'])} "
                  f"(positions.png)."]
    ws = s["wordsim"]
    if ws:
        compared = next((r["compared"] for r in ws if "compared" in r), None)
        head = "| set | pairs | scored (both words one token" + \
            (f", and in {compared})" if compared else ")") + " | coverage | token table |"
        lines += ["", "**Word similarity** (Spearman; only pairs whose two words are each one "
                  "token" + (f" and known to {compared}: the same pairs for both" if compared
                            else "") + "):", "",
                  head + (f" {compared} |" if compared else ""),
                  "| --- | ---: | ---: | ---: | ---: |" + (" ---: |" if compared else "")]
        for r in ws:
            lines.append(f"| {r['dataset']} | {r['pairs']:,} | {r['scored_pairs']:,} | "
                         f"{_num(r['coverage'])} | {_num(r['token_table'])} |"
                         + (f" {_num(r.get('compare'))} |" if compared else ""))
    lines += ["", "**Nearest tokens** (cosine over the token table):", ""]
    for probe, hit in s["neighbours"].items():
        if hit is None:
            lines.append(f"- `{probe}`: not one token")
        else:
            near = ", ".join(f"`{k}` {v:.2f}" for k, v in hit["neighbours"])
            lines.append(f"- `{hit['token']}`: {near}")
    return "\n".join(lines) + "\n"


def _plots(inspection: Inspection, folder: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("the inspection plots need matplotlib: "
                          "pip install 'embedlayer[plot]'") from None
    name = inspection.summary["checkpoint"]
    seen = inspection.counts > 0
    fig, ax = plt.subplots(figsize=(6, 4))
    if seen.any():
        ax.scatter(np.log10(inspection.counts[seen]), inspection.norms[seen], s=2, alpha=0.3)
    ax.set_xlabel("log10 token frequency")
    ax.set_ylabel("row norm")
    ax.set_title(f"{name}: norm vs frequency")
    fig.tight_layout()
    fig.savefig(folder / "norm_frequency.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    sv = inspection.singular_values
    ax.semilogy(np.arange(1, len(sv) + 1), np.maximum(sv, 1e-12))
    ax.set_xlabel("component")
    ax.set_ylabel("singular value (centered table)")
    ax.set_title(f"{name}: spectrum")
    fig.tight_layout()
    fig.savefig(folder / "spectrum.png", dpi=100)
    plt.close(fig)

    if inspection.position_cosines is not None:
        fig, ax = plt.subplots(figsize=(5, 4.5))
        im = ax.imshow(inspection.position_cosines, cmap="RdBu_r", vmin=-1, vmax=1)
        fig.colorbar(im, ax=ax)
        ax.set_xlabel("position")
        ax.set_ylabel("position")
        ax.set_title(f"{name}: position cosines")
        fig.tight_layout()
        fig.savefig(folder / "positions.png", dpi=100)
        plt.close(fig)


def write_report(inspection: Inspection, folder: PathLike, *, force: bool = False) -> Path:
    """Write report.json, report.md and the plots into ``folder`` (atomically); its path."""
    folder = Path(folder)
    check_report_folder(folder, force=force)
    with atomic_folder(folder, fmt=_WHAT, allowed=REPORT_FILES) as tmp:
        (tmp / "report.json").write_text(
            json.dumps(to_json(inspection), indent=1, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8")
        (tmp / "report.md").write_text(to_markdown(inspection), encoding="utf-8")
        _plots(inspection, tmp)
    return folder
