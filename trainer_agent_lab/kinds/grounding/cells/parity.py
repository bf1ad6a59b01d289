"""Check the ONNX model gives the trained network's boxes on the test queries, and score it."""

# %% [context]
import numpy as np
import pandas as pd

from .context import ONNX_PATH, X_test, Y_test, _report, box_iou, model, onnx_session, predict_boxes, to_onnx_feed


# %% Check the ONNX model gives the trained network's boxes and scores on the test queries (the same box: IoU of at
# least 0.99 with the network's), and score it as the network was scored.
def onnx_boxes(session, items, batch=256):
    """(boxes [N, 4], scores [N]) from an ONNX session."""
    parts = [session.run(None, to_onnx_feed(items[i:i + batch])) for i in range(0, len(items), batch)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


ref_boxes, ref_scores = predict_boxes(model, X_test)
got_boxes, got_scores = onnx_boxes(onnx_session(ONNX_PATH), X_test)
same = box_iou(got_boxes, ref_boxes) >= 0.99
PARITY = {"rows": int(len(X_test)), "label_agreement": float(np.mean(same)),
          "max_abs_diff": float(np.max(np.abs(got_boxes - ref_boxes))),
          "max_score_diff": float(np.max(np.abs(got_scores - ref_scores)))}
onnx_iou = box_iou(got_boxes, Y_test)
onnx_metrics = {"acc_iou50": float(np.mean(onnx_iou >= 0.5)), "mean_iou": float(np.mean(onnx_iou))}
parity_int8, int8_metrics = None, None
torch_iou = box_iou(ref_boxes, Y_test)
print(pd.DataFrame({"model.onnx": {**PARITY, **onnx_metrics},
                    "torch model": {"acc_iou50": float(np.mean(torch_iou >= 0.5)),
                                    "mean_iou": float(torch_iou.mean())}}).T.to_string(
    float_format=lambda v: f"{v:.6g}"))
_report(parity=PARITY, parity_int8=None, onnx_metrics=onnx_metrics, int8_metrics=None)
