"""DESIGN.md's layers: every import inside embedlayer goes to a lower layer or its own package.

Module-level and function-level imports both count (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "embedlayer"

# package (first component under embedlayer) -> layer, as in DESIGN.md
LAYERS = {
    "errors": 0, "config": 0, "_types": 0, "_atomic": 0, "_jsondoc": 0, "_npyfile": 0,
    "_progress": 0, "__init__": 0,
    "data": 1, "corpus": 1, "text": 1, "vocab": 1,
    "vectors": 2,
    "train": 3, "compress": 3, "transform": 3, "nn": 3, "contextual": 3,
    "tasks": 4, "eval": 4, "dist": 4,
    "serve": 5, "viz": 5, "cli": 5, "demo": 5, "__main__": 5,
}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("embedlayer."):
                found.append((node.lineno, node.module))
            elif node.module == "embedlayer":
                found.extend((node.lineno, f"embedlayer.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names
                         if a.name.startswith("embedlayer."))
    return found


# Same-layer imports that are allowed, one way only: contextual's torch module
# (ContextualEmbedding) pools token vectors with nn's masked pooling (nn.encoders.pool) rather
# than keep a second copy. DESIGN.md lists both packages on L3 with "L0-L2"; this is the one
# edge between them, and nn never imports contextual.
# Likewise tasks' answer selection and its cross-validated fusion score with eval's
# MAP / MRR (eval.qa) rather than keep a second copy of the metric; eval never imports tasks.
# And dist's DDP plan cuts its share of the examples with the classifier's own length-bucketed
# batching (tasks._training.bucketed_batches); tasks never imports dist.
ALLOWED = {("contextual", "nn"), ("tasks", "eval"), ("dist", "tasks")}

FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_down(path: Path):
    rel = path.relative_to(SRC)
    own = rel.parts[0].removesuffix(".py")
    assert own in LAYERS, f"{rel}: package {own!r} has no layer in DESIGN.md"
    bad = []
    for line, module in _imports(path):
        target = _package(module)
        if target == own or target == "__version__" or (own, target) in ALLOWED:
            continue
        assert target in LAYERS, f"{rel}:{line}: imports unknown package {module}"
        # L0's small modules use each other; L5 (serve, viz, cli, the demo) may use anything.
        if LAYERS[target] >= LAYERS[own] and not (LAYERS[own] == LAYERS[target] in (0, 5)):
            bad.append(f"{rel}:{line} (L{LAYERS[own]}) imports {module} (L{LAYERS[target]})")
    assert not bad, "; ".join(bad)
