"""The public API of embedlayer.corpus, and its place in the layers (imports only go down)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import embedlayer.corpus as corpus

EXPORTED = {
    "ConllCorpus", "CorpusStats", "CorpusSummary", "DecodePolicy", "DocumentCorpus",
    "DocumentUnit", "Sentence", "TextCorpus", "WikiArticle", "WikiCorpus", "WikiLineUnit",
    "WikiStats", "strip_wiki_markup", "summarize", "wiki_to_text", "write_conll",
    "ShardPiece", "TextShard", "plan_shards",
}

# Layer L1: the base layer, the standard library, numpy and tqdm; never text/ or vocab/.
ALLOWED_INTERNAL = {
    "embedlayer.errors", "embedlayer.config", "embedlayer._types", "embedlayer._atomic",
    "embedlayer._progress",
}


def test_exported_names_are_pinned() -> None:
    assert set(corpus.__all__) == EXPORTED
    for name in corpus.__all__:
        assert getattr(corpus, name) is not None


def test_imports_stay_in_layer_one() -> None:
    package = Path(corpus.__file__).parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("embedlayer"):
                    assert name.startswith("embedlayer.corpus") or name in ALLOWED_INTERNAL, (
                        f"{path.name} imports {name}"
                    )


def test_importing_corpus_loads_no_other_layer() -> None:
    code = (
        "import json, sys, embedlayer.corpus;"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('embedlayer.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[1] for m in json.loads(out.stdout)}
    assert loaded <= {"corpus", "errors", "config", "_types", "_atomic", "_progress"}
