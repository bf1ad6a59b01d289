"""Generate the project's own benchmark data sets into ``benchmarks/data/`` (deterministic, seeded; not committed).

    python benchmarks/make_data.py [--out benchmarks/data]

- ``friedman.csv``: Friedman #1 regression (10 inputs, 5 of them noise), 3,000 rows.
- ``loans.csv``: a loan-default table with numbers, categories, missing values, an ID column and ~18% positives.
- ``shells/``, ``grades/``, ``churn_probs/``: competition-style folders (``train.csv``, ``test.csv`` without the
  target, ``sample_submission.csv``) for a whole-number target scored by RMSLE, an ordinal grade (3-8) scored by
  quadratic weighted kappa, and a churn flag scored by log loss; column names with spaces and punctuation.
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


def shells() -> pd.DataFrame:
    """A count to predict (rings, 1-29) from shell measurements: a whole-number, right-skewed target."""
    rng = np.random.default_rng(SEED + 1)
    n = 2400
    sex = rng.choice(["M", "F", "I"], n)
    length = np.clip(rng.normal(0.52, 0.12, n) - 0.08 * (sex == "I"), 0.08, 0.8)
    diameter = (0.8 * length + rng.normal(0, 0.02, n)).clip(0.05)
    weight = (2.2 * length ** 3 * (1 + rng.normal(0, 0.1, n))).clip(0.002)
    rings = np.round(np.exp(0.9 + 2.1 * length + 0.6 * weight + rng.normal(0, 0.18, n))).astype(int).clip(1, 29)
    return pd.DataFrame({"id": np.arange(n), "Sex": sex, "Length (mm)": (length * 200).round(1),
                         "Diameter (mm)": (diameter * 200).round(1), "Whole weight": weight.round(4),
                         "Rings": rings})


def grades() -> pd.DataFrame:
    """An ordinal quality grade (3-8) from measurements: the middle grades common, the extremes rare."""
    rng = np.random.default_rng(SEED + 2)
    n = 2000
    acidity = rng.normal(8.3, 1.6, n).round(2)
    alcohol = rng.normal(10.4, 1.0, n).round(2)
    sulphates = rng.gamma(9, 0.07, n).round(3)
    region = rng.choice(["north", "south", "coast"], n)
    latent = 0.9 * (alcohol - 10.4) + 2.5 * (sulphates - 0.63) - 0.15 * (acidity - 8.3) + 0.3 * (region == "coast")
    quality = np.digitize(latent + rng.normal(0, 0.55, n), [-1.9, -0.9, 0.5, 1.5, 2.4]) + 3
    return pd.DataFrame({"Id": np.arange(1, n + 1), "fixed acidity": acidity, "alcohol %": alcohol,
                         "sulphates": sulphates, "region": region, "quality": quality})


def churn_probs() -> pd.DataFrame:
    """A churn flag (0/1, ~27% positives) scored on probabilities: tenure, charges, contract, support calls."""
    rng = np.random.default_rng(SEED + 3)
    n = 2400
    tenure = rng.integers(1, 72, n)
    monthly = rng.normal(65, 20, n).clip(18).round(2)
    contract = rng.choice(["month-to-month", "one year", "two year"], n, p=[0.55, 0.25, 0.2])
    calls = rng.poisson(1.2, n)
    risk = (-0.6 - 0.045 * (tenure - 30) + 0.02 * (monthly - 65) + 0.45 * calls
            - np.select([contract == "one year", contract == "two year"], [1.0, 2.0], 0.0))
    churned = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    return pd.DataFrame({"customer id": [f"C{i:05d}" for i in range(n)], "tenure (months)": tenure,
                         "Monthly Charges": monthly, "contract type": contract, "support calls": calls,
                         "Churn": churned})


def competition(frame: pd.DataFrame, target: str, answer: object) -> dict[str, pd.DataFrame]:
    """A competition-style folder: train.csv (80%), test.csv without the target, sample_submission.csv (id and the
    target filled with ``answer``); the answers go beside the folder (``NAME-solution.csv``, for grading)."""
    test = frame.sample(frac=0.2, random_state=SEED)
    train = frame.drop(index=test.index)
    ident = frame.columns[0]
    return {"train.csv": train, "test.csv": test.drop(columns=[target]),
            "sample_submission.csv": pd.DataFrame({ident: test[ident], target: answer}),
            "../solution.csv": test[[ident, target]]}


#: Folders of several files: name -> (make, target, the sample submission's placeholder answer).
FOLDERS = {"shells": (shells, "Rings", 10), "grades": (grades, "quality", 5),
           "churn_probs": (churn_probs, "Churn", 0.5)}
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
    for name, (make, target, answer) in FOLDERS.items():
        folder = out / name
        if not (out / f"{name}-solution.csv").exists():
            folder.mkdir(exist_ok=True)
            for file, frame in competition(make(), target, answer).items():
                frame.to_csv(out / f"{name}-solution.csv" if file.startswith("..") else folder / file, index=False)
        paths.append(folder)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    for written in ensure(parser.parse_args().out):
        print(written)
