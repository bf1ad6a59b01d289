"""Train the grounding network within the time budget (L1 + GIoU on the box, cross-entropy over the cells)."""
# ruff: noqa: E402  (as in the notebook: a cell's parameters come first, its imports after them)

# %% [context]
import math

import numpy as np
import plotly.graph_objects as go
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from .context import (
    VOCAB,
    WIDTH,
    GroundingNet,
    X_train,
    X_val,
    Y_train,
    Y_val,
    _report,
    box_iou,
    count_parameters,
    giou_loss,
    predict_boxes,
)

# %% [parameters]
TIME_BUDGET_S = 120.0
STEPS = None
BATCH = 64
PEAK_LR = 3e-3
WEIGHT_DECAY = 1e-4
PARAM_LIMIT = None

# %% Build the network to train, and how a training batch is made: random left-right flips of the image and its box
# that swap "left" and "right" in the query.
import copy
import os
import time

# torch's threads fight over a busy machine's cores (a step then takes several times longer): one thread when
# the machine is already loaded, every core otherwise.
cores = os.cpu_count() or 1
torch.set_num_threads(1 if os.getloadavg()[0] >= cores - 0.5 else cores)
model = GroundingNet(WIDTH, len(VOCAB), int(X_train["pixels"].shape[-1]))
N_PARAMETERS = count_parameters(model)
if PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT:
    raise ValueError(f"{N_PARAMETERS:,} parameters is over the limit of {PARAM_LIMIT:,}")
side, grid = model.side, model.grid
swap = np.arange(len(VOCAB))
for a, b in (("left", "right"), ("左", "右")):
    if a in VOCAB and b in VOCAB:
        swap[VOCAB[a]], swap[VOCAB[b]] = VOCAB[b], VOCAB[a]
rng = np.random.default_rng(0)


def training_batch(rows):
    """Pixels, token ids and boxes of training rows, half of them flipped left to right (queries too)."""
    pixels, tokens, boxes = X_train["pixels"][rows].copy(), X_train["tokens"][rows].copy(), Y_train[rows].copy()
    flip = rng.random(len(rows)) < 0.5
    pixels[flip] = pixels[flip][..., ::-1]
    tokens[flip] = swap[tokens[flip]]
    boxes[flip] = np.stack([side - boxes[flip, 2], boxes[flip, 1], side - boxes[flip, 0], boxes[flip, 3]], 1)
    return torch.from_numpy(np.ascontiguousarray(pixels)), torch.from_numpy(tokens), torch.from_numpy(boxes)


# %% Train the network: AdamW with a warm-up and a cosine decay over STEPS steps (estimated from the speed of the
# first steps so that training ends within TIME_BUDGET_S; pass STEPS to re-train the same number), and a check on the
# validation queries after every epoch that keeps the best network. Loss: cross-entropy over the grid cells (the
# cell holding the box's centre) + L1 + GIoU on that cell's box.
optimiser = torch.optim.AdamW(model.parameters(), lr=PEAK_LR, weight_decay=WEIGHT_DECAY)
history, best = [], {"acc_iou50": -1.0}
started, steps_done, total = time.perf_counter(), 0, STEPS or 10**9
per_epoch = max(1, math.ceil(len(X_train) / BATCH))
bar = tqdm(total=None if STEPS is None else STEPS, desc="training", unit="step")
while steps_done < total and time.perf_counter() - started < 1.1 * TIME_BUDGET_S:
    model.train()
    order, losses = rng.permutation(len(X_train)), []
    for start in range(0, len(order), BATCH):
        rows = order[start:start + BATCH]
        pixels, tokens, true = training_batch(rows)
        centre = ((true[:, :2] + true[:, 2:]) / 2 / (side / grid)).long().clamp(0, grid - 1)
        target = centre[:, 1] * grid + centre[:, 0]
        scores, cells = model(pixels, tokens)
        pred = cells[torch.arange(len(rows)), target]
        loss = F.cross_entropy(scores, target) + 5 * F.l1_loss(pred / side, true / side) + 2 * giou_loss(pred, true)
        lr = PEAK_LR * min(1.0, (steps_done + 1) / 50) * 0.5 * (1 + math.cos(math.pi * min(1.0, steps_done / total)))
        for group in optimiser.param_groups:
            group["lr"] = lr
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
        steps_done += 1
        bar.update(1)
        if STEPS is None and steps_done == 20:  # the speed of the first steps sets the schedule's length
            total = max(40, int(TIME_BUDGET_S / ((time.perf_counter() - started) / 20)))
            bar.total = total
            bar.refresh()
        if steps_done >= total:
            break
    val_boxes, _ = predict_boxes(model, X_val)
    iou = box_iou(val_boxes, Y_val)
    history.append({"epoch": len(history) + 1, "step": steps_done, "loss": float(np.mean(losses)),
                    "val_acc_iou50": float(np.mean(iou >= 0.5)), "val_mean_iou": float(iou.mean()),
                    "seconds": round(time.perf_counter() - started, 1)})
    bar.set_postfix(loss=f"{history[-1]['loss']:.3f}", val_acc=f"{history[-1]['val_acc_iou50']:.3f}")
    if STEPS is None:  # the schedule's length follows the measured speed, so training ends within the budget
        total = max(steps_done + 1, int(steps_done * TIME_BUDGET_S / (time.perf_counter() - started)))
        bar.total = total
    if history[-1]["val_acc_iou50"] > best["acc_iou50"]:
        best = {"acc_iou50": history[-1]["val_acc_iou50"], "epoch": len(history),
                "state": copy.deepcopy(model.state_dict())}
bar.close()
model.load_state_dict(best["state"])
model.eval()
train_s = time.perf_counter() - started

# %% Learning curves: the training loss and the validation Acc@0.5 and mean IoU after each epoch (the network kept
# is the one of the best validation Acc@0.5).
fig = go.Figure()
fig.add_trace(go.Scatter(x=[h["epoch"] for h in history], y=[h["loss"] for h in history], name="training loss"))
fig.add_trace(go.Scatter(x=[h["epoch"] for h in history], y=[h["val_acc_iou50"] for h in history],
                         name="validation Acc@0.5", yaxis="y2"))
fig.add_trace(go.Scatter(x=[h["epoch"] for h in history], y=[h["val_mean_iou"] for h in history],
                         name="validation mean IoU", yaxis="y2"))
fig.update_layout(title="Learning curves", xaxis_title="epoch", yaxis_title="loss", height=380,
                  yaxis2={"title": "validation", "overlaying": "y", "side": "right", "range": [0, 1]})
fig.show()
PARAMS = {"family": "cnn_gru_film_grid", "width": WIDTH, "steps": steps_done, "batch": BATCH, "peak_lr": PEAK_LR,
          "best_epoch": best["epoch"], "vocabulary": len(VOCAB)}
TASK, TARGET, CLASSES, POS_LABEL, THRESHOLD = "grounding", "box", None, None, None
print(f"{N_PARAMETERS:,} parameters, {steps_done} steps ({len(history)} epochs of {per_epoch} steps) in "
      f"{train_s:.0f} s; best validation Acc@0.5 {best['acc_iou50']:.3f} at epoch {best['epoch']}")
_report(family=PARAMS["family"], parameters=N_PARAMETERS, params=PARAMS, history=history, train_s=train_s,
        cv_metrics={"acc_iou50": best["acc_iou50"]})
