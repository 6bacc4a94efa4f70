"""The API reference in docs/api is the docstrings' current text, and every public name has one."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from .conftest import ROOT

API_DOCS = ROOT / "docs" / "api"
REGENERATE = "regenerate it: PYTHONPATH=src python scripts/make_api_docs.py"

# Public names that had no docstring of their own when the reference was introduced (their
# owners add them; a dataclass's generated "Name(field, ...)" text does not count). The list may
# only shrink: a new public name without a docstring fails, and so does a listed one that has
# gained its docstring (so it leaves this list).
MISSING_DOCSTRINGS: frozenset[str] = frozenset()


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("make_api_docs",
                                                  ROOT / "scripts" / "make_api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_api_reference_matches_a_fresh_generation(gen, tmp_path: Path) -> None:
    gen.write_docs(tmp_path)
    fresh = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in API_DOCS.glob("*.md")}
    assert sorted(committed) == sorted(fresh), f"docs/api has other pages than generated; {REGENERATE}"
    stale = sorted(name for name in fresh if fresh[name] != committed[name])
    assert not stale, f"docs/api pages out of date with the docstrings: {stale}; {REGENERATE}"


def test_generation_is_deterministic(gen) -> None:
    for name in gen.public_modules():
        assert gen.render_module(name) == gen.render_module(name), name


def test_every_public_module_has_a_page_and_a_docstring(gen) -> None:
    modules = gen.public_modules()
    assert {"embedlayer.train", "embedlayer.vectors", "embedlayer.vectors.io", "embedlayer.vocab",
            "embedlayer.errors"} <= set(modules)
    assert "embedlayer.cli" not in modules  # the command line documents itself with --help
    for name in modules:
        assert importlib.import_module(name).__doc__, f"module {name} has no docstring"


def test_every_public_class_and_function_has_a_docstring(gen) -> None:
    missing = set()
    for module_name in gen.public_modules():
        module = importlib.import_module(module_name)
        for name in gen.public_names(module):
            obj = getattr(module, name)
            if gen.is_documentable(obj) and not gen.own_doc(obj):
                missing.add(f"{module_name}.{name}")
    assert not missing - MISSING_DOCSTRINGS, "public names without a docstring"
    assert not MISSING_DOCSTRINGS - missing, "documented now: remove them from MISSING_DOCSTRINGS"


def test_signatures_show_positional_only_and_keyword_only_markers(gen) -> None:
    def f(a, /, b: int, *, c: str = "x") -> None: ...  # noqa: ANN001 - an unannotated one too

    assert gen._signature("f", f) == "f(a, /, b: int, *, c: str = 'x') -> None"


def test_dataclass_generated_text_does_not_count_as_a_docstring(gen) -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Settings:
        size: int = 1

    @dataclass(frozen=True)
    class Documented:
        """What it configures."""

        size: int = 1

    assert gen.own_doc(Settings) is None
    assert gen.own_doc(Documented) == "What it configures."
