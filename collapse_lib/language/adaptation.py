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

from .kneser_ney import NGramModel, _context_rows, _Order, check_model

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


def _mix_order(task: _Order, pre: _Order, strength: float, vocab_size: int) -> _Order:
    """One order of the adapted model: both tables' contexts, discounted parts and back-off
    weights mixed context by context."""
    contexts = np.union1d(task.context_keys, pre.context_keys)
    row_task, row_pre = _context_rows(task, contexts), _context_rows(pre, contexts)
    seen_task, seen_pre = row_task >= 0, row_pre >= 0
    task_counts = np.where(seen_task, task.context_totals[np.maximum(row_task, 0)], 0.0)
    lam = adaptation_weights(task_counts, strength)
    # A context a model never saw backs off entirely: nothing kept, back-off weight 1.
    kept_task = np.where(seen_task, task.kept[np.maximum(row_task, 0)], 0.0)
    kept_pre = np.where(seen_pre, pre.kept[np.maximum(row_pre, 0)], 0.0)
    back_task = np.where(seen_task, task.backoff[np.maximum(row_task, 0)], 1.0)
    back_pre = np.where(seen_pre, pre.backoff[np.maximum(row_pre, 0)], 1.0)
    kept = lam * kept_task + (1 - lam) * kept_pre
    backoff = lam * back_task + (1 - lam) * back_pre

    # The discounted entries of both tables, weighted by their context's lambda, summed per pair.
    weight_task = lam[np.searchsorted(contexts, task.ngram_keys // vocab_size)]
    weight_pre = 1 - lam[np.searchsorted(contexts, pre.ngram_keys // vocab_size)]
    keys = np.concatenate([task.ngram_keys, pre.ngram_keys])
    values = np.concatenate([weight_task * task.discounted, weight_pre * pre.discounted])
    nonzero = np.concatenate([weight_task > 0, weight_pre > 0])  # a model with weight 0 adds no entries
    keys, inverse = np.unique(keys[nonzero], return_inverse=True)
    discounted = np.bincount(inverse, weights=values[nonzero], minlength=keys.size)
    indptr = np.searchsorted(keys // vocab_size, np.concatenate([contexts, [np.iinfo(np.int64).max]]))
    indptr[-1] = keys.size
    # The task's own counts, kept for reference (0 where the task text never saw the pair).
    position = np.minimum(np.searchsorted(task.ngram_keys, keys), max(task.ngram_keys.size - 1, 0))
    in_task = task.ngram_keys.size > 0 and task.ngram_keys[position] == keys
    ngram_counts = np.where(in_task, task.ngram_counts[position], 0) if task.ngram_keys.size else np.zeros(keys.size)
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
    V = task.vocab_size
    orders = tuple(_mix_order(t, p, strength, V) for t, p in zip(task.orders, pretrained.orders))
    lam = float(adaptation_weights(task.tokens, strength))
    unigram = lam * task.unigram + (1 - lam) * pretrained.unigram
    return NGramModel(task.n, V, task.discount, unigram, orders, task.tokens, np.cumsum(unigram))
