"""Generate the project's own benchmark data sets into ``benchmarks/data/`` (deterministic, seeded; not committed).

    python benchmarks/make_data.py [--out benchmarks/data]

- ``friedman.csv``: Friedman #1 regression (10 inputs, 5 of them noise), 3,000 rows.
- ``loans.csv``: a loan-default table with numbers, categories, missing values, an ID column and ~18% positives.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_friedman1

SEED = 7


def friedman() -> pd.DataFrame:
    """Friedman #1: y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise; x6..x10 are noise."""
    X, y = make_friedman1(n_samples=3000, n_features=10, noise=1.0, random_state=SEED)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, 11)]).round(5)
    frame["y"] = np.round(y, 4)
    return frame


def loans() -> pd.DataFrame:
    """Default risk from income, debt, age, term, purpose and region; ~18% defaults, some values missing."""
    rng = np.random.default_rng(SEED)
    n = 4000
    income = rng.lognormal(10.6, 0.45, n).round(-2)
    debt_ratio = rng.beta(2, 5, n).round(3)
    age = rng.integers(21, 75, n)
    term = rng.choice([12, 24, 36, 60], n, p=[0.2, 0.3, 0.3, 0.2])
    purpose = rng.choice(["car", "home", "education", "business", "travel"], n, p=[0.3, 0.3, 0.15, 0.15, 0.1])
    region = rng.choice(["north", "south", "east", "west"], n)
    late_payments = rng.poisson(0.6, n)
    risk = (-3.4 + 4.2 * debt_ratio - 0.9 * (np.log(income) - 10.6) + 0.55 * late_payments + 0.012 * (term - 36)
            + np.select([purpose == "business", purpose == "travel"], [0.9, 0.6], 0.0) - 0.01 * (age - 45))
    default = rng.random(n) < 1 / (1 + np.exp(-risk))
    frame = pd.DataFrame({"loan_id": np.arange(100000, 100000 + n), "income": income, "debt_ratio": debt_ratio,
                          "age": age, "term_months": term, "purpose": purpose, "region": region,
                          "late_payments": late_payments, "default": np.where(default, "yes", "no")})
    for col, share in (("income", 0.05), ("purpose", 0.03)):
        frame.loc[rng.random(n) < share, col] = np.nan
    return frame


DATASETS = {"friedman.csv": friedman, "loans.csv": loans}


def ensure(out: Path) -> list[Path]:
    """Write every data set that is missing from ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in DATASETS.items():
        path = out / name
        if not path.exists():
            make().to_csv(path, index=False)
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    for written in ensure(parser.parse_args().out):
        print(written)
