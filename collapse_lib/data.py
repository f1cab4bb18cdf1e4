"""Data the chapters start from: real word frequencies, synthetic power laws, English prose.

Nothing here downloads anything: word frequencies come from the ``wordfreq`` package, whose
word lists are installed with it, and prose from a copy of the Python documentation shipped
with this library (``collapse_lib/datasets``).
"""

from __future__ import annotations

import re

import numpy as np

from .validation import check_int, check_memory, check_real

__all__ = ["zipf", "english_word_frequencies", "python_reference_paragraphs", "prose_paragraphs",
           "pretraining_paragraphs", "docstring_paragraphs"]


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
    check_memory(2 * 8.0 * K, "K", "the probabilities")
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


#: The shipped copy of the Python Language Reference's prose (see ``datasets/README.md``): the
#: Python release it was extracted from, its file, and the SHA-256 of that file.
PYTHON_REFERENCE_RELEASE = "3.11.7"
PYTHON_REFERENCE_FILE = f"python_reference_{PYTHON_REFERENCE_RELEASE}.txt"
PYTHON_REFERENCE_SHA256 = "1fe29a7552855bddee0c491509cbc736defff4c1984da3a67e6d0123cb19eae2"


def _read_shipped(name: str, sha256: str) -> bytes:
    """The bytes of ``collapse_lib/datasets/<name>``, or a RuntimeError if their SHA-256 is not ``sha256``."""
    import hashlib
    from importlib import resources

    raw = resources.files("collapse_lib").joinpath("datasets", name).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"collapse_lib/datasets/{name} has SHA-256 {digest}, expected {sha256}: the shipped "
                           "text was modified; restore it from the repository")
    return raw


def python_reference_paragraphs() -> list[str]:
    """Paragraphs of English prose from the Python Language Reference (Python 3.11.7).

    The text is the part of the Python documentation that the ``help()`` command prints (the
    language reference: statements, expressions, the data model, ...), human-written technical
    English distributed under the PSF License Version 2 (notice in ``datasets/PSF-LICENSE.txt``).
    Headings, code examples, grammar rules and tables are removed (see
    :func:`prose_paragraphs`); each paragraph is one string.

    The paragraphs are a fixed copy shipped with ``collapse_lib``, extracted from Python
    ``PYTHON_REFERENCE_RELEASE``'s ``pydoc_data.topics`` by ``tools/snapshot_python_reference.py``.
    The interpreter's own copy is not used: it changes between patch releases, and every reader
    must get the same text (and so the same numbers) whatever Python they run.

    Returns
    -------
    list of str
        1,534 paragraphs, in the order of their topics' names.

    Raises
    ------
    RuntimeError
        If the shipped file was modified (its SHA-256 differs from ``PYTHON_REFERENCE_SHA256``).
    """
    raw = _read_shipped(PYTHON_REFERENCE_FILE, PYTHON_REFERENCE_SHA256)
    return raw.decode("utf-8").removesuffix("\n").split("\n")  # not splitlines(): it also splits at \x0c, \u2028, ...


def prose_paragraphs(topics: dict[str, str]) -> list[str]:
    """The prose paragraphs of ``pydoc_data.topics``-style documentation, topics in name order.

    A paragraph is kept when it is prose: not a heading with its underline, not indented as a
    literal block (code, grammar, a table), and containing no interactive-session prompt
    (``>>>``), grammar rule (``::=``) or table border. Lines are joined with single spaces.

    Parameters
    ----------
    topics : dict of str to str
        Topic name to its text, as in ``pydoc_data.topics.topics``.

    Returns
    -------
    list of str
    """
    if not isinstance(topics, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in topics.items()):
        raise TypeError("topics must be a dict of topic names (str) to texts (str)")
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


#: The shipped pretraining corpus (see ``datasets/README.md``): English prose from the docstrings
#: of the book's pinned scientific and Jupyter packages, its file, and the file's SHA-256.
PRETRAINING_FILE = "docstrings_pretraining.txt.gz"
PRETRAINING_SHA256 = "83e142054dafbb3faa9e415dd70e9bea57b4e0129f930316a0724e2d8dd0f94e"

_ROLE = re.compile(r":[a-z]+(?::[a-z]+)*:`~?([^`<]*?)(?:\s*<[^>]*>)?`")  # :func:`name <target>` -> name
_LITERAL = re.compile(r"``([^`]*)``")
_PARAMETER = re.compile(r"^\s*[\w*, ]+ : \S")  # a numpydoc parameter line, "x : int"
_PLAIN_WORD = re.compile(r"[A-Za-z][a-z]*[,.;:]?")


def docstring_paragraphs(doc: str) -> list[str]:
    """The English prose paragraphs of one (dedented) docstring.

    Paragraphs are separated by blank lines. Section headings with their underlines are removed
    (what follows them is kept); a paragraph is dropped when it holds an interactive-session
    prompt (``>>>``), a directive or literal-block marker (``::``), or starts like markup
    (``..``, a table or a bullet); numpydoc parameter lines
    (``x : int``) are removed from it and their indented descriptions kept. Sphinx roles and
    inline literals keep their text. What remains is kept when it has at least 8 words and at
    least 80% of them are plain words (letters, with at most a trailing punctuation mark), which
    leaves out formulas, code and tables. Lines are joined with single spaces.

    >>> doc = "Sum.\\n\\nx : int\\n    The numbers to add up, in any order."
    >>> docstring_paragraphs(doc)
    ['The numbers to add up, in any order.']
    """
    if not isinstance(doc, str):
        raise TypeError(f"doc must be a str, got {type(doc).__name__}")
    paragraphs = []
    for block in re.split(r"\n\s*\n", doc):
        lines = [line for line in block.split("\n") if line.strip()]
        if len(lines) >= 2 and re.fullmatch(r"[-=~^]{3,}", lines[1].strip()):
            lines = lines[2:]  # a heading and its underline
        lines = [line for line in lines if not _PARAMETER.match(line)]
        if not lines:
            continue
        text = " ".join(line.strip() for line in lines)
        if ">>>" in text or "::" in text or text.startswith(("..", "|", "+-", "*", "-")):
            continue
        words = _LITERAL.sub(r"\1", _ROLE.sub(r"\1", text)).split()
        text = " ".join(words)
        if text.startswith(":"):
            continue  # an option's description list (":name: : type ...")
        if len(words) >= 8 and sum(bool(_PLAIN_WORD.fullmatch(word)) for word in words) >= 0.8 * len(words):
            paragraphs.append(text)
    return paragraphs


def pretraining_paragraphs() -> list[str]:
    """A general English corpus for pretraining: prose from the docstrings of pinned packages.

    42,835 paragraphs and 1.3 million tokens (26 times the text of chapter 5) of
    human-written technical English: the docstrings of numpy, scipy, sympy, scikit-learn,
    matplotlib, IPython, Sphinx, Pygments, Jinja2, Altair and the Jupyter packages at the versions
    pinned in ``requirements.txt``, read from their source files (nothing is imported), cleaned by
    :func:`docstring_paragraphs` and deduplicated. All these packages are under permissive
    licences (BSD-style; matplotlib's is PSF-based), whose notices are in
    ``datasets/PRETRAINING-LICENSES.txt``.

    The paragraphs are a fixed copy shipped with ``collapse_lib`` (gzip-compressed), written by
    ``tools/snapshot_pretraining_corpus.py``; the installed packages are not read, so the text
    and every number computed from it stay the same whatever versions a reader has installed.

    Returns
    -------
    list of str

    Raises
    ------
    RuntimeError
        If the shipped file was modified (its SHA-256 differs from ``PRETRAINING_SHA256``).
    """
    import gzip

    raw = _read_shipped(PRETRAINING_FILE, PRETRAINING_SHA256)
    return gzip.decompress(raw).decode("utf-8").removesuffix("\n").split("\n")
