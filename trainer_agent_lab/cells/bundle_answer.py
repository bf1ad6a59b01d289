"""The app must answer the sample request as the trained model did (labels exactly, numbers within 1e-4)."""

# %% [context]
import json

import numpy as np

from .context import BUNDLE_DIR, TASK, answer

# %% A last check: the app answers sample_request.json as the trained model does.
sample_response = json.loads((BUNDLE_DIR / "sample_response.json").read_text())
if TASK == "classification":
    bundle_check = answer.json()["predictions"] == sample_response["predictions"]
else:
    bundle_check = bool(np.allclose(answer.json()["predictions"], sample_response["predictions"], rtol=1e-4))
print("the app answers sample_request.json as the trained model does:", bundle_check)
