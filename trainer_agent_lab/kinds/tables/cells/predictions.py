"""Predict the file the request hands over with the bundle's own ``predict.py``, into ``predictions.csv``."""

# %% [context]
import subprocess
import sys
from pathlib import Path

import pandas as pd
from IPython.display import display

from ....cells.context import BUNDLE_DIR
from .context import _report

# %% [parameters]
PREDICT_FILE = "test.csv"
OUTPUT_COLUMN = "prediction"
KEEP_COLUMNS = None

# %% Predict every row of the file to predict with the bundle's own `predict.py` (the ONNX model, as it is served),
# into `predictions.csv` beside this notebook. Re-run this cell, or run the same command, to predict it again.
command = [sys.executable, str(BUNDLE_DIR / "predict.py"), "--input", PREDICT_FILE, "--output", "predictions.csv",
           "--column", OUTPUT_COLUMN, "--force", "--quiet"]
for column in KEEP_COLUMNS or []:
    command += ["--keep", column]
print(" ".join(command[1:]))
done = subprocess.run(command, capture_output=True, text=True)
if done.returncode != 0:
    raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else
                       f"predict.py stopped with status {done.returncode}.")
predictions = pd.read_csv("predictions.csv")
print(f"predictions.csv: {len(predictions):,} rows, columns {list(predictions.columns)}")
display(predictions.head())
_report(predictions={"path": str(Path("predictions.csv").resolve()), "rows": len(predictions), "column": OUTPUT_COLUMN,
                     "columns": list(predictions.columns)})
