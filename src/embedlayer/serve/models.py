"""The models a server holds: loaded once from the paths on its command line, read-only.

What it holds: :func:`detect_kind` (what a path or name is), :class:`LoadedModel` (one model,
its kind, the objects that answer for it, a JSON-able description) and
:class:`ModelRegistry` (models by name; the default model of a kind; ``reload``, which reads
a model again from its original path into new objects and swaps the entry in one step, so a
request already running keeps the object it started with).

Kinds: ``vectors`` (any vectors file or folder ``load_vectors`` reads, a fastText model, or a
compressed folder; it also encodes texts as the mean of their word vectors), ``encoder`` (a
transformer checkpoint folder or a known name such as ``minilm``), ``index`` (a saved
``VectorIndex`` folder: of word vectors, answering ``/similar`` for the vectors it was built
from, or of texts, answering ``/search`` with the encoder it was built with), ``classifier``
and ``tagger`` (folders written by ``TextClassifier.save`` / ``SequenceTagger.save``).
Requests name models by the name the server gave them; no request ever names a path.
What it leaves out: HTTP (``serve.app``), the algorithms (the layers below).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from embedlayer.errors import ConfigError, MissingFileError, RequestError

__all__ = ["ModelKind", "LoadedModel", "ModelRegistry", "detect_kind", "parse_model_arg"]

ModelKind = Literal["vectors", "encoder", "index", "classifier", "tagger"]
KINDS: tuple[str, ...] = ("vectors", "encoder", "index", "classifier", "tagger")
# loaded second: they link to models of the first group (an index to its vectors or encoder,
# a tagger with contextual features to its transformer)
_LINKED = ("index", "tagger")
_CLASSIFIER_FORMAT = "embedlayer.text-classifier"
_TAGGER_FORMAT = "embedlayer.sequence-tagger"
_CONFIG_LIMIT = 1 << 20  # a config.json larger than this is not one of ours


def parse_model_arg(arg: str) -> tuple[str, str]:
    """``NAME=PATH`` -> (NAME, PATH); a bare ``PATH`` is named after its file or folder (without
    the extension); a bare known checkpoint name (``minilm``) after itself."""
    name, eq, source = arg.partition("=")
    if eq and name and "/" not in name and source:
        return name, source
    source = arg
    path = Path(source)
    stem = path.name.split(".", 1)[0] if path.name else source
    return stem or source, source


def _config_format(folder: Path) -> str | None:
    path = folder / "config.json"
    if not path.is_file() or path.stat().st_size > _CONFIG_LIMIT:
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    return fmt if isinstance(fmt, str) else None


def detect_kind(source: str) -> ModelKind:
    """The kind of model at ``source`` (a path, or a known checkpoint name)."""
    from embedlayer.cli._encoders import is_checkpoint

    path = Path(source)
    if not path.exists():
        if is_checkpoint(source):
            return "encoder"
        raise MissingFileError(f"MODEL {source}: no such file or folder, and not a known "
                               f"checkpoint name (e.g. minilm)")
    if path.is_dir():
        if (path / "index.json").is_file():
            return "index"
        fmt = _config_format(path)
        if fmt == _CLASSIFIER_FORMAT:
            return "classifier"
        if fmt == _TAGGER_FORMAT:
            return "tagger"
        if (path / "config.json").is_file():
            return "encoder"
    return "vectors"


@dataclass(frozen=True)
class LoadedModel:
    """One model the server holds. ``obj`` answers its kind's routes: a vector store, an
    ``Encoder``, a ``VectorIndex``, a ``TextClassifier`` or a ``SequenceTagger``.
    ``encoder``: what encodes texts for it (a vectors model's static mean encoder, a text
    index's encoder); ``vectors``: the name of the vectors model a word index serves."""

    name: str
    kind: ModelKind
    source: str  # the path or name given on the command line (never shown to clients)
    obj: Any
    encoder: Any = None
    vectors: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    loaded_at: float = 0.0
    reloads: int = 0

    @property
    def holds_texts(self) -> bool:
        """An index of encoded texts (``/search``), not of word vectors (``/similar``)."""
        return self.kind == "index" and self.encoder is not None

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for ``GET /models`` (no paths)."""
        return {"name": self.name, "kind": self.kind, "source": Path(self.source).name,
                "loaded_at": round(self.loaded_at, 3), "reloads": self.reloads, **self.info}


def _load_vectors_model(name: str, source: str) -> LoadedModel:
    from embedlayer.compress import is_compressed_folder, load_compressed
    from embedlayer.text import get_tokenizer
    from embedlayer.vectors.encoder import StaticEncoder
    from embedlayer.vectors.io import load_vectors
    from embedlayer.vectors.subword import SubwordVectors

    path = Path(source)
    store = load_compressed(path) if is_compressed_folder(path) else load_vectors(
        path, progress=False)
    # the same static encoder `embedlayer encode VECTORS` builds (mean, regex, lower-cased),
    # so its identity matches an index built with `index build --encoder VECTORS`
    encoder = StaticEncoder(store, get_tokenizer("regex", lowercase=True), method="mean")
    subword = isinstance(store, SubwordVectors)
    info = {"dim": store.dim, "size": len(store), "store": type(store).__name__,
            "oov": "compose" if subword else "null"}
    return LoadedModel(name, "vectors", source, store, encoder=encoder, info=info)


def _load_encoder(name: str, source: str) -> LoadedModel:
    from embedlayer.contextual import TransformerEncoder

    encoder = TransformerEncoder(source)
    return LoadedModel(name, "encoder", source, encoder, encoder=encoder,
                       info={"dim": encoder.dim, "identity": encoder.identity()})


def _load_index(name: str, source: str, others: Sequence[LoadedModel]) -> LoadedModel:
    from embedlayer.tasks.index import VectorIndex

    index = VectorIndex.load(source)
    info = {"dim": index.dim, "size": len(index), "index_kind": index.kind,
            "metric": index.metric}
    texts = index.encoder is not None or index.info.get("source") == "texts"
    if not texts:
        vectors = _vectors_for_index(name, index, others)
        return LoadedModel(name, "index", source, index, vectors=vectors.name,
                           info={**info, "holds": "words", "vectors_model": vectors.name})
    for other in others:
        if other.encoder is not None and other.kind in ("vectors", "encoder"):
            try:
                index.check_encoder(other.encoder)
            except ConfigError:
                continue
            return LoadedModel(name, "index", source, index, encoder=other.encoder,
                               info={**info, "holds": "texts", "encoder_model": other.name})
    encoder = _recipe_encoder(name, source, index)
    index.check_encoder(encoder)
    return LoadedModel(name, "index", source, index, encoder=encoder,
                       info={**info, "holds": "texts", "encoder_model": None})


def _vectors_for_index(name: str, index: Any, others: Sequence[LoadedModel]) -> LoadedModel:
    """The loaded vectors model a word index was built from: the same file, else the only
    vectors model with the index's dim and size."""
    vectors = [m for m in others if m.kind == "vectors"]
    origin = index.info.get("vectors")
    for model in vectors:
        if origin is not None and Path(model.source).resolve() == Path(origin):
            return model
    fits = [m for m in vectors if m.obj.dim == index.dim and len(m.obj) == len(index)]
    if len(fits) == 1:
        return fits[0]
    raise ConfigError(f"index {name!r} holds word vectors"
                      f"{f' of {origin}' if origin else ''}: give those vectors as a MODEL too "
                      f"(the query words' vectors come from them)")


def _recipe_encoder(name: str, source: str, index: Any) -> Any:
    """The encoder an index of texts records (``embedlayer index build --encoder``)."""
    from embedlayer.cli._encoders import build_encoder

    model = index.info.get("encoder_model")
    if model is None:
        raise ConfigError(f"index {name!r} ({source}) records no encoder: give the encoder it "
                          f"was built with as a MODEL too")
    options = dict(index.info.get("encoder_options") or {})
    return build_encoder(model, fit_texts=[], label=f"the encoder of index {name!r}",
                         method=options.get("method") or "mean",
                         tokenizer=options.get("tokenizer") or "regex",
                         pooling=options.get("pooling"), normalize=options.get("normalize"),
                         max_length=options.get("max_length"), stride=options.get("stride"),
                         precision=options.get("precision") or "fp32")


def _load_classifier(name: str, source: str) -> LoadedModel:
    from embedlayer.tasks import TextClassifier

    clf = TextClassifier.load(source, progress=False)
    return LoadedModel(name, "classifier", source, clf, info={"labels": list(clf.labels_)})


def _load_tagger(name: str, source: str, others: Sequence[LoadedModel]) -> LoadedModel:
    from embedlayer.tasks import SequenceTagger

    doc = json.loads((Path(source) / "config.json").read_text(encoding="utf-8"))
    identity = doc.get("contextual") if isinstance(doc, dict) else None
    contextual = None
    if identity is not None:
        contextual = next((m.obj for m in others if m.kind == "encoder"
                           and m.obj.identity() == identity), None)
        if contextual is None:
            raise ConfigError(f"tagger {name!r} was trained with contextual features of "
                              f"{identity.get('checkpoint', identity)!r}: give that checkpoint "
                              f"as a MODEL too")
    tagger = SequenceTagger.load(source, contextual=contextual)
    return LoadedModel(name, "tagger", source, tagger,
                       info={"tags": list(tagger.tags_), "scheme": tagger.scheme_})


def load_model(name: str, source: str, others: Sequence[LoadedModel] = ()) -> LoadedModel:
    """Read the model at ``source`` (kind detected) under ``name``; ``others``: the models
    already loaded, that an index or a tagger may link to."""
    kind = detect_kind(source)
    t0 = time.time()
    if kind == "vectors":
        model = _load_vectors_model(name, source)
    elif kind == "encoder":
        model = _load_encoder(name, source)
    elif kind == "index":
        model = _load_index(name, source, others)
    elif kind == "classifier":
        model = _load_classifier(name, source)
    else:
        model = _load_tagger(name, source, others)
    return replace(model, loaded_at=t0)


class ModelRegistry:
    """Models by name. Lookups read one dict entry (atomic); :meth:`reload` builds the new
    model aside and swaps the entry under a lock, so readers never see half a model."""

    def __init__(self, models: Iterable[LoadedModel]) -> None:
        self._models: dict[str, LoadedModel] = {}
        for model in models:
            if model.name in self._models:
                raise ConfigError(f"two models are named {model.name!r}: name them with "
                                  f"NAME=PATH")
            self._models[model.name] = model
        self._lock = threading.Lock()  # one reload at a time

    @classmethod
    def load(cls, specs: Sequence[tuple[str, str]]) -> ModelRegistry:
        """Load ``(name, source)`` pairs: vectors, encoders and classifiers first, then the
        indexes and taggers that link to them."""
        if not specs:
            raise ConfigError("no MODEL given: name at least one model path")
        names = [name for name, _ in specs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"two models are named {dup[0]!r}: name them with NAME=PATH")
        kinds = {name: detect_kind(source) for name, source in specs}
        loaded: list[LoadedModel] = []
        for late in (False, True):
            for name, source in specs:
                if (kinds[name] in _LINKED) == late:
                    loaded.append(load_model(name, source, loaded))
        order = {name: i for i, name in enumerate(names)}
        return cls(sorted(loaded, key=lambda m: order[m.name]))

    def __len__(self) -> int:
        return len(self._models)

    def models(self) -> list[LoadedModel]:
        """Every model, in command-line order (a snapshot)."""
        return list(self._models.values())

    def kinds(self) -> set[str]:
        return {m.kind for m in self._models.values()}

    def get(self, name: str) -> LoadedModel:
        model = self._models.get(name)
        if model is None:
            raise RequestError(404, "unknown_model",
                               f"no model is named {name!r} (loaded: {self._listing()})")
        return model

    def _listing(self) -> str:
        return ", ".join(f"{m.name} ({m.kind})" for m in self._models.values()) or "none"

    def pick(self, name: str | None, kinds: Sequence[str], *, route: str,
             accept: Callable[[LoadedModel], bool] | None = None) -> LoadedModel:
        """The model a request names, else the only model of the first of ``kinds`` loaded.

        ``accept``: a further test (e.g. an index of texts for ``/search``)."""
        def fits(m: LoadedModel) -> bool:
            return m.kind in kinds and (accept is None or accept(m))

        want = " or ".join(kinds)
        if name is not None:
            model = self.get(name)
            if not fits(model):
                raise RequestError(422, "wrong_model_kind",
                                   f"{route}: model {name!r} is a {model.kind}"
                                   f"{' of words' if model.kind == 'index' else ''}; this "
                                   f"route takes a {want} model (loaded: {self._listing()})")
            return model
        for kind in kinds:
            found = [m for m in self._models.values() if m.kind == kind and fits(m)]
            if len(found) == 1:
                return found[0]
            if found:
                raise RequestError(400, "model_required",
                                   f"{route}: {len(found)} {kind} models are loaded "
                                   f"({', '.join(m.name for m in found)}); name one with "
                                   f"\"model\"")
        raise RequestError(404, "no_model", f"{route}: no {want} model is loaded (loaded: "
                                            f"{self._listing()})")

    def index_for(self, vectors: str) -> LoadedModel | None:
        """The word index built over the vectors model named ``vectors``, if one is loaded."""
        return next((m for m in self._models.values()
                     if m.kind == "index" and m.vectors == vectors), None)

    def reload(self, name: str) -> LoadedModel:
        """Read model ``name`` again from its path and swap it in; errors leave the old one."""
        with self._lock:
            old = self.get(name)
            others = [m for m in self._models.values() if m.name != name]
            new = replace(load_model(name, old.source, others), reloads=old.reloads + 1)
            self._models[name] = new  # one assignment: the swap is atomic for readers
            return new

    def reload_all(self) -> list[LoadedModel]:
        """:meth:`reload` every model, the linked kinds last."""
        order = sorted(self._models.values(), key=lambda m: m.kind in _LINKED)
        return [self.reload(m.name) for m in order]
