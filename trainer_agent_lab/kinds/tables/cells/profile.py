"""Profile the data before any change: types, missing values, the target's distribution."""

# %% [context]
import numpy as np
import pandas as pd
import plotly.express as px
from IPython.display import Markdown, display

from .context import SEED, _report, df

# %% [parameters]
TARGET = "target"
TASK = "classification"
PROFILE_COLUMNS = 40
LARGE_TABLE_CELLS = 1_000_000
PROFILE_ROWS = 50_000

# %% Profile the data: types, missing values and the target's distribution, before any change. A wide table
# shows at most PROFILE_COLUMNS columns in each table and plot (the target, those with the most missing values,
# then the first ones) and says how many it left out. A large one (over LARGE_TABLE_CELLS cells) has its plots and
# correlations computed on a seeded sample of PROFILE_ROWS rows; its counts (missing and unique values, duplicates,
# classes, the target's statistics) are over all rows, one pass each.
say = []
profiled = df
if df.size > LARGE_TABLE_CELLS and len(df) > PROFILE_ROWS:
    profiled = df.sample(PROFILE_ROWS, random_state=SEED).sort_index()
    say.append(f"Profiled on a sample of {len(profiled):,} of {len(df):,} rows (seeded; the table has {df.size:,} "
               f"cells, above {LARGE_TABLE_CELLS:,}): the plots and correlations come from the sample, the counts "
               "(missing and unique values, duplicates, classes) from all rows.")
    display(Markdown(f"**Large table.** {say[-1]}"))
missing = df.isna().sum()
chosen = set(list(dict.fromkeys([TARGET, *missing[missing > 0].sort_values(ascending=False, kind="stable").index,
                                  *df.columns]))[:PROFILE_COLUMNS])
shown = [c for c in df.columns if c in chosen]  # in the table's own order
profile = pd.DataFrame({
    "dtype": df[shown].dtypes.astype(str),
    "missing": missing[shown],
    "missing %": (100 * missing[shown] / max(len(df), 1)).round(1),
    "unique": df[shown].nunique(),
    "example": df[shown].iloc[0],
})
display(profile)
if len(shown) < df.shape[1]:
    say.append(f"The table has {df.shape[1]:,} columns: the profile shows {len(shown)} of them (the target, those "
               "with the most missing values, then the first ones) in its tables and plots.")
    kinds = df.dtypes.astype(str).value_counts()
    print(say[-1], "Column types over all columns:", ", ".join(f"{n:,} {t}" for t, n in kinds.items()) + ";",
          f"{int((missing > 0).sum()):,} columns have missing values.")
missing = missing[missing > 0]
if len(missing):
    top = missing.sort_values(ascending=False, kind="stable")[:PROFILE_COLUMNS]
    px.bar(x=top.index, y=top.values, labels={"x": "column", "y": "missing values"},
           title="Missing values per column" + (f" (the {len(top)} with the most)" if len(top) < len(missing)
                                                else "")).show()
result = {"duplicates": int(df.duplicated().sum()), "missing": {k: int(v) for k, v in missing.items()}}
target = df[TARGET].dropna()
if TASK == "classification":
    counts = target.astype(str).str.strip().value_counts()
    px.bar(x=counts.index[:PROFILE_COLUMNS], y=counts.values[:PROFILE_COLUMNS], labels={"x": TARGET, "y": "rows"},
           title=f"Class balance of {TARGET}" + (f" (the {PROFILE_COLUMNS} largest of {len(counts):,} classes)"
                                                  if len(counts) > PROFILE_COLUMNS else "")).show()
    result["class_counts"] = {str(k): int(v) for k, v in counts.items()}
else:
    values = pd.to_numeric(target, errors="coerce")
    result["non_numeric_target"] = int(values.isna().sum())
    values = values.dropna()
    px.histogram(values.loc[values.index.intersection(profiled.index)], nbins=50,
                 title=f"Distribution of {TARGET}" + (" (the sample)" if len(profiled) < len(df) else "")).show()
    result["target_stats"] = {k: float(v) for k, v in values.describe().items()}


# %% [hidden] The correlation of each numeric column with the target (not of every pair of columns: a wide table
# has millions of pairs), in one matrix product for the columns without missing values.
def target_correlation(columns, target):
    """Pearson's r of each of ``columns`` with ``target`` over the rows where both have a value."""
    rows = target.notna().to_numpy()
    values, goal = columns.to_numpy(dtype=float)[rows], target.to_numpy(dtype=float)[rows]
    complete = ~np.isnan(values).any(axis=0)
    centred, goal = values[:, complete] - values[:, complete].mean(axis=0), goal - goal.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = centred.T @ goal / np.sqrt((centred ** 2).sum(axis=0) * (goal ** 2).sum())
    corr = pd.Series(r, index=columns.columns[complete])
    if not complete.all():
        corr = pd.concat([corr, columns.loc[:, ~complete].corrwith(target)])
    return corr.dropna()


# %% How each numeric column correlates with the target (the 20 strongest).
numeric = profiled.select_dtypes("number")
if TARGET in numeric and numeric.shape[1] > 2:
    corr = target_correlation(numeric.drop(columns=TARGET), numeric[TARGET]).sort_values(key=abs, ascending=False)
    px.bar(x=corr.index[:20], y=corr.values[:20], labels={"x": "column", "y": "correlation"},
           title=f"Correlation of numeric columns with {TARGET}"
           + (" (the sample)" if len(profiled) < len(df) else "")).show()
_report(**result, say=say)
