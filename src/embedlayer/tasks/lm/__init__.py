"""A small causal (GPT-style) language model over the embedding layer (``embedlayer lm``).

What it holds: ``CausalLM`` (``tasks.lm.model``: the project's BPE tokenizer, or a word-level
vocabulary (``TOKENIZER_KINDS``), trained on the corpus, a token table optionally started from
word vectors and exported as ``Vectors``, a ``CausalTransformer`` with a positional choice and a tied or untied head, training
with checkpoints and resume, perplexity (in the training window or a longer one), generation) and its settings ``LMConfig``; the score
``LMScore``; the training record ``StepRecord``; the folder's ``FORMAT`` / ``FORMAT_VERSION``
(``tasks.lm._folder``: GPT-2's layout, so ``transformers`` and ``read_embedding_layer`` read
it); ``MAX_NEW_TOKENS``; and the token rules ``EOS``, ``TOKENIZER_KINDS`` and ``decode`` (``tasks.lm._tokens``).
Needs the ``torch`` extra. What it leaves out: the network itself (``nn.transformer``).
"""

from __future__ import annotations

from embedlayer.tasks.lm._folder import FORMAT, FORMAT_VERSION
from embedlayer.tasks.lm._tokens import EOS, TOKENIZER_KINDS, decode
from embedlayer.tasks.lm._train import StepRecord
from embedlayer.tasks.lm.model import MAX_NEW_TOKENS, CausalLM, LMConfig, LMScore

__all__ = ["EOS", "FORMAT", "FORMAT_VERSION", "MAX_NEW_TOKENS", "TOKENIZER_KINDS", "CausalLM",
           "LMConfig", "LMScore", "StepRecord", "decode"]
