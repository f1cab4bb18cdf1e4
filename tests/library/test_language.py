"""Tests of collapse_lib.language: the Kneser–Ney model, its decoders and the self-consuming loop."""

import itertools

import numpy as np
import pytest
import scipy.stats

from collapse_lib import language as lm
from collapse_lib import schemes
from collapse_lib.data import python_reference_paragraphs
from tests.library.family_wise import Family

TOY = lm.Vocabulary(("<unk>", "<s>", "a", "b", "c"))


def random_model(n=3, seed=0, words=6, length=400):
    """A model trained on random text over a small vocabulary, with some structure."""
    rng = np.random.default_rng(seed)
    vocab_size = words + 2
    tokens = rng.choice(np.arange(2, vocab_size), size=length, p=np.linspace(3, 1, words) / np.linspace(3, 1, words).sum())
    return lm.train(tokens.reshape(8, -1), vocab_size, n=n), vocab_size


# --- text handling -------------------------------------------------------------------------


def test_tokenize_and_vocabulary_round_trip():
    tokens = lm.tokenize("It's a test... of (the) tokenizer: 3 words, no more!")
    assert tokens == ["it's", "a", "test", "...", "of", "(", "the", ")", "tokenizer", ":", "3", "words", ",", "no", "more", "!"]
    vocab = lm.build_vocabulary(tokens + ["a"])
    assert vocab.tokens[:3] == ("<unk>", "<s>", "a")  # the most frequent word first
    ids = vocab.encode(["a", "zebra"])
    assert ids.tolist() == [2, lm.UNK]
    assert vocab.decode(vocab.encode(["no", "more", "!"])) == "no more!"
    with pytest.raises(ValueError, match="empty"):
        lm.build_vocabulary([])
    with pytest.raises(TypeError, match="text"):
        lm.tokenize(3)


def test_cut_blocks():
    blocks = lm.cut_blocks(np.arange(2, 12), 3, offset=1)
    assert blocks.tolist() == [[3, 4, 5], [6, 7, 8], [9, 10, 11]]
    with pytest.raises(ValueError, match="no block"):
        lm.cut_blocks(np.arange(2, 4), 3)


def test_corpus_is_prose_from_an_installed_package():
    paragraphs = python_reference_paragraphs()
    assert len(paragraphs) > 1000
    assert not any(">>>" in p or "::=" in p for p in paragraphs)
    words = sum(len(lm.tokenize(p)) for p in paragraphs)
    assert words > 40_000


# --- the model -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_probabilities_normalize_for_seen_and_unseen_contexts(n):
    model, V = random_model(n=n)
    rng = np.random.default_rng(1)
    contexts = rng.integers(0, V, size=(200, max(n - 1, 1)))
    probs = lm.next_token_probabilities(model, contexts)
    assert probs.shape == (200, V)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(probs[:, lm.BOS] == 0)
    assert np.all(probs[:, np.arange(V) != lm.BOS] > 0)  # smoothing: every token possible


def test_pointwise_scoring_matches_dense_rows():
    model, V = random_model(n=3, seed=2)
    block = np.random.default_rng(3).integers(2, V, size=(1, 30))
    padded = np.concatenate([[lm.BOS, lm.BOS], block[0]])
    dense = [lm.next_token_probabilities(model, padded[i : i + 2])[0, padded[i + 2]] for i in range(30)]
    np.testing.assert_allclose(lm.log_probabilities(model, block)[0], np.log(dense), rtol=1e-12)


def test_unigram_perplexity_by_hand():
    # Tokens a a b, discount 0.5, V = 3 predictable tokens (<unk>, a, b).
    vocab = lm.Vocabulary(("<unk>", "<s>", "a", "b"))
    model = lm.train(vocab.encode(["a", "a", "b"]), len(vocab), n=1, discount=0.5)
    share = 0.5 * 2 / 3 / 3  # D * types / total, spread uniformly over V = 3
    p_a, p_b, p_unk = 1.5 / 3 + share, 0.5 / 3 + share, share
    np.testing.assert_allclose(model.unigram[[2, 3, 0, 1]], [p_a, p_b, p_unk, 0.0])
    expected = np.exp(-(np.log(p_a) + np.log(p_b) + np.log(p_unk)) / 3)
    assert lm.corpus_perplexity(model, vocab.encode(["a", "b", "zebra"])) == pytest.approx(expected, rel=1e-12)


def test_trigram_probability_by_hand():
    """The chapter's exercise: P(c | a b) after training on "a b a b c" with D = 0.75."""
    model = lm.train(TOY.encode(["a", "b", "a", "b", "c"]), len(TOY), n=3, discount=0.75)
    p1 = 0.25 / 4 + (0.75 * 3 / 4) / 4  # continuation counts a:2, b:1, c:1
    p2 = 0.25 / 2 + (0.75 * 2 / 2) * p1  # after b: ba and bc, each with one left neighbour
    p3 = 0.25 / 2 + (0.75 * 2 / 2) * p2  # after a b: raw counts aba 1, abc 1
    a, b, c = TOY.encode(["a", "b", "c"])
    assert lm.next_token_probabilities(model, [[a, b]])[0, c] == pytest.approx(p3, rel=1e-12)
    # An unseen context backs off entirely: P(c | c c) = P(c | c) = P_1(c) (c was never followed).
    assert lm.next_token_probabilities(model, [[c, c]])[0, c] == pytest.approx(p1, rel=1e-12)


def test_unknown_words_get_the_uniform_share():
    model = lm.train(TOY.encode(["a", "b", "a", "b", "c"]), len(TOY), n=1, discount=0.75)
    # No <unk> in training: its probability is the backed-off mass D * types / total over V = 4.
    assert model.unigram[lm.UNK] == pytest.approx(0.75 * 3 / 5 / 4)
    assert np.isfinite(lm.corpus_perplexity(model, [[lm.UNK, lm.UNK]]))


def test_bad_input_is_rejected_clearly():
    good = TOY.encode(["a", "b", "c"])
    with pytest.raises(ValueError, match="blocks is empty"):
        lm.train(np.zeros((0, 5), dtype=int), 5)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        lm.train(good, 5, n=0)
    with pytest.raises(TypeError, match="n must be an integer"):
        lm.train(good, 5, n=2.5)
    with pytest.raises(ValueError, match="discount"):
        lm.train(good, 5, discount=1.5)
    with pytest.raises(ValueError, match="token ids in 0..4"):
        lm.train([2, 3, 9], 5)
    with pytest.raises(ValueError, match="begin-of-block"):
        lm.train([2, lm.BOS, 3], 5)
    with pytest.raises(TypeError, match="integer"):
        lm.train([[0.5, 2.0]], 5)
    model = lm.train(good, 5)
    for temperature in (0, -1.0):
        with pytest.raises(ValueError, match="temperature must be a number in \\[0.01, 100\\]"):
            lm.sample(model, good, 3, temperature=temperature)
    with pytest.raises(ValueError, match="top_k"):
        lm.sample(model, good, 3, top_k=0)
    with pytest.raises(ValueError, match="length"):
        lm.sample(model, good, 0)
    with pytest.raises(ValueError, match="prompts need at least n-1 = 2"):
        lm.beam_search(model, good[:1], 3)
    with pytest.raises(ValueError, match="decoding"):
        lm.self_consuming_generations(good[None], 5, 1, decoding="greedy")
    with pytest.raises(ValueError, match="scheme must be one of"):
        lm.self_consuming_generations(good[None], 5, 1, scheme="recycle")
    with pytest.raises(ValueError, match="Fresh.sampler must return shape"):
        lm.self_consuming_generations(good[None], 5, 1, scheme=schemes.Fresh(2, lambda n, rng: np.full((n, 1), 2)))


# --- decoding ---------------------------------------------------------------------------------


def continuation_log_prob(model, prompt, continuation):
    context = list(prompt[-(model.n - 1) :])
    total = 0.0
    for token in continuation:
        total += np.log(lm.next_token_probabilities(model, [context])[0, token])
        context = context[1:] + [token]
    return total


@pytest.mark.parametrize("seed", range(4))
def test_wide_beam_search_finds_the_most_probable_continuation(seed):
    model, V = random_model(n=3, seed=seed, words=3, length=120)
    tokens = [t for t in range(V) if t != lm.BOS]  # 4 predictable tokens
    prompt = np.array([2, 3, 4])
    scores = {c: continuation_log_prob(model, prompt, c) for c in itertools.product(tokens, repeat=3)}
    best = max(scores, key=scores.get)
    found = lm.beam_search(model, prompt, 3, beam_width=len(tokens) ** 2)[0]  # exhaustive width
    assert scores[tuple(found)] == pytest.approx(scores[best], abs=1e-12)
    narrow = lm.beam_search(model, prompt, 3, beam_width=5)[0]
    greedy = lm.beam_search(model, prompt, 3, beam_width=1)[0]
    assert scores[tuple(narrow)] >= scores[tuple(greedy)] - 1e-12
    # Greedy decoding is the argmax of each next-token distribution.
    context = list(prompt[-2:])
    for token in greedy:
        probs = lm.next_token_probabilities(model, [context])[0]
        assert token == np.flatnonzero(probs == probs.max())[0]
        context = context[1:] + [token]


def test_beam_search_beats_greedy_on_a_garden_path():
    # After "a a", "b" is the likeliest next token, but "b" leads only to a flat distribution,
    # while "c" (second likeliest) is followed almost surely by "c": greedy takes the bait.
    text = ["a", "a", "b", "a", "a", "b", "a", "a", "b"] + ["a", "a", "c", "c", "c", "c", "c"]
    model = lm.train(TOY.encode(text), len(TOY), n=2, discount=0.1)
    prompt = TOY.encode(["a", "a"])
    greedy = lm.beam_search(model, prompt, 2, beam_width=1)[0]
    beam = lm.beam_search(model, prompt, 2, beam_width=5)[0]
    assert continuation_log_prob(model, prompt, beam) > continuation_log_prob(model, prompt, greedy)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_top_tokens_by_table_lookup_equal_the_direct_search(n):
    # The cached top lists (looked up by a context's longest seen suffix) against the direct
    # search over candidates, for every context of the training text and for unseen ones.
    from collapse_lib.language import decoding

    model, V = random_model(n=n, seed=5, words=9, length=600)
    rng = np.random.default_rng(1)
    contexts = np.concatenate([rng.integers(0, V, size=(300, n - 1)), np.full((1, n - 1), lm.BOS)])
    for width in (1, 3, V - 1):
        direct = decoding._top_tokens(model, contexts, width)
        looked_up = decoding._top_by_lookup(model, contexts, width)
        np.testing.assert_array_equal(looked_up[0], direct[0])
        np.testing.assert_array_equal(looked_up[1], direct[1])
        dense = lm.next_token_probabilities(model, contexts)
        np.testing.assert_allclose(looked_up[1], -np.sort(-dense, axis=1)[:, :width], rtol=1e-12)


@pytest.mark.parametrize("width", [1, 3, 8])
def test_top_tokens_of_long_rows_equal_the_dense_distribution(width):
    # Rows far longer than the width (a large vocabulary, much text) are pruned before scoring;
    # the top lists must still be exactly those of the dense rows, ties to the smaller id.
    model, V = random_model(n=3, seed=9, words=30, length=40_000)
    assert np.diff(model.orders[-1].indptr).mean() > 2 * width
    from collapse_lib.language import decoding

    rng = np.random.default_rng(5)
    contexts = np.concatenate([rng.integers(2, V, size=(200, 2)), np.full((1, 2), lm.BOS)])
    tok, prob = decoding._top_tokens(model, contexts, width)
    dense = lm.next_token_probabilities(model, contexts)
    order = np.lexsort((np.broadcast_to(np.arange(V), dense.shape), -dense), axis=1)[:, :width]
    np.testing.assert_array_equal(tok, order)
    np.testing.assert_allclose(prob, np.take_along_axis(dense, order, axis=1), rtol=1e-12)


def test_remembered_top_tokens_equal_the_direct_search():
    # Contexts asked in several calls, overlapping and repeated, in any order: each answer is
    # computed once and must equal the direct search.
    from collapse_lib.language import decoding

    model, V = random_model(n=3, seed=7, words=9, length=600)
    rng = np.random.default_rng(4)
    for call in range(4):
        contexts = rng.integers(0, V, size=(50 + 40 * call, 2))
        remembered = decoding._top_memoised(model, contexts, 3)
        direct = decoding._top_tokens(model, contexts, 3)
        np.testing.assert_array_equal(remembered[0], direct[0])
        np.testing.assert_array_equal(remembered[1], direct[1])
    asked = decoding._TOP_CACHE[model]["asked", 3][0]
    assert np.all(np.diff(asked) > 0)  # sorted, each context once


def test_beam_search_of_prompts_that_end_alike_is_the_search_of_each():
    # Prompts sharing their last n-1 tokens are searched once; each must still get exactly what
    # a search of that prompt alone finds.
    model, V = random_model(seed=7, words=12, length=800)
    rng = np.random.default_rng(4)
    prompts = rng.integers(2, V, size=(30, 5))
    prompts[10:20, -2:] = prompts[:10, -2:]  # ten ends twice, with different beginnings
    together = lm.beam_search(model, prompts, 12)
    assert np.unique(prompts[:, -2:], axis=0).shape[0] < prompts.shape[0]
    for prompt, found in zip(prompts, together):
        np.testing.assert_array_equal(lm.beam_search(model, prompt[None, :], 12)[0], found)


def test_decoding_with_and_without_top_tables_is_identical():
    # A beam search or low-temperature sampling long enough to build the top tables must give
    # exactly what the direct search gives.
    from collapse_lib.language import decoding

    model, V = random_model(seed=6, words=12, length=800)
    prompts = np.random.default_rng(2).integers(2, V, size=(40, 4))
    with_tables = (lm.beam_search(model, prompts, 30), lm.sample(model, prompts, 30, temperature=0.6, rng=3),
                   lm.sample(model, prompts, 30, top_k=4, rng=3))
    assert decoding._TOP_CACHE.get(model), "the calls above should have built the top tables"
    decoding._TOP_CACHE.pop(model)
    limit = decoding.TOP_TABLE_ENTRIES
    try:
        decoding.TOP_TABLE_ENTRIES = 0  # no table is small enough: the direct search every step
        direct = (lm.beam_search(model, prompts, 30), lm.sample(model, prompts, 30, temperature=0.6, rng=3),
                  lm.sample(model, prompts, 30, top_k=4, rng=3))
        assert not decoding._TOP_CACHE.get(model, {}).get((model.n, 5))
    finally:
        decoding.TOP_TABLE_ENTRIES = limit
    for a, b in zip(with_tables, direct):
        np.testing.assert_array_equal(a, b)


def test_sampling_draws_exactly_from_the_model(seed_offset):
    model, V = random_model(n=3, seed=5)
    context = np.array([[2, 3]])
    base = lm.next_token_probabilities(model, context)[0]
    cases = {
        "T=1": (1.0, None, base),
        "T=0.6": (0.6, None, base ** (1 / 0.6)),
        "T=1.7": (1.7, None, base ** (1 / 1.7)),
        "top 3, T=0.8": (0.8, 3, np.where(base >= np.sort(base)[-3], base ** (1 / 0.8), 0.0)),
    }
    family = Family()
    for seed, (name, (temperature, top_k, target)) in enumerate(cases.items()):
        target = target / target.sum()
        draws = lm.sample(model, np.repeat(context, 40_000, axis=0), 1, temperature=temperature, top_k=top_k,
                          rng=seed + seed_offset)
        observed = np.bincount(draws[:, 0], minlength=V)
        support = target > 0
        assert observed[~support].sum() == 0, name
        family.same_law(name, scipy.stats.chisquare(observed[support], 40_000 * target[support]).pvalue)
    family.check()


def test_seeded_reproducibility():
    model, V = random_model()
    prompts = np.full((5, 2), 2)
    a = lm.sample(model, prompts, 20, rng=7)
    assert np.array_equal(a, lm.sample(model, prompts, 20, rng=7))
    assert not np.array_equal(a, lm.sample(model, prompts, 20, rng=8))
    blocks = np.random.default_rng(0).integers(2, V, size=(20, 16))
    runs = [lm.self_consuming_generations(blocks, V, 3, scheme=schemes.KeepReal(0.25), decoding="sample", rng=11)
            for _ in range(2)]
    assert np.array_equal(runs[0].data, runs[1].data)
    assert np.array_equal(runs[0].kept, runs[1].kept)


def test_self_consuming_generations_protocol():
    model, V = random_model()
    blocks = np.random.default_rng(0).integers(2, V, size=(20, 16))
    run = lm.self_consuming_generations(blocks, V, 4, scheme=schemes.KeepReal(0.1), decoding="beam", rng=3)
    assert np.array(run.data).shape == (5, 20, 16) and len(run.models) == 5
    assert list(run.train_sizes) == [20] * 5 and run.scheme == schemes.KeepReal(0.1)
    assert np.array_equal(run.data[0], blocks) and run.kept[0].all()
    assert np.all(np.array(run.kept[1:]).sum(axis=1) == 2)  # 10% of 20 blocks, chosen afresh each generation
    for t in range(1, 5):
        assert np.array_equal(run.data[t][run.kept[t]], blocks[run.kept[t]])
        # The synthetic blocks are model t-1's beam continuations of the original blocks.
        synthetic = lm.beam_search(run.models[t - 1], blocks[~run.kept[t]], 16)
        assert np.array_equal(run.data[t][~run.kept[t]], synthetic)
    all_real = lm.self_consuming_generations(blocks, V, 2, scheme=schemes.KeepReal(1.0), rng=0)
    assert np.all(np.array(all_real.data) == blocks)
    # KeepReal(0) draws nothing extra, so it is exactly replace.
    replace = lm.self_consuming_generations(blocks, V, 2, decoding="sample", rng=4)
    nothing_kept = lm.self_consuming_generations(blocks, V, 2, scheme=schemes.KeepReal(0.0), decoding="sample", rng=4)
    assert np.array_equal(replace.data, nothing_kept.data)


@pytest.mark.parametrize("scheme, sizes", [
    (schemes.Augment(), [20, 40, 40]),
    (schemes.Accumulate(), [20, 40, 60]),
    (schemes.AccumulateSubsample(25), [20, 25, 25]),
    (schemes.Fresh(5, lambda n, rng: rng.integers(2, 6, size=(n, 16))), [20, 25, 25]),
])
def test_every_scheme_in_the_language_loop(scheme, sizes):
    model, V = random_model()
    blocks = np.random.default_rng(0).integers(2, V, size=(20, 16))
    run = lm.self_consuming_generations(blocks, V, 2, scheme=scheme, decoding="sample", rng=5)
    assert list(run.train_sizes) == sizes and [d.shape[0] for d in run.data] == sizes
    real_count = [k.sum() for k in run.kept]
    expected_real = {"augment": [20, 20, 20], "accumulate": [20, 20, 20], "fresh": [20, 5, 5]}.get(scheme.name)
    if expected_real:
        assert real_count == expected_real
    for t in range(1, 3):  # the blocks marked real are real text: original blocks or new real ones
        assert run.models[t].tokens == run.data[t].size


@pytest.mark.parametrize("vocab_size, k", [(4600, 3), (7, 2), (50, 5), (2**40, 3), (3, 1)])
def test_distinct_ngram_ratio_counts_what_unique_rows_count(vocab_size, k):
    # The integer-key count must agree with the definition (unique k-gram rows), including with
    # repeated blocks and ids too large for one integer per k-gram (the fallback).
    blocks = np.random.default_rng(vocab_size % 97).integers(0, vocab_size, size=(60, 12))
    blocks[10:30] = blocks[30:50]
    windows = np.lib.stride_tricks.sliding_window_view(blocks, k, axis=1).reshape(-1, k)
    assert lm.distinct_ngram_ratio(blocks, k) == np.unique(windows, axis=0).shape[0] / windows.shape[0]


def test_distinct_ngram_ratio():
    assert lm.distinct_ngram_ratio([[2, 3, 2, 3, 2]], 2) == pytest.approx(2 / 4)
    assert lm.distinct_ngram_ratio([[2, 3, 4, 5]], 3) == 1.0
    with pytest.raises(ValueError, match="k = 3"):
        lm.distinct_ngram_ratio([[2, 3]], 3)


# --- best-of-k curation in the loop ----------------------------------------------------------


def test_continuation_log_probability_by_hand():
    model, V = random_model(n=3, seed=2)
    rng = np.random.default_rng(0)
    prompts, continuations = rng.integers(2, V, size=(6, 5)), rng.integers(2, V, size=(6, 4))
    expected = np.zeros(6)
    for row in range(6):
        text = np.concatenate([prompts[row, -2:], continuations[row]])
        for j in range(4):
            p = lm.next_token_probabilities(model, text[None, j : j + 2])[0]
            expected[row] += np.log(p[text[j + 2]])
    assert np.allclose(lm.continuation_log_probability(model, prompts, continuations), expected)
    with pytest.raises(ValueError, match="same number of rows"):
        lm.continuation_log_probability(model, prompts, continuations[:3])
    with pytest.raises(ValueError, match="n-1 = 2"):
        lm.continuation_log_probability(model, prompts[:, :1], continuations)


@pytest.mark.parametrize("judge_kind", ["self", "other"])
def test_best_of_k_keeps_the_judges_favourite_candidate(judge_kind):
    """With replace and one generation, the loop's only random draws are the candidates, so the
    test can redraw them with the same seed and check the kept one is the judge's argmax."""
    model, V = random_model(seed=1)
    blocks = np.random.default_rng(0).integers(2, V, size=(15, 12))
    judge = "self" if judge_kind == "self" else random_model(seed=9)[0]
    run = lm.self_consuming_generations(blocks, V, 1, decoding="sample", candidates=4, judge=judge, rng=21)
    prompts = np.repeat(blocks, 4, axis=0)
    drawn = lm.sample(run.models[0], prompts, 12, rng=21)
    scorer = run.models[0] if judge == "self" else judge
    scores = lm.continuation_log_probability(scorer, prompts, drawn).reshape(15, 4)
    kept = drawn.reshape(15, 4, 12)[np.arange(15), scores.argmax(axis=1)]
    assert np.array_equal(run.data[1], kept)
    # And curation moves the judge's score up, the point of it: compare with one candidate.
    single = lm.self_consuming_generations(blocks, V, 1, decoding="sample", rng=21)
    assert (lm.continuation_log_probability(scorer, blocks, run.data[1]).mean()
            > lm.continuation_log_probability(scorer, blocks, single.data[1]).mean())


def test_best_of_k_arguments_are_checked():
    model, V = random_model()
    blocks = np.random.default_rng(0).integers(2, V, size=(5, 8))
    with pytest.raises(ValueError, match="decoding='sample'"):
        lm.self_consuming_generations(blocks, V, 1, candidates=3)
    with pytest.raises(TypeError, match="judge"):
        lm.self_consuming_generations(blocks, V, 1, decoding="sample", candidates=3, judge="other")
    with pytest.raises(ValueError, match="vocabulary"):
        lm.self_consuming_generations(blocks, V, 1, decoding="sample", candidates=3, judge=random_model(words=3)[0])
    with pytest.raises(ValueError, match="candidates"):
        lm.self_consuming_generations(blocks, V, 1, decoding="sample", candidates=0)
