"""Text for the n-gram models: tokens, the vocabulary, blocks of token ids.

Text is a 2-D integer array of token ids, one row per block (the book cuts text into 64-token
blocks). Token id 0 is ``<unk>`` (any word outside the vocabulary) and id 1 is ``<s>`` (begin
of block, never predicted). A vocabulary of ``len(vocabulary)`` ids has
``vocabulary.predictable`` = ``len(vocabulary) - 1`` predictable tokens (all but ``<s>``): the
V of the Kneser–Ney formulas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..validation import check_int

__all__ = ["UNK", "BOS", "tokenize", "Vocabulary", "build_vocabulary", "cut_blocks", "check_blocks"]

UNK = 0  #: token id of ``<unk>``, every word outside the vocabulary
BOS = 1  #: token id of ``<s>``, the begin-of-block symbol (context only, never predicted)

_TOKEN = re.compile(r"\.\.\.|[a-z]+(?:'[a-z]+)?|[0-9]+|[.,;:!?()]")


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into words, numbers and punctuation marks.

    Words may contain one inner apostrophe ("don't"); the marks kept as tokens are
    ``. , ; : ! ? ( )``; everything else (quotes, underscores, symbols) is dropped.

    >>> tokenize("It's small: 64 tokens!")
    ["it's", 'small', ':', '64', 'tokens', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


def _check_tokens(tokens, name: str) -> list[str]:
    """``tokens`` as a list of str: a sequence of strings (not one string), or a TypeError."""
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} must be a sequence of str (e.g. a list from tokenize), got {type(tokens).__name__}")
    if not all(isinstance(tok, str) for tok in tokens):
        bad = next(tok for tok in tokens if not isinstance(tok, str))
        raise TypeError(f"{name} must hold only str tokens, got {bad!r}")
    return list(tokens)


@dataclass(frozen=True)
class Vocabulary:
    """A fixed list of tokens: ids 0 and 1 are ``<unk>`` and ``<s>``, then the words (distinct str)."""

    tokens: tuple

    def __post_init__(self):
        tokens = tuple(_check_tokens(self.tokens, "tokens"))
        if tokens[:2] != ("<unk>", "<s>") or len(tokens) < 3:
            raise ValueError("tokens must start with '<unk>' and '<s>' (ids 0 and 1) followed by at least one "
                             f"word; got {tokens[:3]!r}")
        index = {tok: i for i, tok in enumerate(tokens)}
        if len(index) != len(tokens):
            raise ValueError("tokens must be distinct; a token appears twice")
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def predictable(self) -> int:
        """The number V of predictable tokens, every id but ``<s>`` (``len(self) - 1``)."""
        return len(self.tokens) - 1

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids of ``tokens`` (a sequence of str); words outside the vocabulary become ``UNK``."""
        return np.array([self._index.get(tok, UNK) for tok in _check_tokens(tokens, "tokens")], dtype=np.int64)

    def decode(self, ids) -> str:
        """The tokens of ``ids`` joined by spaces (``<s>`` dropped), for reading generated text."""
        ids = _check_ids(ids, "ids", len(self.tokens))
        words = [self.tokens[i] for i in ids.ravel() if i != BOS]
        text = " ".join(words)
        return re.sub(r" ([.,;:!?)])", r"\1", text).replace("( ", "(")


def build_vocabulary(tokens: Sequence[str], *, min_count: int = 1) -> Vocabulary:
    """The vocabulary of a training text: words seen at least ``min_count`` times, most frequent first.

    Ties are broken alphabetically, so the ids are reproducible.
    """
    tokens = _check_tokens(tokens, "tokens")
    min_count = check_int(min_count, "min_count", minimum=1)
    counts: dict = {}
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
    if not counts:
        raise ValueError("tokens is empty: a vocabulary needs at least one token")
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not words:
        raise ValueError(f"min_count = {min_count:,} keeps no word: the most frequent occurs "
                         f"{max(counts.values()):,} times")
    return Vocabulary(("<unk>", "<s>") + tuple(words))


def cut_blocks(ids, length: int = 64, *, offset: int = 0) -> np.ndarray:
    """Cut a 1-D token stream into consecutive blocks of ``length`` tokens, starting at ``offset``.

    The incomplete block at the end (and the ``offset`` tokens at the start) are dropped.
    Returns an int64 array of shape (number of blocks, length).
    """
    ids = _check_ids(ids, "ids")
    if ids.ndim != 1:
        raise ValueError(f"ids must be a 1-D token stream, got shape {ids.shape}")
    length = check_int(length, "length", minimum=1)
    offset = check_int(offset, "offset", minimum=0)
    count = (ids.size - offset) // length
    if count < 1:
        raise ValueError(f"ids: a stream of {ids.size} tokens holds no block of length {length} after offset {offset}")
    return ids[offset : offset + count * length].reshape(count, length)


def _check_ids(ids, name: str, vocab_size: int | None = None) -> np.ndarray:
    """``ids`` as an int64 array of token ids >= 0 (and < ``vocab_size`` if given), or a clear error."""
    try:
        arr = np.asarray(ids)
    except ValueError:
        raise ValueError(f"{name} must be an array of token ids; its rows have different lengths") from None
    if not (np.issubdtype(arr.dtype, np.integer) or (arr.size == 0 and arr.dtype.kind in "fO")):
        raise TypeError(f"{name} must hold integer token ids, got {type(ids).__name__} of {arr.dtype}")
    arr = arr.astype(np.int64)
    allowed = "token ids >= 0" if vocab_size is None else f"token ids in 0..{vocab_size - 1}"
    if arr.size and (arr.min() < 0 or (vocab_size is not None and arr.max() >= vocab_size)):
        raise ValueError(f"{name} must hold {allowed}, got values from {arr.min()} to {arr.max()}")
    return arr


def check_blocks(blocks, name: str, vocab_size: int) -> np.ndarray:
    """``blocks`` as a 2-D int64 array of token ids in 0..vocab_size-1 without ``BOS``, or a clear error."""
    arr = _check_ids(blocks, name, vocab_size)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of token ids (blocks, tokens), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: it needs at least one block with at least one token")
    if np.any(arr == BOS):
        raise ValueError(f"{name} must not contain the begin-of-block id {BOS}; it is added automatically")
    return arr
