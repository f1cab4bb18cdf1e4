"""Data the chapters start from: real word frequencies, synthetic power laws, English prose.

Nothing here downloads anything: word frequencies come from the ``wordfreq`` package, whose
word lists are installed with it, and prose from the Python documentation that ships with
Python itself (``pydoc_data``).
"""

from __future__ import annotations

import re

import numpy as np

from .validation import check_int, check_real

__all__ = ["zipf", "english_word_frequencies", "python_reference_paragraphs"]


def zipf(K: int, exponent: float = 1.0) -> np.ndarray:
    """Zipf (power-law) probabilities ``p_k`` proportional to ``k**(-exponent)``, k = 1..K.

    Parameters
    ----------
    K : int
        Number of categories (>= 1).
    exponent : float, default 1.0
        Tail exponent (>= 0); 0 gives the uniform distribution, larger values
        put less mass in the tail.

    Returns
    -------
    numpy.ndarray, shape (K,)
        Probabilities in decreasing order.
    """
    K = check_int(K, "K", minimum=1)
    exponent = check_real(exponent, "exponent", low=0)
    weights = np.arange(1, K + 1, dtype=float) ** (-exponent)
    return weights / weights.sum()


def english_word_frequencies(n_words: int = 5000) -> tuple[list[str], np.ndarray]:
    """The ``n_words`` most frequent English words and their renormalized frequencies.

    Frequencies come from the ``wordfreq`` package (its "large" English list, which
    blends subtitles, Wikipedia, books, news, web text and social media; word lists
    under CC BY-SA 4.0). Only purely alphabetic tokens are kept, so digits and
    punctuation do not count as words. wordfreq stores frequencies rounded to
    about 1% (in centibels), so neighbouring ranks can tie.

    Parameters
    ----------
    n_words : int, default 5000
        How many of the most frequent words to keep (1 to 100,000).

    Returns
    -------
    words : list of str
        Words in decreasing order of frequency (ties broken alphabetically).
    probabilities : numpy.ndarray, shape (n_words,)
        Their frequencies, renormalized to sum to one.
    """
    n_words = check_int(n_words, "n_words", minimum=1)
    if n_words > 100_000:
        raise ValueError(f"n_words must be at most 100000, got {n_words}")
    import wordfreq

    table = wordfreq.get_frequency_dict("en", wordlist="large")
    ranked = sorted(
        ((word, freq) for word, freq in table.items() if word.isalpha()),
        key=lambda item: (-item[1], item[0]),
    )[:n_words]
    words = [word for word, _ in ranked]
    freqs = np.array([freq for _, freq in ranked])
    return words, freqs / freqs.sum()


def python_reference_paragraphs() -> list[str]:
    """Paragraphs of English prose from the Python Language Reference, as shipped with Python.

    The text is ``pydoc_data.topics``, the part of the Python documentation that the ``help()``
    command prints (the language reference: statements, expressions, the data model, ...),
    installed with every CPython. It is human-written technical English, distributed under the
    PSF License Version 2 (the licence of the Python documentation). Headings, code examples,
    grammar rules and tables are removed: a paragraph is kept when it is prose, i.e. not indented
    as a literal block and containing no interactive-session prompt (``>>>``), grammar rule
    (``::=``) or table border. Lines are joined, so each paragraph is one string.

    The topics are read in alphabetical order, so the list is the same on every run of the same
    Python version (the text changes slightly between Python releases).

    Returns
    -------
    list of str
    """
    from pydoc_data.topics import topics  # imported here: only chapter 5 needs it

    paragraphs = []
    for key in sorted(topics):
        for block in re.split(r"\n\s*\n", topics[key]):
            lines = block.strip("\n").split("\n")
            if not block.strip():
                continue
            if len(lines) >= 2 and re.fullmatch(r"[*=\-^]{3,}", lines[1].strip()):
                continue  # a heading and its underline
            first = lines[0]
            if re.match(r" {3,}", first) and not first.lstrip().startswith(("* ", "- ")):
                continue  # a literal block: code, grammar, a table
            if ">>>" in block or "::=" in block or "+--" in block:
                continue
            paragraphs.append(" ".join(line.strip() for line in lines))
    return paragraphs
