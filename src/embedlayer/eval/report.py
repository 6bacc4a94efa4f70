"""Rendering an ``EvalReport``: JSON (with dataset checksums), Markdown, a terminal table, a plot.

What it holds: pure functions from a report to text or a file, and :func:`read_json`, which
reads a saved JSON report back into an ``EvalReport`` (so a plot can be drawn later, e.g. by
``embedlayer plot report``). Every number is shown with
its coverage (pairs or questions answered), so a score is never separated from how much of
the dataset it covers. The terminal table uses rich, the plot matplotlib (an extra), both
imported only when called.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from embedlayer import __version__
from embedlayer._atomic import atomic_write
from embedlayer._types import PathLike
from embedlayer.errors import ConfigError
from embedlayer.eval.suite import EvalReport

__all__ = ["read_json", "report_rows", "to_json", "to_markdown", "print_table", "write_json",
           "write_markdown", "write_plot"]

REPORT_FORMAT = "embedlayer.eval-report"
REPORT_VERSION = 1


def to_json(report: EvalReport) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "embedlayer_version": __version__,
        "settings": report.settings,
        "datasets": report.datasets,
        "vectors": [
            {
                "name": s.name, "size": s.size, "dim": s.dim,
                "wordsim": [r.as_dict() for r in s.wordsim],
                "analogy": [r.as_dict() for r in s.analogy],
                "docsim": [r.as_dict() for r in s.docsim],
            }
            for s in report.stores
        ],
    }


def _nan_to_none(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_to_none(v) for v in obj]
    return obj


def write_json(report: EvalReport, path: PathLike) -> Path:
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(_nan_to_none(to_json(report)), fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return path


def read_json(path: PathLike) -> EvalReport:
    """The ``EvalReport`` that :func:`write_json` saved at ``path`` (format and version
    checked; a score saved as null, a score over nothing, comes back as NaN)."""
    from dataclasses import fields

    from embedlayer._jsondoc import read_json_doc
    from embedlayer.errors import FormatError
    from embedlayer.eval.analogy import AnalogyResult, SectionResult
    from embedlayer.eval.docsim import DocSimResult
    from embedlayer.eval.suite import StoreReport
    from embedlayer.eval.wordsim import WordSimResult

    path = Path(path)
    doc = read_json_doc(path, fmt=REPORT_FORMAT, version=REPORT_VERSION,
                        required=("settings", "datasets", "vectors"),
                        missing="no evaluation report here")

    def build(cls: Any, entry: Any, where: str) -> Any:
        if not isinstance(entry, dict):
            raise FormatError(f"{path}: {where} must be an object, got {entry!r}")
        kwargs = {}
        for f in fields(cls):
            if f.name not in entry:
                raise FormatError(f"{path}: {where} lacks field {f.name!r}")
            value = entry[f.name]
            kwargs[f.name] = math.nan if value is None and f.type == "float" else value
        return cls(**kwargs)

    if not isinstance(doc["vectors"], list) or not doc["vectors"]:
        raise FormatError(f"{path}: field 'vectors' must list the vector sets, got "
                          f"{doc['vectors']!r}")
    stores = []
    for i, entry in enumerate(doc["vectors"]):
        where = f"vectors[{i}]"
        if not isinstance(entry, dict) or not {"name", "size", "dim"} <= set(entry):
            raise FormatError(f"{path}: {where} must be an object with name, size and dim")
        analogy = []
        for j, a in enumerate(entry.get("analogy", [])):
            if not isinstance(a, dict):
                raise FormatError(f"{path}: {where}.analogy[{j}] must be an object, got {a!r}")
            sections = [build(SectionResult, sec, f"{where}.analogy[{j}].sections[{k}]")
                        for k, sec in enumerate(a.get("sections", []))]
            analogy.append(build(AnalogyResult, {**a, "sections": sections},
                                 f"{where}.analogy[{j}]"))
        stores.append(StoreReport(
            name=str(entry["name"]), size=int(entry["size"]), dim=int(entry["dim"]),
            wordsim=[build(WordSimResult, w, f"{where}.wordsim[{j}]")
                     for j, w in enumerate(entry.get("wordsim", []))],
            analogy=analogy,
            docsim=[build(DocSimResult, d, f"{where}.docsim[{j}]")
                    for j, d in enumerate(entry.get("docsim", []))]))
    return EvalReport(stores=stores, datasets=doc["datasets"], settings=doc["settings"])


def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _pct(value: float) -> str:
    """A share as "12.34%"; "n/a" for a score over nothing (never "nan%")."""
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2%}"


def report_rows(report: EvalReport) -> list[tuple[str, str, list[tuple[float, str]]]]:
    """(metric, what it is, [(value, 'value (coverage)') per store]) in display order."""
    rows: list[tuple[str, str, list[tuple[float, str]]]] = []
    first = report.stores[0]
    for k, r in enumerate(first.wordsim):
        cells = []
        for s in report.stores:
            x = s.wordsim[k]
            cells.append((x.spearman, f"{_fmt(x.spearman)} ({x.coverage:.0%})"))
        rows.append((r.dataset, "Spearman rho (pairs covered)", cells))
    for k, r in enumerate(first.analogy):
        cells = []
        for s in report.stores:
            x = s.analogy[k]
            cells.append((x.accuracy, f"{_pct(x.accuracy)} ({x.coverage:.0%})"))
        rows.append((r.dataset, f"accuracy, {r.method} (questions covered)", cells))
        if any(sec.name.startswith("gram") for sec in r.sections):
            for label, attr in (("semantic", "semantic_accuracy"), ("syntactic", "syntactic_accuracy")):
                cells = [(getattr(s.analogy[k], attr), _pct(getattr(s.analogy[k], attr)))
                         for s in report.stores]
                rows.append((f"{r.dataset} {label}", "accuracy", cells))
    for k, r in enumerate(first.docsim):
        cells = []
        for s in report.stores:
            x = s.docsim[k]
            cells.append((x.pearson, f"{_fmt(x.pearson)} ({x.coverage:.0%})"))
        rows.append((r.dataset, f"Pearson r, {r.composition} (tokens covered)", cells))
    return rows


def to_markdown(report: EvalReport) -> str:
    names = [f"{s.name} ({s.size:,} x {s.dim})" for s in report.stores]
    lines = ["| dataset | metric | " + " | ".join(names) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in names) + " |"]
    for dataset, metric, cells in report_rows(report):
        lines.append(f"| {dataset} | {metric} | " + " | ".join(c for _, c in cells) + " |")
    s = report.settings
    lines.append("")
    lines.append(f"OOV policy for word pairs: {s['oov']}; analogies restricted to the top "
                 f"{s['restrict_vocab'] or 'all'} words; case-insensitive: {s['case_insensitive']}.")
    return "\n".join(lines) + "\n"


def write_markdown(report: EvalReport, path: PathLike) -> Path:
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write(to_markdown(report))
    return path


def print_table(report: EvalReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="embedlayer eval", show_lines=False)
    table.add_column("dataset")
    table.add_column("metric (coverage)")
    for s in report.stores:
        table.add_column(f"{s.name}\n{s.size:,} x {s.dim}", justify="right")
    for dataset, metric, cells in report_rows(report):
        table.add_row(dataset, metric, *(c for _, c in cells))
    Console().print(table)


def write_plot(report: EvalReport, path: PathLike) -> Path:
    """A grouped bar chart (one group per dataset, one bar per vector set) as PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("--plot needs matplotlib: pip install 'embedlayer[plot]'") from None
    import numpy as np

    rows = [r for r in report_rows(report) if "semantic" not in r[0] and "syntactic" not in r[0]]
    labels = [r[0] for r in rows]
    n_stores = len(report.stores)
    x = np.arange(len(rows))
    width = 0.8 / n_stores
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4.5))
    for j, s in enumerate(report.stores):
        vals = [r[2][j][0] for r in rows]
        vals = [v if v is not None and math.isfinite(v) else 0.0 for v in vals]
        ax.bar(x + (j - (n_stores - 1) / 2) * width, vals, width, label=s.name)
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.set_ylabel("Spearman rho / accuracy / Pearson r")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_title("Intrinsic evaluation (coverage in the JSON / Markdown report)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return path
