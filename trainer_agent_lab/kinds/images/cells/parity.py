"""Check the ONNX models give the trained network's predictions on the test images, and score them."""

# %% [context]
import numpy as np
import pandas as pd

from ....cells.context import INT8_PATH, ONNX_PATH, _report, onnx_session, to_onnx_feed
from .context import CLASSES, X_test, compute_metrics, model, predict_proba, y_test

# %% Check the ONNX model (and the int8 one) gives the trained network's predictions on the test images, and
# score both.
PROBA_CODES = np.arange(len(CLASSES))


def onnx_predict(session, images):
    """(class codes, probabilities) from an ONNX session."""
    proba = np.asarray(session.run(None, to_onnx_feed(images))[0], dtype=np.float64)
    return proba.argmax(axis=1), proba


def model_predict(images):
    """(class codes, probabilities) from the trained torch network."""
    proba = predict_proba(model, images)
    return proba.argmax(axis=1), proba


def parity_with_model(path):
    """How closely the ONNX file at `path` reproduces the torch network on the test images."""
    got, got_proba = onnx_predict(onnx_session(path), X_test)
    return {"rows": int(len(X_test)), "label_agreement": float(np.mean(got == ref)),
            "max_prob_diff": float(np.max(np.abs(got_proba - ref_proba)))}, got, got_proba


ref, ref_proba = model_predict(X_test)
PARITY, onnx_pred, onnx_proba = parity_with_model(ONNX_PATH)
onnx_metrics = {k: float(v) for k, v in compute_metrics(y_test, onnx_proba).items()}
parity_int8, int8_metrics = None, None
parity_table = {"model.onnx": {**PARITY, "accuracy": onnx_metrics["accuracy"]}}
if INT8_PATH is not None and INT8_PATH.exists():
    parity_int8, int8_pred, int8_proba = parity_with_model(INT8_PATH)
    int8_metrics = {k: float(v) for k, v in compute_metrics(y_test, int8_proba).items()}
    parity_table["model.int8.onnx"] = {**parity_int8, "accuracy": int8_metrics["accuracy"]}
parity_table["torch model"] = {"accuracy": float(np.mean(ref == y_test))}
print(pd.DataFrame(parity_table).T.to_string(float_format=lambda v: f"{v:.6g}"))
_report(parity=PARITY, parity_int8=parity_int8, onnx_metrics=onnx_metrics, int8_metrics=int8_metrics)
