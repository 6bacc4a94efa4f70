"""Models: the last step of a pipeline, words → tokens.

- :class:`WordLevel`: every word is a token (the default for word embeddings; the vocabulary
  and its unknown-word policy belong to ``embedlayer.vocab``, not here).
- :class:`BPE` and :class:`WordPiece`: subword models learned from a corpus with the
  huggingface ``tokenizers`` library (Rust), which also encodes. Our pipeline does the
  normalizing and word cutting, so the ``tokenizers`` object holds the model alone (no
  normalizer, pre-tokenizer or post-processor) and is fed pre-cut words. When saved, its JSON
  is nested whole in the pipeline's JSON, so a loaded model encodes exactly like the trained one.

Training (``fit``) is estimator-style: the constructor stores a frozen config, ``fit`` takes an
iterable of word lists and returns ``self``, and the learned ``tokenizers`` object is in
``tokenizer_``. A model used before it is trained raises :class:`TokenizerError`.

Determinism: BPE training is repeatable. WordPiece training in ``tokenizers`` (<= 0.23) breaks
ties between equally frequent pairs by ids that depend on hash-map order, so two runs on the
same corpus can differ slightly (huggingface/tokenizers issue #1794); a saved model always
encodes the same way.

``tokenizers`` is imported inside the functions that need it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from embedlayer.errors import ConfigError, CorpusError, TokenizerError
from embedlayer.text._validate import check_int, check_str, check_str_tuple

__all__ = ["BPE", "BPEConfig", "WordLevel", "WordPiece", "WordPieceConfig"]


@dataclass(frozen=True)
class WordLevel:
    """Identity: the words of the pre-tokenizer are the tokens."""

    @property
    def special_tokens(self) -> tuple[str, ...]:
        return ()

    @property
    def is_trained(self) -> bool:
        return True

    def fit(self, words: Iterable[list[str]]) -> WordLevel:
        """Nothing to learn (the corpus is not read)."""
        return self

    def tokenize_words(self, words: list[str]) -> list[str]:
        return words

    def tokenize_batch(self, batch: list[list[str]]) -> list[list[str]]:
        return batch

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__}


def _check_subword(config: Any) -> None:
    name = type(config).__name__
    check_int(f"{name}.vocab_size", config.vocab_size, minimum=1)
    check_int(f"{name}.min_count", config.min_count, minimum=0)
    check_str(f"{name}.unk_token", config.unk_token)
    specials = check_str_tuple(f"{name}.special_tokens", config.special_tokens)
    if config.unk_token not in specials:  # the unknown token is always special, and first
        specials = (config.unk_token, *specials)
    object.__setattr__(config, "special_tokens", specials)


@dataclass(frozen=True, kw_only=True)
class BPEConfig:
    """Settings of BPE training: vocabulary size, min_count, special tokens."""

    vocab_size: int = 8000  # target size, special tokens and the alphabet included
    min_count: int = 2  # a pair seen fewer times is never merged
    special_tokens: tuple[str, ...] = ("<unk>",)  # kept whole; they get the first ids
    unk_token: str = "<unk>"  # stands for a character never seen in training
    # Marks every piece after the first of a word (as WordPiece's "##"), so that a token
    # sequence tells where words begin and can be decoded; "" (the default): no marker.
    continuing_subword_prefix: str = ""

    def __post_init__(self) -> None:
        _check_subword(self)
        if not isinstance(self.continuing_subword_prefix, str) \
                or any(c.isspace() for c in self.continuing_subword_prefix):
            raise ConfigError(f"BPEConfig.continuing_subword_prefix must be a string without "
                              f"whitespace, got {self.continuing_subword_prefix!r}")


@dataclass(frozen=True, kw_only=True)
class WordPieceConfig:
    """Settings of WordPiece training: vocabulary size, min_count, special tokens, prefix."""

    vocab_size: int = 8000  # target size, special tokens and the alphabet included
    min_count: int = 2  # a pair seen fewer times is never merged
    special_tokens: tuple[str, ...] = ("<unk>",)  # kept whole; they get the first ids
    unk_token: str = "<unk>"  # replaces a whole word that cannot be spelled with the vocabulary
    continuing_subword_prefix: str = "##"  # marks a piece that continues a word
    max_input_chars_per_word: int = 100  # longer words become unk_token

    def __post_init__(self) -> None:
        _check_subword(self)
        check_str("WordPieceConfig.continuing_subword_prefix", self.continuing_subword_prefix)
        check_int(
            "WordPieceConfig.max_input_chars_per_word", self.max_input_chars_per_word, minimum=1
        )


def hf_tokenizer_from_json(obj: Any, kind: str) -> Any:
    """Rebuild a ``tokenizers.Tokenizer`` from its parsed JSON; ValueError says what is wrong."""
    if not isinstance(obj, dict) or not isinstance(obj.get("model"), dict):
        raise ValueError("expected the JSON object of a huggingface tokenizers model")
    found = obj["model"].get("type")
    if found != kind:
        raise ValueError(f"expected a {kind} model, found {found!r}")
    extra = [key for key in ("normalizer", "pre_tokenizer", "post_processor") if obj.get(key)]
    if extra:
        raise ValueError(
            f"must not have its own {', '.join(extra)}: the embedlayer pipeline does those steps"
        )
    from tokenizers import Tokenizer as HfTokenizer

    try:
        return HfTokenizer.from_str(json.dumps(obj))
    except Exception as exc:  # tokenizers raises plain Exception on a bad JSON
        raise ValueError(f"not a valid huggingface tokenizers JSON: {exc}") from None


class _Subword(ABC):
    """What BPE and WordPiece share: training, encoding, (de)serialization."""

    kind: ClassVar[str]
    config: Any
    tokenizer_: Any

    @property
    def special_tokens(self) -> tuple[str, ...]:
        return self.config.special_tokens

    @property
    def is_trained(self) -> bool:
        return self.tokenizer_ is not None

    def _trained(self) -> Any:
        if self.tokenizer_ is None:
            raise TokenizerError(
                f"this {self.kind} model is not trained: call fit(...) (or "
                f"embedlayer.text.train_subword) first, or load a trained pipeline"
            )
        return self.tokenizer_

    @abstractmethod
    def _new_model_and_trainer(self) -> tuple[Any, Any]:
        """The untrained ``tokenizers`` model and its trainer, built from ``self.config``."""

    def fit(self, words: Iterable[list[str]]) -> _Subword:
        """Learn the subword vocabulary from word lists (one list per sentence or line)."""
        from tokenizers import Tokenizer as HfTokenizer

        model, trainer = self._new_model_and_trainer()
        tokenizer = HfTokenizer(model)
        seen = 0

        def non_empty() -> Iterable[list[str]]:
            # With no pre-tokenizer of its own, tokenizers counts each string as one word.
            nonlocal seen
            for item in words:
                if item:
                    seen += 1
                    yield item

        tokenizer.train_from_iterator(non_empty(), trainer=trainer)
        if not seen:
            raise CorpusError(f"cannot train a {self.kind} model: the corpus has no words")
        self.tokenizer_ = tokenizer
        return self

    def vocab(self) -> dict[str, int]:
        """token → id of the trained model, special tokens included."""
        return dict(self._trained().get_vocab(with_added_tokens=True))

    def tokenize_words(self, words: list[str]) -> list[str]:
        tokenizer = self._trained()
        if not words:
            return []
        return tokenizer.encode(words, is_pretokenized=True, add_special_tokens=False).tokens

    def tokenize_batch(self, batch: list[list[str]]) -> list[list[str]]:
        tokenizer = self._trained()
        encodings = tokenizer.encode_batch(batch, is_pretokenized=True, add_special_tokens=False)
        return [encoding.tokens for encoding in encodings]

    def to_dict(self) -> dict[str, Any]:
        config = asdict(self.config)
        config["special_tokens"] = list(config["special_tokens"])
        if self.kind == "BPE" and not config["continuing_subword_prefix"]:
            del config["continuing_subword_prefix"]  # files without the marker stay as they were
        trained = json.loads(self.tokenizer_.to_str()) if self.tokenizer_ is not None else None
        return {"type": self.kind, "config": config, "tokenizer": trained}

    def __repr__(self) -> str:
        state = f"vocab={self.tokenizer_.get_vocab_size()}" if self.tokenizer_ else "untrained"
        return f"{self.kind}({self.config!r}, {state})"


class BPE(_Subword):
    """Byte-pair encoding over characters (merges learned by ``tokenizers``' BpeTrainer)."""

    kind = "BPE"

    def __init__(
        self,
        *,
        vocab_size: int = 8000,
        min_count: int = 2,
        special_tokens: Iterable[str] = ("<unk>",),
        unk_token: str = "<unk>",
        continuing_subword_prefix: str = "",
    ) -> None:
        self.config = BPEConfig(
            vocab_size=vocab_size,
            min_count=min_count,
            special_tokens=tuple(special_tokens),
            unk_token=unk_token,
            continuing_subword_prefix=continuing_subword_prefix,
        )
        self.tokenizer_ = None

    @classmethod
    def from_config(cls, config: BPEConfig, tokenizer: Any = None) -> BPE:
        if not isinstance(config, BPEConfig):
            raise ConfigError(f"BPE needs a BPEConfig; got {type(config).__name__}")
        model = cls.__new__(cls)
        model.config, model.tokenizer_ = config, tokenizer
        return model

    def merges(self) -> list[tuple[str, str]]:
        """The learned merges, in the order they were learned."""
        raw = json.loads(self._trained().to_str())["model"]["merges"]
        return [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in raw]

    def _new_model_and_trainer(self) -> tuple[Any, Any]:
        from tokenizers import models, trainers

        c = self.config
        prefix = {"continuing_subword_prefix": c.continuing_subword_prefix} \
            if c.continuing_subword_prefix else {}
        model = models.BPE(unk_token=c.unk_token, **prefix)
        trainer = trainers.BpeTrainer(
            vocab_size=c.vocab_size,
            min_frequency=c.min_count,  # the tokenizers library names it so
            special_tokens=list(c.special_tokens),
            show_progress=False,
            **prefix,
        )
        return model, trainer


class WordPiece(_Subword):
    """WordPiece vocabulary (``tokenizers``' WordPieceTrainer) with greedy longest-match
    encoding; pieces after the first carry ``continuing_subword_prefix`` (``##``)."""

    kind = "WordPiece"

    def __init__(
        self,
        *,
        vocab_size: int = 8000,
        min_count: int = 2,
        special_tokens: Iterable[str] = ("<unk>",),
        unk_token: str = "<unk>",
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
    ) -> None:
        self.config = WordPieceConfig(
            vocab_size=vocab_size,
            min_count=min_count,
            special_tokens=tuple(special_tokens),
            unk_token=unk_token,
            continuing_subword_prefix=continuing_subword_prefix,
            max_input_chars_per_word=max_input_chars_per_word,
        )
        self.tokenizer_ = None

    @classmethod
    def from_config(cls, config: WordPieceConfig, tokenizer: Any = None) -> WordPiece:
        if not isinstance(config, WordPieceConfig):
            raise ConfigError(f"WordPiece needs a WordPieceConfig; got {type(config).__name__}")
        model = cls.__new__(cls)
        model.config, model.tokenizer_ = config, tokenizer
        return model

    def _new_model_and_trainer(self) -> tuple[Any, Any]:
        from tokenizers import models, trainers

        c = self.config
        model = models.WordPiece(
            unk_token=c.unk_token,
            continuing_subword_prefix=c.continuing_subword_prefix,
            max_input_chars_per_word=c.max_input_chars_per_word,
        )
        trainer = trainers.WordPieceTrainer(
            vocab_size=c.vocab_size,
            min_frequency=c.min_count,  # the tokenizers library names it so
            special_tokens=list(c.special_tokens),
            continuing_subword_prefix=c.continuing_subword_prefix,
            show_progress=False,
        )
        return model, trainer
