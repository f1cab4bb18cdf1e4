"""Tests of pretraining and fine-tuning for the n-gram models (collapse_lib.language.adaptation) and of
populations of models trained on each other's text (collapse_lib.language.population_generations)."""

import numpy as np
import pytest

from collapse_lib import data
from collapse_lib import language as lm
from collapse_lib.language.adaptation import adaptation_weights


def two_models(n=3, seed=0, words=8, task_length=300, pre_length=3000):
    """A 'pretrained' model on a long text and a 'task' model on a short, differently skewed one."""
    rng = np.random.default_rng(seed)
    vocab_size = words + 2
    ids = np.arange(2, vocab_size)
    general = rng.choice(ids, size=pre_length, p=np.linspace(1, 2, words) / np.linspace(1, 2, words).sum())
    task = rng.choice(ids[: words // 2], size=task_length)  # the task uses half the words
    return (lm.train(general.reshape(20, -1), vocab_size, n=n), lm.train(task.reshape(10, -1), vocab_size, n=n),
            vocab_size)


def all_contexts(vocab_size, n):
    """Every context of n-1 tokens (with <s> allowed), as rows."""
    grids = np.meshgrid(*[np.arange(vocab_size)] * (n - 1), indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("strength", [0.0, 0.5, 4.0, 100.0, np.inf])
def test_adapted_probabilities_normalize(n, strength):
    pre, task, V = two_models(n=n)
    model = lm.adapt(pre, task, strength)
    contexts = all_contexts(V, max(n, 2))[:, -max(n - 1, 1):]
    probs = lm.next_token_probabilities(model, contexts)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(probs[:, lm.BOS] == 0) and np.all(probs[:, np.arange(V) != lm.BOS] > 0)
    # Scoring pair by pair reads the same tables as the dense rows.
    blocks = np.random.default_rng(1).integers(2, V, size=(4, 12))
    padded = np.concatenate([np.full((4, n - 1), lm.BOS), blocks], axis=1)
    dense = np.array([[lm.next_token_probabilities(model, padded[b, i : i + n - 1][None, :] if n > 1
                                                   else np.zeros((1, 0), int))[0, padded[b, i + n - 1]]
                       for i in range(12)] for b in range(4)])
    np.testing.assert_allclose(lm.log_probabilities(model, blocks), np.log(dense), rtol=1e-12)


@pytest.mark.parametrize("n", [2, 3])
def test_zero_strength_is_the_task_model_and_infinite_strength_the_pretrained_one(n):
    pre, task, V = two_models(n=n)
    contexts = all_contexts(V, n)
    blocks = np.random.default_rng(2).integers(2, V, size=(6, 20))
    for strength, same_as in ((0, task), (np.inf, pre)):
        model = lm.adapt(pre, task, strength)
        assert np.array_equal(lm.next_token_probabilities(model, contexts), lm.next_token_probabilities(same_as, contexts))
        assert np.array_equal(lm.log_probabilities(model, blocks), lm.log_probabilities(same_as, blocks))
        assert np.array_equal(lm.beam_search(model, blocks[:, :4], 10), lm.beam_search(same_as, blocks[:, :4], 10))
    # Between the limits the adapted model moves from the task model to the pretrained one.
    gaps = [np.abs(lm.next_token_probabilities(lm.adapt(pre, task, s), contexts)
                   - lm.next_token_probabilities(pre, contexts)).sum() for s in (0.1, 1, 10, 100, 1000)]
    assert all(a > b for a, b in zip(gaps, gaps[1:]))


def test_bigram_adaptation_is_the_map_posterior_mean_context_by_context():
    """n = 2: P(w | h) = lambda_h P_task(w | h) + (1 - lambda_h) P_pre(w | h), lambda_h = c(h) / (c(h) + tau), both
    models backing off to the adapted unigram, which mixes with lambda = N / (N + tau)."""
    pre, task, V = two_models(n=2)
    tau = 7.0
    model = lm.adapt(pre, task, tau)
    lam0 = task.tokens / (task.tokens + tau)
    np.testing.assert_allclose(model.unigram, lam0 * task.unigram + (1 - lam0) * pre.unigram, rtol=1e-14)

    def with_unigram(m, u):  # model m backing off to the unigram u
        rows = lm.next_token_probabilities(m, np.arange(V)[:, None])
        return rows + np.outer(_backoff(m, V), u - m.unigram)

    counts = np.zeros(V)
    order = task.orders[0]
    counts[order.context_keys] = order.context_totals
    lam = counts / (counts + tau)
    expected = lam[:, None] * with_unigram(task, model.unigram) + (1 - lam[:, None]) * with_unigram(pre, model.unigram)
    np.testing.assert_allclose(lm.next_token_probabilities(model, np.arange(V)[:, None]), expected, rtol=1e-12)


def _backoff(model, V):
    """The back-off weight of every one-token context of a bigram model (1 where unseen)."""
    weights = np.ones(V)
    order = model.orders[0]
    weights[order.context_keys] = order.backoff
    return weights


def test_map_adaptation_weights():
    np.testing.assert_allclose(adaptation_weights([0, 1, 3, 9], 3.0), [0, 0.25, 0.5, 0.75])
    assert np.all(adaptation_weights([0, 5], 0.0) == 1) and np.all(adaptation_weights([0, 5], np.inf) == 0)


def test_adapt_rejects_bad_input():
    pre, task, V = two_models()
    other_order = lm.train(np.full((2, 5), 2), V, n=2)
    other_vocab = lm.train(np.full((2, 5), 2), V + 1, n=3)
    for bad, error, match in [
        (dict(strength=-1.0), ValueError, "strength must be >= 0"),
        (dict(strength=float("nan")), ValueError, "strength must be >= 0"),
        (dict(strength="10"), TypeError, "strength must be a real number"),
        (dict(strength=True), TypeError, "strength must be a real number"),
        (dict(task=other_order), ValueError, "same order and vocabulary"),
        (dict(task=other_vocab), ValueError, "same order and vocabulary"),
        (dict(pretrained="model"), TypeError, "must be an NGramModel"),
    ]:
        arguments = dict(pretrained=pre, task=task, strength=1.0) | bad
        with pytest.raises(error, match=match):
            lm.adapt(**arguments)


def test_fine_tuning_loop_starts_every_generation_from_the_pretrained_model():
    pre, _, V = two_models()
    blocks = np.random.default_rng(3).integers(2, V, size=(12, 16))
    run = lm.self_consuming_generations(blocks, V, 3, pretrained=pre, strength=5.0, rng=0)
    for t in range(4):
        expected = lm.adapt(pre, lm.train(run.data[t], V, n=3), 5.0)
        contexts = all_contexts(V, 3)
        assert np.array_equal(lm.next_token_probabilities(run.models[t], contexts),
                              lm.next_token_probabilities(expected, contexts))
    for t in range(1, 4):  # each generation's text is the previous fine-tuned model's beam search
        assert np.array_equal(run.data[t], lm.beam_search(run.models[t - 1], blocks, 16))
    with pytest.raises(ValueError, match="pretrained must have the loop's order"):
        lm.self_consuming_generations(blocks, V, 1, n=2, pretrained=pre)
    with pytest.raises(ValueError, match="strength must be >= 0"):
        lm.self_consuming_generations(blocks, V, 1, pretrained=pre, strength=-2.0)


def test_a_loop_can_measure_every_model_and_keep_only_the_ends():
    pre, _, V = two_models()
    blocks = np.random.default_rng(7).integers(2, V, size=(12, 16))
    full = lm.self_consuming_generations(blocks, V, 4, pretrained=pre, strength=3.0, rng=0)
    lean = lm.self_consuming_generations(blocks, V, 4, pretrained=pre, strength=3.0, rng=0, keep_models=False,
                                         measure=lambda model: lm.corpus_perplexity(model, blocks))
    assert full.measures is None
    assert lean.measures == [lm.corpus_perplexity(model, blocks) for model in full.models]
    assert lean.models[1:-1] == [None] * 3 and lean.models[0] is not None and lean.models[-1] is not None
    assert np.array_equal(lean.data, full.data)
    with pytest.raises(TypeError, match="measure must be a callable"):
        lm.self_consuming_generations(blocks, V, 1, measure=3)
    with pytest.raises(TypeError, match="keep_models"):
        lm.self_consuming_generations(blocks, V, 1, keep_models="no")


@pytest.mark.parametrize("reads", ["others", "pool", "self"])
def test_population_of_models_reads_what_the_protocol_says(reads):
    _, _, V = two_models()
    blocks = np.random.default_rng(4).integers(2, V, size=(15, 12))
    run = lm.population_generations(blocks, V, 3, orders=(2, 3, 3), reads=reads, decoding="sample", rng=1)
    assert [p.shape[0] for p in run.prompts] == [5, 5, 5]
    assert np.array_equal(np.concatenate(run.prompts), blocks)  # start="split": consecutive thirds
    assert [m.n for m in run.models[0]] == [2, 3, 3]
    for t in range(1, 4):
        for i in range(3):
            writers = run.writers[t][i]
            size = {"others": 10, "pool": 5, "self": 5}[reads]
            assert run.data[t][i].shape == (size, 12) and writers.shape == (size,)
            if reads == "others":
                assert set(writers) == {0, 1, 2} - {i}
            elif reads == "self":
                assert set(writers) == {i}
            assert run.models[t][i].tokens == run.data[t][i].size
    # "self" is three single-model loops side by side: model 0's text is its own beam continuations.
    beam = lm.population_generations(blocks, V, 2, orders=(3, 3), reads="self", start="all")
    single = lm.self_consuming_generations(blocks, V, 2)
    for t in range(3):
        assert np.array_equal(beam.data[t][0], single.data[t]) and np.array_equal(beam.data[t][1], single.data[t])


def test_two_models_trained_on_each_other_swap_their_text():
    _, _, V = two_models()
    blocks = np.random.default_rng(5).integers(2, V, size=(10, 12))
    run = lm.population_generations(blocks, V, 2, orders=(2, 3), reads="others")
    for t in range(1, 3):  # model 0 learns model 1's beam continuations of model 1's prompts, and back
        assert np.array_equal(run.data[t][0], lm.beam_search(run.models[t - 1][1], run.prompts[1], 12))
        assert np.array_equal(run.data[t][1], lm.beam_search(run.models[t - 1][0], run.prompts[0], 12))


def test_population_rejects_bad_input():
    _, _, V = two_models()
    blocks = np.random.default_rng(6).integers(2, V, size=(6, 8))
    for bad, error, match in [
        (dict(orders=(3,)), ValueError, "2 to 16 models"),
        (dict(orders=3), TypeError, "orders must be a sequence"),
        (dict(reads="all"), ValueError, "reads"),
        (dict(start="half"), ValueError, "start"),
        (dict(orders=(3,) * 7), ValueError, "one real block per model"),
        (dict(pretrained={2: None}), ValueError, "a model for every order"),
    ]:
        with pytest.raises(error, match=match):
            lm.population_generations(blocks, V, 1, **({"orders": (3, 3)} | bad))


def test_docstring_paragraphs_keep_prose_only():
    doc = ("Sum of the array elements over a given axis.\n\nParameters\n----------\na : array_like\n"
           "    Elements to sum, taken along the first axis unless told otherwise.\naxis : int\n    Short.\n\n"
           "Examples\n--------\n>>> np.sum([1, 2])\n3\n\n.. math:: x^2 + y^2 = r^2 for every point of the circle here\n\n"
           "See :func:`numpy.add` and ``out`` for where the result of the sum is stored.")
    assert data.docstring_paragraphs(doc) == [
        "Sum of the array elements over a given axis.",
        "Elements to sum, taken along the first axis unless told otherwise. Short.",
        "See numpy.add and out for where the result of the sum is stored.",
    ]
    with pytest.raises(TypeError, match="doc must be a str"):
        data.docstring_paragraphs(None)


def test_shipped_pretraining_corpus_is_intact_and_twenty_times_the_task_text():
    import hashlib
    from importlib import resources

    raw = resources.files("collapse_lib").joinpath("datasets", data.PRETRAINING_FILE).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == data.PRETRAINING_SHA256
    paragraphs = data.pretraining_paragraphs()
    assert len(paragraphs) == len(set(paragraphs)) == 42835
    assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)
    pre_tokens = sum(len(lm.tokenize(p)) for p in paragraphs)
    task_tokens = sum(len(lm.tokenize(p)) for p in data.python_reference_paragraphs())
    assert pre_tokens >= 20 * task_tokens
    notices = resources.files("collapse_lib").joinpath("datasets", "PRETRAINING-LICENSES.txt").read_text("utf-8")
    for name in ("numpy", "scipy", "sympy", "scikit-learn", "matplotlib", "altair"):
        assert f"\n{name} " in notices


def test_a_modified_pretraining_corpus_is_refused(monkeypatch):
    monkeypatch.setattr(data, "PRETRAINING_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="was modified"):
        data.pretraining_paragraphs()
