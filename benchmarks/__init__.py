"""symc's benchmark harness: symc side by side with NumPy, numexpr, Numba, PyTensor and JAX.

Run ``python -m benchmarks`` (full sizes) or ``python -m benchmarks --quick``; the tables
go to stdout and ``profiles/BENCHMARKS.md``, the raw data to ``profiles/benchmarks.json``,
plots to ``profiles/*.png``. Layout: ``timer`` (interleaved timing) → ``peers`` and
``array_peers`` (what is compared) → ``comparison`` (build, warm up, check, time) → one
module per workload (``workloads`` lists them) → ``report``, ``plots``, ``machine`` → ``cli``.
"""
