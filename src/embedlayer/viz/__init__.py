"""Pictures: 2-D projections of chosen words, training loss curves, evaluation charts (PNG).

Layer L5 of DESIGN.md: no algorithms. Projections come from ``embedlayer.transform.project``,
neighbours from ``embedlayer.vectors.query``, loss histories from the JSON the trainers save,
and the evaluation chart from ``embedlayer.eval.report``. matplotlib (the ``plot`` extra) is
imported on first drawing, with the Agg backend; every PNG is written atomically and its
figure closed. ``embedlayer plot`` is the command line over these functions.
"""

from __future__ import annotations

from embedlayer.viz.curves import HISTORY_FILES, LossCurve, plot_loss, read_loss_history
from embedlayer.viz.projection import (
    WordProjection,
    draw_words,
    plot_words,
    project_words,
    select_words,
)
from embedlayer.viz.report import plot_report

__all__ = [
    "HISTORY_FILES",
    "LossCurve",
    "WordProjection",
    "draw_words",
    "plot_loss",
    "plot_report",
    "plot_words",
    "project_words",
    "read_loss_history",
    "select_words",
]
