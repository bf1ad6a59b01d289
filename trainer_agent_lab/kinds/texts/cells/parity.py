"""Check the bundle end to end on the raw test strings: its own preprocessing and ONNX give the student's answers."""

# %% [context]
import numpy as np
from sklearn.metrics import accuracy_score

from ....cells.context import INT8_PATH, ONNX_PATH, _report, onnx_session, to_onnx_feed
from .context import X_test, model, normalize_text, y_test


# %% Check the bundle end to end on the raw test strings: its own preprocessing (the same features the student
# computed) and the ONNX model (and the int8 one) must give the trained student's answers.
def parity_with_model(path):
    """Raw test strings through the bundle's preprocessing and ONNX model, against the trained student."""
    onnx_proba = onnx_session(path).run(None, to_onnx_feed(X_test))[-1]
    onnx_proba = np.asarray(onnx_proba, dtype=np.float64)
    return {"rows": int(len(X_test)), "label_agreement": float((onnx_proba.argmax(1) == reference.argmax(1)).mean()),
            "max_prob_diff": float(np.abs(onnx_proba - reference).max())}, onnx_proba


reference = model.predict_proba(list(X_test))
bundled = to_onnx_feed(X_test[:200])
trained = model.features([normalize_text(t) for t in X_test[:200]])
if model.family == "small_transformer":  # the same token ids, exactly
    feature_diff = float(max(np.abs(bundled["input_ids"] - trained[0]).max(),
                             np.abs(bundled["attention_mask"] - trained[1]).max()))
else:
    feature_diff = float(np.abs(bundled["features"] - trained.toarray()).max())
PARITY, _ = parity_with_model(ONNX_PATH)
PARITY["max_feature_diff"] = feature_diff
parity_int8, int8_metrics = None, None
if INT8_PATH is not None:
    parity_int8, int8_proba = parity_with_model(INT8_PATH)
    int8_metrics = {"accuracy": float(accuracy_score(y_test, int8_proba.argmax(1)))}
print(f"raw strings -> bundle preprocessing -> ONNX: {PARITY['label_agreement']:.2%} the same answers, largest "
      f"probability difference {PARITY['max_prob_diff']:.2g}, largest feature difference {feature_diff:.2g}")
_report(parity=PARITY, parity_int8=parity_int8, int8_metrics=int8_metrics)
