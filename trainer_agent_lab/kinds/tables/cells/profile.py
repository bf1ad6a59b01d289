"""Profile the data before any change: types, missing values, the target's distribution."""

# %% [context]
import pandas as pd
import plotly.express as px
from IPython.display import display

from .context import _report, df

# %% [parameters]
TARGET = "target"
TASK = "classification"

# %% Profile the data: types, missing values and the target's distribution, before any change.
profile = pd.DataFrame({
    "dtype": df.dtypes.astype(str),
    "missing": df.isna().sum(),
    "missing %": (100 * df.isna().mean()).round(1),
    "unique": df.nunique(),
    "example": df.iloc[0],
})
display(profile)
missing = df.isna().sum()
missing = missing[missing > 0]
if len(missing):
    px.bar(x=missing.index, y=missing.values, labels={"x": "column", "y": "missing values"},
           title="Missing values per column").show()
result = {"duplicates": int(df.duplicated().sum()), "missing": {k: int(v) for k, v in missing.items()}}
target = df[TARGET].dropna()
if TASK == "classification":
    counts = target.astype(str).str.strip().value_counts()
    px.bar(x=counts.index, y=counts.values, labels={"x": TARGET, "y": "rows"},
           title=f"Class balance of {TARGET}").show()
    result["class_counts"] = {str(k): int(v) for k, v in counts.items()}
else:
    values = pd.to_numeric(target, errors="coerce")
    result["non_numeric_target"] = int(values.isna().sum())
    values = values.dropna()
    px.histogram(values, nbins=50, title=f"Distribution of {TARGET}").show()
    result["target_stats"] = {k: float(v) for k, v in values.describe().items()}
numeric = df.select_dtypes("number")
if TARGET in numeric and numeric.shape[1] > 2:
    corr = numeric.corr(numeric_only=True)[TARGET].drop(TARGET).sort_values(key=abs, ascending=False)
    px.bar(x=corr.index[:20], y=corr.values[:20], labels={"x": "column", "y": "correlation"},
           title=f"Correlation of numeric columns with {TARGET}").show()
_report(**result)
