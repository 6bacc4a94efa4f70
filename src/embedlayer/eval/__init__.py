"""Intrinsic evaluation: word similarity, analogies, document similarity, and reports.

Layer L4 of DESIGN.md. Any ``VectorStore`` can be scored; every result carries its coverage
and the out-of-vocabulary policy it was computed with. The inspection report of a transformer
checkpoint's embedding layer is ``embedlayer.eval.inspect`` (with ``eval.inspect_report``),
imported on its own so this package stays light.
"""

from embedlayer.eval.analogy import AnalogyResult, SectionResult, evaluate_analogies
from embedlayer.eval.docsim import (
    DocSimResult,
    EncoderDocSimResult,
    evaluate_docsim,
    evaluate_lee,
    load_lee,
)
from embedlayer.eval.suite import STANDARD_ANALOGY, STANDARD_WORDSIM, EvalReport, run_suite
from embedlayer.eval.wordsim import OOVPairPolicy, WordSimResult, evaluate_word_pairs

__all__ = [
    "STANDARD_ANALOGY",
    "STANDARD_WORDSIM",
    "AnalogyResult",
    "DocSimResult",
    "EncoderDocSimResult",
    "EvalReport",
    "OOVPairPolicy",
    "SectionResult",
    "WordSimResult",
    "evaluate_analogies",
    "evaluate_docsim",
    "evaluate_lee",
    "evaluate_word_pairs",
    "load_lee",
    "run_suite",
]
