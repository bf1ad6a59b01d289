"""Check the ONNX models give the trained pipeline's predictions on the test split, and score them."""

# %% [context]
import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ....cells.context import INT8_PATH, ONNX_PATH, _report, onnx_session, to_onnx_feed
from .context import POS_LABEL, TASK, THRESHOLD, X_test, model, y_test

# %% Check the ONNX model (and the int8 one) gives the trained pipeline's predictions on the test set: how each
# predicts, from class probabilities (the decision threshold applied as in training) or values.
PROBA_CODES = np.asarray(model.classes_) if TASK == "classification" else None


def labels_from_proba(proba):
    """Class codes from probabilities: the threshold on POS_LABEL for binary tasks, else the argmax."""
    proba = np.asarray(proba, dtype=np.float64)
    if THRESHOLD is not None and POS_LABEL is not None and proba.shape[1] == 2:
        pos = int(np.flatnonzero(PROBA_CODES == POS_LABEL)[0])
        return np.where(proba[:, pos] >= THRESHOLD, PROBA_CODES[pos], PROBA_CODES[1 - pos])
    return PROBA_CODES[proba.argmax(axis=1)]


def onnx_predict(session, frame):
    """(class codes or values, probabilities or None) from an ONNX session."""
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, to_onnx_feed(frame)), strict=True))
    if TASK == "classification":
        proba = np.asarray(outputs.get("probabilities", list(outputs.values())[-1]), dtype=np.float64)
        return labels_from_proba(proba), proba
    return np.asarray(list(outputs.values())[0], dtype=np.float64).ravel(), None


def model_predict(frame):
    """(class codes or values, probabilities or None) from the trained scikit-learn pipeline."""
    if TASK == "classification":
        proba = model.predict_proba(frame)
        return labels_from_proba(proba), proba
    return np.asarray(model.predict(frame), dtype=np.float64).ravel(), None


# %% Compare each ONNX file with the trained pipeline on every test row, and score all of them with the test metric
# the Model agent reported (accuracy for classification, r2 for regression).
def parity_with_model(path):
    """How closely the ONNX file at ``path`` reproduces ``model`` on X_test."""
    got, got_proba = onnx_predict(onnx_session(path), X_test)
    result = {"rows": int(len(X_test))}
    if TASK == "classification":
        result["label_agreement"] = float(np.mean(got == ref))
        result["max_prob_diff"] = float(np.max(np.abs(got_proba - ref_proba)))
    else:
        diff = np.abs(got - ref)
        # within 1e-4 relative to the value, or 1e-4 absolute for values smaller than 1
        result["label_agreement"] = float(np.mean(diff <= 1e-4 * np.maximum(np.abs(ref), 1.0)))
        result["max_abs_diff"] = float(diff.max())
        result["max_rel_diff"] = float(np.max(diff / np.maximum(np.abs(ref), 1e-6)))
    return result, got


def score_on_test(predictions):
    """The test metric the Model agent reported: accuracy for classification, r2 for regression."""
    if TASK == "classification":
        return {"accuracy": float(skm.accuracy_score(y_test, predictions))}
    return {"r2": float(skm.r2_score(y_test, predictions))}


ref, ref_proba = model_predict(X_test)
PARITY, onnx_pred = parity_with_model(ONNX_PATH)
parity_int8, int8_metrics = None, None
parity_table = {"model.onnx": {**PARITY, **score_on_test(onnx_pred)}}
if INT8_PATH is not None and INT8_PATH.exists():
    parity_int8, int8_pred = parity_with_model(INT8_PATH)
    int8_metrics = score_on_test(int8_pred)
    parity_table["model.int8.onnx"] = {**parity_int8, **int8_metrics}
parity_table["scikit-learn model"] = score_on_test(ref)
print(pd.DataFrame(parity_table).T.to_string(float_format=lambda v: f"{v:.6g}"))
if PARITY["label_agreement"] < 0.999:
    print("ONNX disagrees with the model on some test rows. A common cause: trees behind a StandardScaler "
          "(scikit-learn scales in float64, ONNX in float32, so values lying on a split move sides); trees "
          "need no scaling, so train them without it.")
_report(parity=PARITY, parity_int8=parity_int8, onnx_metrics=score_on_test(onnx_pred),
        int8_metrics=int8_metrics)
