"""collapse_lib: the helper library of the executable textbook on model collapse.

One module per idea:

- :mod:`collapse_lib.discrete`  categorical distributions refitted to their own samples
- :mod:`collapse_lib.gaussian`  Gaussians refitted to their own samples; Wasserstein-2 distance
- :mod:`collapse_lib.loops`     the training loop under six data schemes, for any model family
- :mod:`collapse_lib.language`  n-gram language models (Kneser–Ney), decoding, and their loop
- :mod:`collapse_lib.metrics`   distances and diversity measures between distributions
- :mod:`collapse_lib.montecarlo` means, standard errors and z-scores for check cells
- :mod:`collapse_lib.data`      starting data (English word frequencies, Zipf laws, English prose)
- :mod:`collapse_lib.plotting`  the book's figure style
- :mod:`collapse_lib.widgets`   interactive explorers and their timing

Every random function takes a keyword ``rng``: a ``numpy.random.Generator``, an int
seed, or None.
"""

__version__ = "0.1.0"
