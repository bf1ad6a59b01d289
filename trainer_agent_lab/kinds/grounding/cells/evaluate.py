"""Evaluate the grounding network on the test queries: Acc@0.5, mean IoU, by kind of query; hits and misses."""

# %% [context]
import numpy as np
from IPython.display import display

from .context import IMAGES, Q_test, X_test, Y_test, _report, box_iou, model, predict_boxes, show_boxes, with_boxes

# %% Score the network once on the test queries (images it never saw): Acc@0.5 is the share of queries whose box
# overlaps the true one with IoU >= 0.5 (the standard grounding metric), mean IoU the average overlap; both for every
# kind of query too.
test_boxes, test_scores = predict_boxes(model, X_test)
test_iou = box_iou(test_boxes, Y_test)
METRICS = {"acc_iou50": float(np.mean(test_iou >= 0.5)), "mean_iou": float(np.mean(test_iou))}
results = Q_test.assign(iou=test_iou, hit=test_iou >= 0.5, score=test_scores)
by_type = results.groupby("type").agg(queries=("hit", "size"), acc_iou50=("hit", "mean"), mean_iou=("iou", "mean"))
display(by_type.sort_values("acc_iou50").style.format({"acc_iou50": "{:.3f}", "mean_iou": "{:.3f}"}))
print(f"Test Acc@0.5 {METRICS['acc_iou50']:.4f}, mean IoU {METRICS['mean_iou']:.4f} on {len(results):,} queries")

# %% Pictures of hits and misses: the true box in green, the network's in red (with the IoU of the two).
TRUE_COLOUR, PREDICTED_COLOUR = (0, 255, 0), (255, 40, 40)
for hit, title in ((True, "Hits"), (False, "Misses")):
    chosen = results[results["hit"] == hit].sample(min(12, int((results["hit"] == hit).sum())), random_state=0)
    if chosen.empty:
        print(f"No {title.lower()} on the test queries.")
        continue
    show_boxes([with_boxes(IMAGES[r.image], [(r.x0, r.y0, r.x1, r.y1), test_boxes[i]], [TRUE_COLOUR, PREDICTED_COLOUR])
                for i, r in zip(chosen.index, chosen.itertuples(), strict=True)],
               [f"{q} ({iou:.2f})" for q, iou in zip(chosen["query"], chosen["iou"], strict=True)],
               f"{title} on the test queries: true box green, predicted red (IoU)")
per_type = {str(k): {"queries": int(v["queries"]), "acc_iou50": float(v["acc_iou50"]), "mean_iou": float(v["mean_iou"])}
            for k, v in by_type.iterrows()}
_report(metrics=METRICS, by_type=per_type, misses=int((~results["hit"]).sum()),
        mean_score=float(np.mean(test_scores)))
