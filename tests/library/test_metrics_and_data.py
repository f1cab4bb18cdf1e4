"""Tests of collapse_lib.metrics, collapse_lib.data and the argument helpers."""

import numpy as np
import pytest

from collapse_lib import data, metrics
from collapse_lib.validation import as_generator, check_fraction


def test_distances_known_cases():
    p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert metrics.total_variation(p, q) == 1.0
    assert metrics.hellinger(p, q) == 1.0
    assert metrics.total_variation(p, p) == 0.0
    assert metrics.hellinger(p, p) == 0.0
    np.testing.assert_allclose(metrics.total_variation([0.5, 0.5], [0.8, 0.2]), 0.3)
    np.testing.assert_allclose(metrics.hellinger([0.5, 0.5], [0.5, 0.5]), 0.0, atol=1e-8)


def test_metrics_broadcast_over_leading_axes():
    original = data.zipf(5, 1.0)
    freqs = np.stack([original, np.eye(5)[0], np.eye(5)[4]])
    assert metrics.total_variation(freqs, original).shape == (3,)
    np.testing.assert_array_equal(metrics.support_size(freqs), [5, 1, 1])
    np.testing.assert_allclose(metrics.heterozygosity(freqs), [1 - np.sum(original**2), 0, 0])
    np.testing.assert_allclose(metrics.lost_mass(freqs, original), [0, 1 - original[0], 1 - original[4]])


def test_metrics_reject_mismatched_categories():
    with pytest.raises(ValueError, match="same number of categories"):
        metrics.total_variation([0.5, 0.5], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="last axis"):
        metrics.heterozygosity(0.5)


def test_zipf():
    p = data.zipf(4, 1.0)
    np.testing.assert_allclose(p, np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (25 / 12))
    np.testing.assert_allclose(data.zipf(3, 0.0), [1 / 3] * 3)
    with pytest.raises(ValueError, match="exponent must be a number >= 0"):
        data.zipf(3, -1.0)
    with pytest.raises(ValueError, match="exponent must be a number >= 0, got nan"):
        data.zipf(3, float("nan"))
    with pytest.raises(TypeError, match="exponent must be a number >= 0"):
        data.zipf(3, "1")
    with pytest.raises(ValueError, match="K must be an integer >= 1"):
        data.zipf(0)


def test_english_word_frequencies_are_real_and_long_tailed():
    words, p = data.english_word_frequencies(2000)
    assert len(words) == p.size == 2000
    assert words[:3] == ["the", "to", "and"]
    assert all(w.isalpha() for w in words)
    np.testing.assert_allclose(p.sum(), 1.0)
    assert np.all(np.diff(p) <= 0)
    # Zipf-like: frequency times rank stays within an order of magnitude over ranks 10..2000.
    ranks = np.arange(1, 2001)
    product = (p * ranks)[9:]
    assert product.max() / product.min() < 10
    with pytest.raises(ValueError, match="n_words must be at most"):
        data.english_word_frequencies(10**6)


def test_as_generator_and_fraction():
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert isinstance(as_generator(None), np.random.Generator)
    assert as_generator(7).integers(1000) == np.random.default_rng(7).integers(1000)
    assert check_fraction(0.25, "f") == 0.25
    with pytest.raises(ValueError, match=r"f must be a number in \[0, 1\]"):
        check_fraction(1.5, "f")
    with pytest.raises(TypeError, match="f must be a number"):
        check_fraction("x", "f")


def test_mean_and_se_and_z_scores():
    from collapse_lib.montecarlo import mean_and_se, z_scores

    samples = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
    mean, se = mean_and_se(samples)
    np.testing.assert_allclose(mean, [2.5, 2.0])
    np.testing.assert_allclose(se, [np.std([1, 2, 3, 4], ddof=1) / 2, 0.0])
    np.testing.assert_allclose(z_scores(mean, se, [2.5 + se[0], 2.0]), [-1.0, 0.0])
    assert np.isinf(z_scores(1.0, 0.0, 0.5))
    mean0, _ = mean_and_se(samples, axis=0)
    assert mean0.shape == (4,)
    with pytest.raises(ValueError, match="at least 2 replicates"):
        mean_and_se(np.ones((3, 1)))


def test_shipped_python_reference_text_is_intact_and_complete():
    import hashlib
    from importlib import resources

    raw = resources.files("collapse_lib").joinpath("datasets", data.PYTHON_REFERENCE_FILE).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == data.PYTHON_REFERENCE_SHA256
    paragraphs = data.python_reference_paragraphs()
    assert len(paragraphs) == 1534
    assert all(paragraph and paragraph == paragraph.strip() for paragraph in paragraphs)
    notice = resources.files("collapse_lib").joinpath("datasets", "PSF-LICENSE.txt").read_text(encoding="utf-8")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in notice and data.PYTHON_REFERENCE_RELEASE in notice


def test_python_reference_text_does_not_depend_on_the_interpreter(monkeypatch):
    """Another Python release's pydoc_data (here: a different text) changes nothing."""
    import sys
    import types

    before = data.python_reference_paragraphs()
    other = types.ModuleType("pydoc_data.topics")
    other.topics = {"assert": "A different release's text.\n\nWith other paragraphs."}
    monkeypatch.setitem(sys.modules, "pydoc_data.topics", other)
    assert data.python_reference_paragraphs() == before


def test_a_modified_python_reference_text_is_refused(monkeypatch):
    monkeypatch.setattr(data, "PYTHON_REFERENCE_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="was modified"):
        data.python_reference_paragraphs()


def test_prose_paragraphs_keeps_prose_and_drops_headings_code_and_grammar():
    topics = {
        "b": "Heading\n*******\n\nSome prose\nover two lines.\n\n   code = 1\n\n>>> 1 + 1\n\n"
             "expr ::= term\n\n* a bullet\n  item",
        "a": "First topic.",
    }
    assert data.prose_paragraphs(topics) == ["First topic.", "Some prose over two lines.", "* a bullet item"]
    with pytest.raises(TypeError, match="topics"):
        data.prose_paragraphs(["not", "a", "dict"])


def test_shipped_text_is_what_the_snapshot_tool_extracts_from_its_release():
    import platform

    if platform.python_version() != data.PYTHON_REFERENCE_RELEASE:
        pytest.skip(f"the text was extracted from Python {data.PYTHON_REFERENCE_RELEASE}; "
                    f"this is {platform.python_version()}")
    from pydoc_data.topics import topics

    assert data.prose_paragraphs(topics) == data.python_reference_paragraphs()


@pytest.mark.parametrize("bad, message", [
    ([2.0], "sum to 1"), ([], "non-empty"), ([0.5, float("nan")], "finite"), ([1.5, -0.5], "non-negative"),
    (["a", "b"], "array of probabilities"),
])
def test_distribution_measures_refuse_what_is_not_a_distribution(bad, message):
    error = TypeError if message == "array of probabilities" else ValueError
    with pytest.raises(error, match=message):
        metrics.heterozygosity(bad)


def test_sums_to_one_tolerance_does_not_grow_with_the_number_of_categories():
    K = 10**6
    p = np.full(K, 1.0 / K)
    assert metrics.heterozygosity(p) == pytest.approx(1 - 1 / K)
    with pytest.raises(ValueError, match="sum to 1"):
        metrics.heterozygosity(p * 1.0009)
