"""collapse_lib: the helper library of the executable textbook on model collapse.

One module per idea:

- :mod:`collapse_lib.discrete`  categorical distributions refitted to their own samples
- :mod:`collapse_lib.gaussian`  Gaussians refitted to their own samples; Wasserstein-2 distance
- :mod:`collapse_lib.mixtures`  Gaussian mixtures refitted by EM, kernel density estimates, image models
- :mod:`collapse_lib.curation`  selecting synthetic data: best-of-k, Bradley–Terry, watermarks
- :mod:`collapse_lib.schemes`   the data schemes (replace, keep-real, augment, fresh, accumulate, ...)
- :mod:`collapse_lib.loops`     the training loop under every data scheme, for any model family
- :mod:`collapse_lib.language`  n-gram language models (a package: text, Kneser–Ney, decoding, loop)
- :mod:`collapse_lib.metrics`   distances and diversity measures
- :mod:`collapse_lib.montecarlo` means, standard errors, and the one agreement check of every chapter
- :mod:`collapse_lib.laws`      closed forms derived in one chapter and reused elsewhere
- :mod:`collapse_lib.exercises` the exercise checkers, one module per chapter
- :mod:`collapse_lib.data`      starting data (English word frequencies, Zipf laws, English prose)
- :mod:`collapse_lib.plotting`  the book's figure style
- :mod:`collapse_lib.widgets`   interactive explorers and their timing
- :mod:`collapse_lib.validation` argument checks shared by every module

Every random function takes a keyword ``rng``: a ``numpy.random.Generator``, an int
seed, or None.
"""

__version__ = "0.1.0"
