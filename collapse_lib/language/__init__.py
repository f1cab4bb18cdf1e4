"""Word-level n-gram language models that can be trained on their own text.

A small package, one module per concern, with every public name available here:

- ``text``: tokens, the vocabulary and blocks of token ids (``tokenize``, ``Vocabulary``,
  ``build_vocabulary``, ``cut_blocks``, ``UNK``, ``BOS``);
- ``kneser_ney``: the interpolated Kneser–Ney model, its training and its scores
  (``train``, ``NGramModel``, ``next_token_probabilities``, ``log_probabilities``,
  ``perplexity``, ``corpus_perplexity``);
- ``decoding``: continuing prompts (``sample``, ``beam_search``);
- ``adaptation``: fine-tuning a pretrained model on task text by MAP adaptation (``adapt``);
- ``loop``: the self-consuming loop under any data scheme, from scratch or fine-tuning a
  pretrained model, optionally keeping the best of several sampled continuations
  (``self_consuming_generations``, ``continuation_log_probability``), and populations of models
  trained on each other's text (``population_generations``).

``distinct_ngram_ratio`` lives in :mod:`collapse_lib.metrics` and is available here too.

Chapter: ``book/05_language_models.md``.
"""

from ..metrics import distinct_ngram_ratio
from .adaptation import adapt
from .decoding import beam_search, sample
from .kneser_ney import NGramModel, corpus_perplexity, log_probabilities, next_token_probabilities, perplexity, train
from .loop import (
    GenerationsResult,
    PopulationResult,
    continuation_log_probability,
    population_generations,
    self_consuming_generations,
)
from .text import BOS, UNK, Vocabulary, build_vocabulary, cut_blocks, tokenize

__all__ = [
    "UNK",
    "BOS",
    "tokenize",
    "Vocabulary",
    "build_vocabulary",
    "cut_blocks",
    "NGramModel",
    "train",
    "next_token_probabilities",
    "log_probabilities",
    "perplexity",
    "corpus_perplexity",
    "sample",
    "beam_search",
    "distinct_ngram_ratio",
    "GenerationsResult",
    "self_consuming_generations",
    "continuation_log_probability",
    "adapt",
    "PopulationResult",
    "population_generations",
]
