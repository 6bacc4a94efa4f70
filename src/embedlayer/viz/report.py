"""The evaluation report's chart, from a report in memory or a saved JSON report.

What it holds: :func:`plot_report`, which reads a JSON report (what ``embedlayer eval
--json`` and ``embedlayer demo`` write: ``eval.json``) with ``eval.report.read_json`` and
hands it to ``eval.report.write_plot``, the bar chart ``embedlayer eval --plot`` draws. What
it leaves out: drawing a second kind of chart for the same numbers.
"""

from __future__ import annotations

from pathlib import Path

from embedlayer._types import PathLike
from embedlayer.eval.suite import EvalReport
from embedlayer.viz._figure import pyplot

__all__ = ["plot_report"]


def plot_report(report: EvalReport | PathLike, path: PathLike) -> Path:
    """Write the grouped bar chart of ``report`` (an ``EvalReport``, a JSON report file, or a
    folder holding ``eval.json``, e.g. a demo's) to ``path`` as PNG."""
    from embedlayer.eval.report import read_json, write_plot

    pyplot()  # a missing matplotlib named before the report is read
    if not isinstance(report, EvalReport):
        source = Path(report)
        if source.is_dir() and (source / "eval.json").is_file():
            source = source / "eval.json"
        report = read_json(source)
    return write_plot(report, path)
