"""Pretraining and fine-tuning for n-gram models: MAP adaptation of a pretrained model to task text.

Shumailov et al. start every generation from a pretrained OPT-125m and fine-tune it on the
previous generation's text. The n-gram counterpart of fine-tuning is *MAP adaptation* (Bacchiani
& Roark, 2003; Bacchiani, Roark & Saraclar, 2004): the pretrained model is the mean of a
Dirichlet prior of strength tau on each context's next-token distribution, the task text supplies
the counts, and the posterior mean is

.. math::

    P(w \\mid h) = \\frac{c(h w) + \\tau\\, P_{\\text{pre}}(w \\mid h)}{c(h) + \\tau}
                 = \\lambda_h P_{\\text{task}}(w \\mid h) + (1 - \\lambda_h) P_{\\text{pre}}(w \\mid h),
    \\qquad \\lambda_h = \\frac{c(h)}{c(h) + \\tau}.

A context the task text has seen often follows the task text; a rare or unseen one follows the
pretrained model. tau plays the part of the number of fine-tuning epochs backwards: tau = 0 is
the task model alone (training from scratch), tau -> infinity the pretrained model unchanged.

Here P_task is the task text's own Kneser–Ney model, not its raw relative frequencies, and the
mixture is taken at every order of the Kneser–Ney recursion with the same tau: at order k the
discounted part and the back-off weight are each mixed with lambda = c_k(h) / (c_k(h) + tau),
c_k(h) the task's (continuation) count of the context, and both back off to the *adapted* order
k - 1. The result is again an interpolated model of the same form (:class:`NGramModel`), so every
decoder and scorer of :mod:`collapse_lib.language` works on it unchanged and at the same speed.
The unigram level mixes with lambda = N / (N + tau), N the task's token count.

Chapter: ``book/05_language_models.md``.
"""

from __future__ import annotations

import math

import numpy as np

from .kneser_ney import NGramModel, _Order, check_model

__all__ = ["adapt", "adaptation_weights", "check_strength"]


def adaptation_weights(counts, strength: float) -> np.ndarray:
    """lambda = c / (c + tau): the weight of the task model in a context seen ``counts`` times.

    ``strength`` tau = 0 gives 1 everywhere (the task model, also in contexts the task text never
    saw, where it backs off); tau = infinity gives 0 (the pretrained model).
    """
    counts = np.asarray(counts, dtype=float)
    if strength == 0:
        return np.ones_like(counts)
    if math.isinf(strength):
        return np.zeros_like(counts)
    return counts / (counts + strength)


def check_strength(strength) -> float:
    """The prior's strength as a float in [0, inf], or a TypeError / ValueError naming it."""
    if not isinstance(strength, int | float | np.integer | np.floating) or isinstance(strength, bool):
        raise TypeError(f"strength must be a real number >= 0, got {type(strength).__name__}")
    strength = float(strength)
    if not strength >= 0:  # also refuses NaN
        raise ValueError(f"strength must be >= 0 (0: the task model, inf: the pretrained model), got {strength}")
    return strength


def _merge_sorted(big: np.ndarray, small: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted union of two sorted arrays of distinct keys, and where each input's keys sit in
    it. Linear in the big array (no sort of it), which is the pretrained model's table."""
    pos = np.searchsorted(big, small)
    found = pos < big.size
    found[found] = big[pos[found]] == small[found]
    new = small[~found]
    union = np.insert(big, pos[~found], new)
    # Each big key moves right by the number of new keys inserted before it.
    where_big = np.arange(big.size) + np.searchsorted(new, big, side="left")
    where_small = np.searchsorted(union, small)
    return union, where_big, where_small


def _mix_order(task: _Order, pre: _Order, strength: float, vocab_size: int) -> _Order:
    """One order of the adapted model: both tables' contexts, discounted parts and back-off
    weights mixed context by context (0 < strength < inf)."""
    contexts, at_pre, at_task = _merge_sorted(pre.context_keys, task.context_keys)
    task_counts = np.zeros(contexts.size)
    task_counts[at_task] = task.context_totals
    lam = adaptation_weights(task_counts, strength)
    # A context a model never saw backs off entirely: nothing kept, back-off weight 1.
    kept_task, kept_pre = np.zeros(contexts.size), np.zeros(contexts.size)
    kept_task[at_task], kept_pre[at_pre] = task.kept, pre.kept
    back_task, back_pre = np.ones(contexts.size), np.ones(contexts.size)
    back_task[at_task], back_pre[at_pre] = task.backoff, pre.backoff
    kept = lam * kept_task + (1 - lam) * kept_pre
    backoff = lam * back_task + (1 - lam) * back_pre
    # The discounted entries of both tables, weighted by their context's lambda, summed per pair.
    keys, entry_pre, entry_task = _merge_sorted(pre.ngram_keys, task.ngram_keys)
    row_pre = np.repeat(at_pre, np.diff(pre.indptr))  # each entry's context, in the union
    row_task = np.repeat(at_task, np.diff(task.indptr))
    discounted = np.zeros(keys.size)
    discounted[entry_pre] = (1 - lam[row_pre]) * pre.discounted
    discounted[entry_task] += lam[row_task] * task.discounted
    indptr = np.searchsorted(keys // vocab_size, contexts)
    indptr = np.append(indptr, keys.size)
    ngram_counts = np.zeros(keys.size, dtype=task.ngram_counts.dtype)
    ngram_counts[entry_task] = task.ngram_counts  # the task's own counts, for reference
    return _Order(contexts, indptr, keys % vocab_size, discounted, np.concatenate([[0.0], np.cumsum(discounted)]),
                  kept, backoff, keys, ngram_counts, task_counts)


def adapt(pretrained: NGramModel, task: NGramModel, strength: float) -> NGramModel:
    """Fine-tune ``pretrained`` on the text ``task`` was trained on, by MAP adaptation.

    Parameters
    ----------
    pretrained : NGramModel
        The model trained on the general corpus (the prior's mean).
    task : NGramModel
        A model trained on the task text, with the same order and vocabulary; its counts are the
        evidence.
    strength : float
        The prior's strength tau >= 0, in tokens: a context seen c times in the task text follows
        the task model with weight c / (c + tau). 0 returns a model equal to ``task``; ``inf``
        one equal to ``pretrained``.

    Returns
    -------
    NGramModel
        Same order and vocabulary; ``tokens`` is the task model's, ``discount`` the task model's.
    """
    check_model(pretrained, "pretrained")
    check_model(task, "task")
    strength = check_strength(strength)
    if (pretrained.n, pretrained.vocab_size) != (task.n, task.vocab_size):
        raise ValueError(f"pretrained and task must have the same order and vocabulary, got n = {pretrained.n}, "
                         f"vocab_size = {pretrained.vocab_size} and n = {task.n}, vocab_size = {task.vocab_size}")
    if strength == 0:
        return task
    if math.isinf(strength):
        return pretrained
    V = task.vocab_size
    orders = tuple(_mix_order(t, p, strength, V) for t, p in zip(task.orders, pretrained.orders))
    lam = float(adaptation_weights(task.tokens, strength))
    unigram = lam * task.unigram + (1 - lam) * pretrained.unigram
    return NGramModel(task.n, V, task.discount, unigram, orders, task.tokens, np.cumsum(unigram))
