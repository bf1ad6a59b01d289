"""Write the answer in the competition's form: the sample submission's header (or the columns the request asks for),
the id column copied from the file to predict, class probabilities where the metric scores them, else the prediction."""

# %% [context]
from pathlib import Path

import pandas as pd
from IPython.display import display

from .context import CLASSES, POS_LABEL, _report, predictions

# %% [parameters]
SUBMISSION_FILE = "submission.csv"
SAMPLE_FILE = None
SUBMISSION_COLUMNS = None
PROBABILITIES = False
OUTPUT_COLUMN = "prediction"

# %% Write the answer in the form asked for (`SAMPLE_FILE`'s header, else `SUBMISSION_COLUMNS`), from the predictions
# above, row for row: the id copied over, each class's probability under its name, the prediction under the target's
# (its positive class's probability on a binary target scored on probabilities). Re-run it to write it again.
header = list(SUBMISSION_COLUMNS or pd.read_csv(SAMPLE_FILE, nrows=5, sep=None, engine="python").columns)
probability = {c.removeprefix("probability_"): c for c in predictions.columns if c.startswith("probability_")}
by_key = {str(c).lower(): c for c in predictions.columns}


def answer_column(name):
    """The predictions' column that answers the header's ``name``."""
    if str(name).lower() in by_key and by_key[str(name).lower()] != OUTPUT_COLUMN:
        return predictions[by_key[str(name).lower()]]  # the id, copied over
    if str(name) in probability and (PROBABILITIES or len(header) > 2):
        return predictions[probability[str(name)]]  # a class's probability under its name
    if PROBABILITIES and len(probability) == 2 and CLASSES is not None:
        return predictions[probability[str(CLASSES[POS_LABEL])]]  # binary: the positive class's probability
    if len(header) == 1 or name != header[0]:
        return predictions[OUTPUT_COLUMN]
    raise ValueError(f"The answer's column {name!r} is neither in the file to predict nor a prediction: name the "
                     "id column as the file to predict spells it.")


submission = pd.DataFrame({name: answer_column(name).to_numpy() for name in header})
submission.to_csv(SUBMISSION_FILE, index=False)
print(f"{SUBMISSION_FILE}: {len(submission):,} rows, header {header}"
      + (f" (the form of {Path(SAMPLE_FILE).name})" if SAMPLE_FILE else ""))
display(submission.head())
_report(submission={"path": str(Path(SUBMISSION_FILE).resolve()), "rows": len(submission), "columns": header,
                    "sample": SAMPLE_FILE, "probabilities": bool(PROBABILITIES)})
