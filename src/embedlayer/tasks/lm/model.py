"""`CausalLM`: a small GPT-style language model over the embedding layer, trained and used.

What it holds: the estimator (the constructor stores an :class:`LMConfig`; ``fit`` trains the
tokenizer on the corpus (BPE, or a word-level vocabulary: ``LMConfig.tokenizer``), encodes the corpus once into a memory-mapped id stream, holds out
its last ``val_fraction`` for validation, and trains a ``CausalTransformer`` with AdamW,
warm-up + cosine decay and gradient clipping on seeded random windows, scoring the held-out
slice every ``eval_every`` steps; it returns ``self``), ``evaluate`` (loss and perplexity on
texts, in windows of the training context or another length), ``token_vectors`` (the token
table as ``Vectors``), ``generate`` (greedy, or sampling with temperature and top-k from a seed) and the
folder (``tasks.lm._folder``). Checkpoints: with ``output``, ``fit`` writes the model folder
plus the training state at each evaluation and at the end; ``resume=True`` continues from it,
and with one thread the result equals an unbroken run bit for bit.

Initial token table from word vectors (``fit(init_vectors=store)``): the rows of the tokens
the store holds (special tokens excepted) are copied from it, then all copied rows are
multiplied by one common factor so that their root mean square per coordinate is 0.02, the
std of the random init of every other row. Why one factor and not each row's own norm: the
relative lengths and directions of the vectors (what the store learned) are kept, while the
tied output layer, whose logits are dot products with these rows, starts at the scale the
rest of the network was initialized for (raw word2vec rows are ~10-50x larger and would
start the model with very peaked, arbitrary predictions). ``init_rows_`` / ``init_scale_``
record how many rows were copied and the factor (0 and None without ``init_vectors``).

Defined answers (generation): the prompt is read as the start of a line, after
``<|endoftext|>`` (the token that ends every line in training), so an empty prompt generates
from the start of a line; unknown characters become ``<unk>`` (no byte fallback);
``max_new_tokens`` 0 returns the prompt unchanged, a negative one or one above
:data:`MAX_NEW_TOKENS` is a ``ConfigError``; generation stops early at ``<|endoftext|>``
unless ``stop_at_end=False``; past ``context`` tokens the window slides (the model sees the
last ``context`` tokens, positions counted from the window's start). The returned text is the
prompt followed by the decoded new tokens (``tasks.lm._tokens.decode``: one space between
words). What it leaves out: the network (``nn.transformer``) and the training pieces
(``tasks.lm._train``).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name

from embedlayer._progress import progress_bar
from embedlayer._types import PathLike
from embedlayer.corpus import TextCorpus
from embedlayer.errors import ConfigError, CorpusError
from embedlayer.nn._threads import torch_threads
from embedlayer.nn.transformer import POSITION_KINDS, CausalTransformer, TransformerConfig
from embedlayer.tasks._training import optimizer_step
from embedlayer.tasks.lm._tokens import (
    EOS,
    TOKENIZER_KINDS,
    decode,
    encode_text,
    train_tokenizer,
    write_stream,
)
from embedlayer.tasks.lm._train import (
    StepRecord,
    copy_vectors,
    learning_rate_at,
    make_optimizer,
    optimizer_from_state,
    sample_batch,
    window_loss,
)

if TYPE_CHECKING:
    from embedlayer.vectors import Vectors

__all__ = ["MAX_NEW_TOKENS", "CausalLM", "LMConfig", "LMScore"]

MAX_NEW_TOKENS = 100_000  # a larger request is a ConfigError (a typo, not a wish)
_SHAPE = ("context", "dim", "layers", "heads", "positions", "tied", "dropout", "seed")


@dataclass(frozen=True)
class LMConfig:
    """Settings of a ``CausalLM``: tokenizer, network shape and training."""

    # "bpe": the project's BPE; "word": regex words, the most frequent ones, others <unk>
    tokenizer: Literal["bpe", "word"] = "bpe"
    # bpe: target size, special tokens and the alphabet included; word: at most this many
    # tokens, <unk> and <|endoftext|> included
    vocab_size: int = 8000
    min_count: int = 2  # bpe: a pair seen fewer times is never merged; word: nor kept
    lowercase: bool = False  # lower-case text before tokenizing
    context: int = 128  # tokens per training window; the longest the model sees
    dim: int = 128  # model width
    layers: int = 2  # transformer blocks
    heads: int = 4  # attention heads
    positions: Literal["none", "sinusoidal", "learned", "rotary"] = "learned"
    tied: bool = True  # output head = the token table (learned + tied = GPT-2)
    dropout: float = 0.0
    steps: int = 2000  # optimizer steps
    batch_size: int = 32  # windows per step
    learning_rate: float = 3e-4  # AdamW's peak rate
    min_lr_ratio: float = 0.1  # the cosine decays to this share of the peak
    warmup: int = 100  # steps of linear warm-up
    weight_decay: float = 0.1  # AdamW's, on matrices only
    beta2: float = 0.95  # AdamW's second-moment decay (beta1 0.9)
    clip_norm: float | None = 1.0  # global gradient-norm clipping; None: none
    val_fraction: float = 0.02  # the last share of the token stream, held out; 0: none
    eval_every: int = 200  # score the held-out slice (and write a checkpoint) every N steps
    eval_tokens: int = 65536  # held-out tokens scored each time (from the slice's start)
    seed: int = 0  # weights, batches and dropout derive from it

    def check(self) -> LMConfig:
        def bad(name: str, expected: str) -> ConfigError:
            return ConfigError(f"LMConfig: {name} must be {expected}, got "
                               f"{getattr(self, name)!r}")

        def is_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        def is_num(v: Any) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

        for name in ("vocab_size", "context", "dim", "layers", "heads", "steps", "batch_size",
                     "eval_every", "eval_tokens"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "an int >= 1")
        for name in ("min_count", "warmup", "seed"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 0:
                raise bad(name, "an int >= 0")
        if self.positions not in POSITION_KINDS:
            raise bad("positions", f"one of {', '.join(POSITION_KINDS)}")
        if self.tokenizer not in TOKENIZER_KINDS:
            raise bad("tokenizer", f"one of {', '.join(TOKENIZER_KINDS)}")
        if self.tokenizer == "word" and self.vocab_size < 3:
            raise bad("vocab_size", "an int >= 3 with tokenizer='word' (<unk>, "
                                    "<|endoftext|> and a word)")
        for name in ("lowercase", "tied"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "True or False")
        for name in ("dropout", "val_fraction", "beta2", "min_lr_ratio"):
            v = getattr(self, name)
            if not is_num(v) or not 0.0 <= v < 1.0:
                raise bad(name, "a number in [0, 1)")
        if not is_num(self.learning_rate) or self.learning_rate <= 0:
            raise bad("learning_rate", "a finite number > 0")
        if not is_num(self.weight_decay) or self.weight_decay < 0:
            raise bad("weight_decay", "a finite number >= 0")
        if self.clip_norm is not None and (not is_num(self.clip_norm) or self.clip_norm <= 0):
            raise bad("clip_norm", "a finite number > 0 or None")
        self.network()  # dim a multiple of heads, an even head size for rotary
        return self

    def network(self) -> TransformerConfig:
        return TransformerConfig(**{k: getattr(self, k) for k in _SHAPE}).check()


@dataclass(frozen=True)
class LMScore:
    """Next-token loss of a model on some text."""

    loss: float  # mean cross-entropy per predicted token (nats)
    perplexity: float  # exp(loss)
    tokens: int  # tokens predicted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lines(corpus: Any) -> Iterable[str]:
    """A path (file, folder, glob) -> its lines; any other iterable of strings as it is
    (an iterator is read into a list: the corpus is read twice)."""
    if isinstance(corpus, str | os.PathLike):
        return TextCorpus(corpus)
    if isinstance(corpus, bytes) or not isinstance(corpus, Iterable):
        raise ConfigError(f"corpus must be a path or an iterable of strings, got "
                          f"{type(corpus).__name__}")
    return list(corpus) if iter(corpus) is corpus else corpus


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low \
            or (high is not None and value > high):
        span = f"in [{low}, {high:,}]" if high is not None else f">= {low}"
        raise ConfigError(f"{name} must be an int {span}, got {value!r}")
    return value


class CausalLM:
    """A causal language model: tokenizer + ``CausalTransformer``; see the module doc."""

    def __init__(self, config: LMConfig | None = None, *, workers: int | None = None,
                 device: str | torch.device = "cpu") -> None:
        self.config = (config or LMConfig()).check()
        if workers is not None:
            _check_int("workers", workers, 1)
        self.workers = workers
        self.device = torch.device(device)

    # --- training ----------------------------------------------------------------------------
    def fit(self, corpus: Any, *, output: PathLike | None = None, resume: bool = False,
            until: int | None = None, init_vectors: Any = None,
            progress: bool = True) -> CausalLM:
        """Train on ``corpus`` (a path, or an iterable of lines); returns ``self``.

        ``output``: write the model folder and the training state there at every evaluation
        and at the end. ``resume``: continue from the state in ``output`` (its settings must
        equal ``self.config``; the corpus must encode to the same number of tokens).
        ``until``: stop after that many steps in all (a checkpoint is written), to split a run.
        ``init_vectors``: a ``VectorStore`` (e.g. ``Vectors``, a loaded word2vec file) of
        dimension ``dim`` whose vectors start the token table (see the module docstring);
        ``ConfigError`` when its dimension differs, when it holds none of the tokens, or
        with ``resume=True`` (the checkpoint already holds the table).
        """
        from embedlayer.tasks.lm import _folder

        c = self.config
        if resume and output is None:
            raise ConfigError("resume=True needs output= (the folder to resume from)")
        if resume and init_vectors is not None:
            raise ConfigError("init_vectors starts a new token table; with resume=True the "
                              "checkpoint's table is continued: pass one or the other")
        if init_vectors is not None:
            dim = getattr(init_vectors, "dim", None)
            if not all(hasattr(init_vectors, a) for a in ("vocab", "lookup")) \
                    or not isinstance(dim, int):
                raise ConfigError(f"init_vectors must be a VectorStore (e.g. Vectors), got "
                                  f"{type(init_vectors).__name__}")
            if dim != c.dim:
                raise ConfigError(f"init_vectors has dimension {dim}, but the model's token "
                                  f"table has dim {c.dim}: they must be equal")
        if until is not None:
            _check_int("until", until, 1)
        lines = _lines(corpus)
        with torch_threads(self.workers):
            state = None
            if resume:
                state = _folder.read_training_state(Path(output), self)  # type: ignore[arg-type]
            else:
                self.tokenizer_, self.vocab_ = train_tokenizer(
                    lines, kind=c.tokenizer, vocab_size=c.vocab_size, min_count=c.min_count,
                    lowercase=c.lowercase, progress=progress)
                net = CausalTransformer(self.vocab_, c.network())
                self.init_rows_, self.init_scale_ = 0, None
                if init_vectors is not None:
                    self.init_rows_, self.init_scale_ = copy_vectors(
                        net.transformer.wte.weight, self.vocab_, init_vectors)
                self.model_ = net.to(self.device)
                self.history_: list[StepRecord] = []
            with tempfile.TemporaryDirectory(prefix="embedlayer-lm-") as work:
                ids = write_stream(self.tokenizer_, self.vocab_, lines, Path(work),
                                   progress=progress)
                try:
                    self._train(ids, state, output, until, progress)
                finally:
                    del ids
        self.model_.eval()
        return self

    def _train(self, ids: np.ndarray, state: dict[str, Any] | None, output: PathLike | None,
               until: int | None, progress: bool) -> None:
        from embedlayer.tasks.lm import _folder

        c, net = self.config, self.model_
        n = len(ids)
        held = 0 if c.val_fraction == 0 else max(c.context + 1, int(round(c.val_fraction * n)))
        end = n - held
        if end < c.context + 1:
            raise CorpusError(f"the corpus encodes to {n:,} tokens ({held:,} held out); "
                              f"training needs more than context + 1 = {c.context + 1} "
                              f"outside the held-out slice: give more text or a smaller "
                              f"context")
        val = ids[end:end + c.eval_tokens + 1] if held else None
        optimizer = make_optimizer(net, learning_rate=c.learning_rate,
                                   weight_decay=c.weight_decay, betas=(0.9, c.beta2))
        # Set by embedlayer.dist.fit_lm_ddp only (None here): this process is rank
        # ``parallel.rank`` of ``parallel.world_size``; the network runs through DDP, each rank
        # draws its own windows (seeded by the seed and the rank), batch_size / world_size of
        # them a step, and rank 0 alone writes to ``output``.
        parallel = getattr(self, "_parallel", None)
        forward = net if parallel is None else parallel.wrap(net)
        per_step = c.batch_size if parallel is None else parallel.batch_size(c.batch_size)
        writes = parallel is None or parallel.rank == 0
        rng = np.random.default_rng(c.seed if parallel is None else [c.seed, parallel.rank])
        torch.manual_seed(c.seed if parallel is None else  # dropout
                          int(np.random.SeedSequence([c.seed, parallel.rank]).generate_state(1)[0]))
        start = 0
        if state is not None:
            if state["tokens"] != n:
                raise ConfigError(f"{output}: the checkpoint was trained on a stream of "
                                  f"{state['tokens']:,} tokens, this corpus has {n:,}: resume "
                                  f"with the same corpus")
            start = state["step"]
            optimizer_from_state(optimizer, state["tensors"], state["optimizer"], state["where"])
            rng.bit_generator.state = state["rng"]
            torch.set_rng_state(state["tensors"]["rng.torch"])
        stop = c.steps if until is None else min(until, c.steps)
        net.train()
        v = len(self.vocab_)
        loss_sum, since, clock = 0.0, 0, time.perf_counter()
        with progress_bar(total=c.steps, initial=start, desc="train lm", unit="step",
                          enabled=progress, unit_scale=False) as bar:
            for step in range(start, stop):
                lr = learning_rate_at(step, total=c.steps, warmup=c.warmup, peak=c.learning_rate,
                                      min_ratio=c.min_lr_ratio)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x, y = sample_batch(ids, end, c.context, per_step, rng)
                logits = forward(x.to(self.device))
                loss = F.cross_entropy(logits.reshape(-1, v), y.to(self.device).reshape(-1))
                optimizer_step(loss, net, [optimizer], c.clip_norm)
                loss_sum += float(loss.detach())
                since += 1
                bar.update(1)
                done = step + 1
                if done % c.eval_every and done != stop:
                    continue
                val_loss = None
                if val is not None:
                    total, count = window_loss(net, val, c.context, c.batch_size, self.device)
                    val_loss = total / max(1, count)
                self.history_.append(StepRecord(
                    done, loss_sum / since, lr, val_loss,
                    None if val_loss is None else math.exp(min(val_loss, 700.0)),
                    time.perf_counter() - clock))
                bar.set_postfix_str(f"loss {loss_sum / since:.3f}" + (
                    "" if val_loss is None else f" val_ppl {math.exp(min(val_loss, 700)):.1f}"))
                loss_sum, since, clock = 0.0, 0, time.perf_counter()
                self.steps_done_ = done
                if output is not None and writes:
                    _folder.save(self, Path(output), training={
                        "step": done, "tokens": n, "rng": rng.bit_generator.state,
                        "optimizer": optimizer, "torch_rng": torch.get_rng_state()})
        self.steps_done_ = stop

    # --- using it ----------------------------------------------------------------------------
    def _check_fitted(self, what: str) -> None:
        if not hasattr(self, "model_"):
            raise ConfigError(f"CausalLM.{what}: the model is not trained; call fit(...) or "
                              f"CausalLM.load(folder) first")

    def encode(self, text: str) -> list[int]:
        """The ids of ``text`` as the model reads a line: ``<|endoftext|>`` first."""
        self._check_fitted("encode")
        if not isinstance(text, str):
            raise ConfigError(f"text must be a str, got {type(text).__name__}")
        return encode_text(self.tokenizer_, self.vocab_, [text])[:-1].tolist()

    def evaluate(self, texts: Any, *, batch_size: int = 32, context: int | None = None,
                 rope_scaling: str = "none") -> LMScore:
        """Loss and perplexity on ``texts`` (a path or an iterable of lines), encoded like the
        training stream and scored in windows of ``context + 1`` tokens.

        ``context``: the window length (None: the training context, ``config.context``). A
        longer one than in training is allowed for positions ``none``, ``sinusoidal`` (the
        table extends itself) and ``rotary`` (angles for any position), to measure how the
        model copes with positions it never saw; learned positions have no row past their
        table: ``ConfigError``.

        ``rope_scaling``: for rotary positions and a window longer than the training context,
        "ntk" stretches the rotation frequencies by window / context (NTK-aware scaling, no
        retraining; ``CausalTransformer.rope_scaling``); "none" (default) keeps the trained
        ones. Other position kinds accept only "none".
        """
        self._check_fitted("evaluate")
        _check_int("batch_size", batch_size, 1)
        c = self.config
        if context is None:
            context = c.context
        _check_int("context", context, 1)
        if c.positions == "learned" and context > c.context:
            raise ConfigError(f"evaluate: context {context} is longer than the learned "
                              f"position table ({c.context} positions, the training context); "
                              f"positions none, sinusoidal and rotary can score longer windows")
        previous = self.model_.rope_scaling
        self.model_.rope_scaling = rope_scaling  # ConfigError for a bad one, before encoding
        try:
            ids = encode_text(self.tokenizer_, self.vocab_, _lines(texts))
            with torch_threads(self.workers):
                total, count = window_loss(self.model_, ids, context, batch_size, self.device)
        finally:
            self.model_.rope_scaling = previous
        if not count:
            raise CorpusError("evaluate: the text has no tokens to predict")
        loss = total / count
        return LMScore(loss, math.exp(min(loss, 700.0)), count)

    @torch.no_grad()
    def generate_ids(self, ids: Sequence[int], max_new_tokens: int = 50, *,
                     strategy: Literal["greedy", "sample"] = "greedy", temperature: float = 1.0,
                     top_k: int | None = None, seed: int = 0,
                     stop_at_end: bool = True) -> list[int]:
        """The new ids after ``ids`` (a non-empty id sequence); see :meth:`generate`."""
        self._check_fitted("generate")
        max_new_tokens = _check_int("max_new_tokens", max_new_tokens, 0, MAX_NEW_TOKENS)
        if strategy not in ("greedy", "sample"):
            raise ConfigError(f"strategy must be 'greedy' or 'sample', got {strategy!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, int | float) \
                or not math.isfinite(temperature) or temperature <= 0:
            raise ConfigError(f"temperature must be a finite number > 0, got {temperature!r}")
        if top_k is not None:
            _check_int("top_k", top_k, 1)
        _check_int("seed", seed, 0)
        v = len(self.vocab_)
        seq = [int(i) for i in ids]
        if not seq or not all(0 <= i < v for i in seq):
            raise ConfigError(f"ids must be a non-empty sequence of ids in [0, {v})")
        eos = self.vocab_[EOS]
        gen = torch.Generator().manual_seed(seed)
        new: list[int] = []
        self.model_.eval()
        with torch_threads(self.workers):
            for _ in range(max_new_tokens):
                window = torch.tensor([seq[-self.config.context:]], device=self.device)
                logits = self.model_(window)[0, -1].float().cpu()  # (V,)
                if strategy == "greedy":
                    nxt = int(logits.argmax())
                else:
                    logits = logits / temperature
                    if top_k is not None and top_k < v:
                        cut = torch.topk(logits, top_k).values[-1]
                        logits = logits.masked_fill(logits < cut, float("-inf"))
                    nxt = int(torch.multinomial(torch.softmax(logits, dim=0), 1, generator=gen))
                seq.append(nxt)
                new.append(nxt)
                if stop_at_end and nxt == eos:
                    break
        return new

    def generate(self, prompt: str, max_new_tokens: int = 50, *,
                 strategy: Literal["greedy", "sample"] = "greedy", temperature: float = 1.0,
                 top_k: int | None = None, seed: int = 0, stop_at_end: bool = True) -> str:
        """``prompt`` followed by up to ``max_new_tokens`` generated tokens, as text.

        ``greedy`` takes the likeliest token each step; ``sample`` draws from the softmax of
        logits / ``temperature``, restricted to the ``top_k`` likeliest (None: all), with a
        generator seeded by ``seed`` (the same seed gives the same text). The rules for odd
        prompts are in the module docstring.
        """
        if not isinstance(prompt, str):
            raise ConfigError(f"prompt must be a str, got {type(prompt).__name__}")
        new = self.generate_ids(self.encode(prompt), max_new_tokens, strategy=strategy,
                                temperature=temperature, top_k=top_k, seed=seed,
                                stop_at_end=stop_at_end)
        tokens = [self.vocab_.token(i) for i in new]
        return prompt + decode(tokens, start_of_line=not prompt.strip(),
                               kind=self.config.tokenizer)

    def token_vectors(self) -> Vectors:
        """The token table (``model_.transformer.wte.weight``) as ``Vectors`` keyed by the
        tokens, special tokens (``<unk>``, ``<|endoftext|>``) left out: a copy, in the
        vocabulary's order. For a word-level model these are word vectors that
        ``eval.evaluate_word_pairs`` / ``evaluate_analogies`` score."""
        from embedlayer.vectors import Vectors

        self._check_fitted("token_vectors")
        first = len(self.vocab_.specials)
        table = self.model_.transformer.wte.weight.detach().to("cpu", torch.float32).numpy()
        return Vectors(self.vocab_.tokens[first:], table[first:].copy())

    # --- files ---------------------------------------------------------------------------------
    def save(self, path: PathLike) -> Path:
        """Write the model folder (atomically): ``config.json`` (GPT-2's keys + an
        ``embedlayer`` entry), ``model.safetensors``, ``tokenizer.json``."""
        from embedlayer.tasks.lm import _folder

        self._check_fitted("save")
        return _folder.save(self, Path(path))

    @classmethod
    def load(cls, path: PathLike, *, workers: int | None = None,
             device: str | torch.device = "cpu") -> CausalLM:
        """Read a folder written by :meth:`save` or ``fit(output=...)``; ``FormatError``
        names the file and field or tensor that disagrees."""
        from embedlayer.tasks.lm import _folder

        return _folder.load(cls, Path(path), workers=workers, device=device)

    def to_transformers(self) -> Any:
        """This model as ``transformers.GPT2LMHeadModel`` (same logits); ``ConfigError`` when
        the model is not GPT-2's shape (positions other than learned, or an untied head)."""
        from embedlayer.tasks.lm import _folder

        self._check_fitted("to_transformers")
        return _folder.to_transformers(self)

    def __repr__(self) -> str:
        c = self.config
        if not hasattr(self, "model_"):
            return "CausalLM(not trained)"
        return (f"CausalLM({len(self.vocab_):,} {c.tokenizer} tokens, context {c.context}, "
                f"dim {c.dim}, "
                f"{c.layers} layers, {c.heads} heads, positions={c.positions}, "
                f"tied={c.tied})")


def settings_fields() -> list[str]:
    return [f.name for f in fields(LMConfig)]
