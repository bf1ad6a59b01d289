"""The benchmark harness behind ``make bench``: the agents side by side with AutoML and scikit-learn baselines.

Modules (``common`` and ``automl`` also run inside ``benchmarks/.venv-automl``, so they use only numpy,
pandas and scikit-learn at import time):

- ``common``: the split files every system reads, metrics, parameter counting, single-row latency.
- ``splits``: where a task's split comes from (the agents' ``split/`` folder, else a documented seeded split).
- ``sklearn_baselines``: plain scikit-learn models with defaults.
- ``automl``: FLAML and AutoGluon, run as a subprocess of the AutoML environment.
- ``scoring``: the stated constraints, who met them, ratios to the best baseline, the tables.
"""
