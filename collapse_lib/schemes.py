"""The data schemes of the self-consuming loop: what each generation trains on.

One vocabulary for every loop in the book (:func:`collapse_lib.loops.run_loop` for any model
family, :func:`collapse_lib.language.self_consuming_generations` for language models). A scheme
is a small frozen value that validates its own parameters when it is made; plain strings
(``"replace"``, ``"keep-real"``, ...) are shorthand for a scheme with its default parameters.

For generation t >= 1 (generation 0 is fitted on the N original, "real", data points):

- :class:`Replace`: only samples of the newest model (fully synthetic);
- :class:`KeepReal`: a fraction of the training set is a fresh random subset of the original
  data, the rest synthetic (Shumailov et al., 2024, kept 10%);
- :class:`Augment`: the whole original data set plus synthetic samples (Alemohammad et al.,
  2024, "synthetic augmentation");
- :class:`Fresh`: new real samples plus synthetic samples (Alemohammad et al.'s "fresh data");
- :class:`Accumulate`: everything so far, growing each generation (Gerstgrasser et al., 2024);
- :class:`AccumulateSubsample`: a random subset of fixed size drawn from everything so far
  (Kazdan et al., 2025).

Chapter: ``book/04_breaking_the_loop.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .validation import check_fraction, check_int

__all__ = [
    "Scheme",
    "Replace",
    "KeepReal",
    "Augment",
    "Fresh",
    "Accumulate",
    "AccumulateSubsample",
    "SCHEMES",
    "as_scheme",
]


@dataclass(frozen=True)
class Scheme:
    """Base class of the data schemes; ``name`` is the scheme's shorthand string."""

    name: ClassVar[str] = ""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Replace(Scheme):
    """Train each generation on samples of the newest model only."""

    name: ClassVar[str] = "replace"


@dataclass(frozen=True)
class KeepReal(Scheme):
    """A fraction ``fraction`` (in [0, 1]) of each training set is drawn afresh from the original data."""

    fraction: float = 0.1
    name: ClassVar[str] = "keep-real"

    def __post_init__(self):
        object.__setattr__(self, "fraction", check_fraction(self.fraction, "KeepReal.fraction"))


@dataclass(frozen=True)
class Augment(Scheme):
    """Train on the whole original data set plus samples of the newest model."""

    name: ClassVar[str] = "augment"


@dataclass(frozen=True)
class Fresh(Scheme):
    """Each generation adds ``real_size`` new real samples, drawn by ``sampler(n, rng)``, to the synthetic ones.

    ``sampler(n, rng)`` returns n new real samples per replicate, shaped like the loop's data
    blocks (for :func:`~collapse_lib.loops.run_loop`: (replicates, n, ...)).
    """

    real_size: int
    sampler: Callable
    name: ClassVar[str] = "fresh"

    def __post_init__(self):
        object.__setattr__(self, "real_size", check_int(self.real_size, "Fresh.real_size", minimum=1))
        if not callable(self.sampler):
            raise TypeError(f"Fresh.sampler must be a function sampler(n, rng), got {type(self.sampler).__name__}")


@dataclass(frozen=True)
class Accumulate(Scheme):
    """Train on everything so far: the original data and every generation's samples."""

    name: ClassVar[str] = "accumulate"


@dataclass(frozen=True)
class AccumulateSubsample(Scheme):
    """Train on ``budget`` points drawn without replacement from everything so far (default: N, the real size)."""

    budget: int | None = None
    name: ClassVar[str] = "accumulate-subsample"

    def __post_init__(self):
        if self.budget is not None:
            object.__setattr__(self, "budget", check_int(self.budget, "AccumulateSubsample.budget", minimum=1))


_BY_NAME = {cls.name: cls for cls in (Replace, KeepReal, Augment, Fresh, Accumulate, AccumulateSubsample)}

#: The shorthand strings, in the order the book presents the schemes.
SCHEMES = tuple(_BY_NAME)


def as_scheme(scheme: Scheme | str) -> Scheme:
    """A scheme value from a scheme or its shorthand string (default parameters).

    >>> as_scheme("keep-real")
    KeepReal(fraction=0.1)
    """
    if isinstance(scheme, Scheme) and type(scheme) is not Scheme:
        return scheme
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be a Scheme (e.g. schemes.KeepReal(0.1)) or one of {list(SCHEMES)}, "
                        f"got {scheme!r}")
    if scheme not in _BY_NAME:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    if scheme == "fresh":
        raise ValueError("scheme 'fresh' needs new real data: pass schemes.Fresh(real_size, sampler)")
    return _BY_NAME[scheme]()
