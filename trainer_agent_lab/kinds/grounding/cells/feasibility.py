"""Is grounding feasible here? The training queries there are, and what a query-blind guess scores."""

# %% [context]
import numpy as np

from .context import X_train, Y_train, Y_val, _report, box_iou

# %% [parameters]
MIN_TRAIN = 50

# %% Before training: are there queries enough to learn from, and what does a guess that ignores the image and the
# query (the mean training box) score on the validation queries? That is the floor a network must clear.
mean_box = np.repeat(Y_train.mean(axis=0, keepdims=True), len(Y_val), axis=0)
chance_iou = box_iou(mean_box, Y_val)
chance = {"acc_iou50": float(np.mean(chance_iou >= 0.5)), "mean_iou": float(chance_iou.mean())}
enough = len(X_train) >= MIN_TRAIN
print(f"{len(X_train):,} training queries (at least {MIN_TRAIN} needed); the mean box scores Acc@0.5 "
      f"{chance['acc_iou50']:.3f}, mean IoU {chance['mean_iou']:.3f} on the validation queries")
_report(n_train=len(X_train), enough=enough, min_train=MIN_TRAIN, chance=chance)
