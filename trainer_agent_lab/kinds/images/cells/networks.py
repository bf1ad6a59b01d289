"""The Model agent's toolkit for images: the zoo's networks, predictions and metrics, and the training loop."""

# %% [context]
import math
import time

import numpy as np
import pandas as pd
import torch

from .context import (
    CLASSES,
    FIT_ROWS,
    IMAGE_SHAPE,
    PIXEL_MEAN,
    PIXEL_STD,
    POS_LABEL,
    SEED,
    X_train,
    augment,
    y_train,
)

# isort: split
# %% The networks of the image zoo (parameter counts as the model zoo documents them), each
# normalising raw pixels inside itself so that the exported model takes what a client sends.
import copy

from sklearn import metrics as skm
from torch import nn
from tqdm.auto import tqdm

N_CLASSES = len(CLASSES)


class Normalise(nn.Module):
    """(pixels - mean) / std per channel: fixed buffers, so the exported model takes raw pixels."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


def make_network(family, width):
    """The zoo's networks (parameter counts documented in the model zoo), seeded."""
    torch.manual_seed(SEED)
    channels, height, wide = IMAGE_SHAPE
    if family == "cnn":
        layers, c_in = [], channels
        for stage in range(2 if min(height, wide) <= 16 else 3):
            c_out = width * 2**stage
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                       nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
                       nn.MaxPool2d(2)]
            c_in = c_out
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(c_in, N_CLASSES)]
    elif family == "mlp":
        half = max(width // 2, 1)
        layers = [nn.Flatten(), nn.Linear(channels * height * wide, width), nn.ReLU(), nn.Dropout(0.2),
                  nn.Linear(width, half), nn.ReLU(), nn.Linear(half, N_CLASSES)]
    else:
        raise ValueError(f"unknown image family {family}")
    return nn.Sequential(Normalise(PIXEL_MEAN, PIXEL_STD), *layers)


def count_parameters(net):
    return int(sum(p.numel() for p in net.parameters()))


# %% [parameters]
WEIGHT_DECAY = 5e-4

# %% Predictions and metrics: class probabilities of raw-pixel images, and the metrics the tabular
# evaluate cell reports (so that image and tabular runs are judged alike).

def predict_proba(net, images, batch=512):
    """Class probabilities for raw-pixel images (float64)."""
    net.eval()
    with torch.no_grad():
        parts = [torch.softmax(net(torch.from_numpy(images[i:i + batch])), 1).numpy()
                 for i in range(0, len(images), batch)]
    proba = np.concatenate(parts).astype(np.float64)
    return proba / proba.sum(axis=1, keepdims=True)  # exactly 1 per row in float64


def compute_metrics(y_true, proba):
    """The tabular evaluate cell's metrics: accuracy, precision, recall, F1 (macro for many classes), ROC AUC."""
    pred = proba.argmax(axis=1)
    if N_CLASSES == 2:
        return {"accuracy": skm.accuracy_score(y_true, pred),
                "precision": skm.precision_score(y_true, pred, pos_label=POS_LABEL, zero_division=0),
                "recall": skm.recall_score(y_true, pred, pos_label=POS_LABEL, zero_division=0),
                "f1": skm.f1_score(y_true, pred, pos_label=POS_LABEL, zero_division=0),
                "roc_auc": skm.roc_auc_score(y_true == POS_LABEL, proba[:, POS_LABEL])}
    return {"accuracy": skm.accuracy_score(y_true, pred),
            "precision": skm.precision_score(y_true, pred, average="macro", zero_division=0),
            "recall": skm.recall_score(y_true, pred, average="macro", zero_division=0),
            "f1": skm.f1_score(y_true, pred, average="macro", zero_division=0),
            "roc_auc": skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=range(N_CLASSES))
            if len(np.unique(y_true)) == N_CLASSES else float("nan")}


# %% The training loop: AdamW with a one-cycle schedule on augmented batches, keeping the epoch
# that validates best and stopping early when validation stops improving or time runs out.

def train_network(family, width, lr, epochs, rows, batch_size, val_rows=None, patience=None, time_limit=None,
                  stop_after=None, desc="train"):
    """AdamW with a one-cycle learning-rate schedule over `epochs`, augmented batches of X_train[rows]. With
    `val_rows`: keep the epoch with the best validation accuracy, and stop after `patience` epochs without a
    gain. With `time_limit`: stop before an epoch that would end past it. With `stop_after`: stop after that epoch
    (so a pinned run repeats a search run exactly). Returns (net, history, best epoch)."""
    net = make_network(family, width)
    generator = torch.Generator().manual_seed(SEED)
    images, labels = torch.from_numpy(X_train[rows]), torch.from_numpy(y_train[rows]).long()
    steps = math.ceil(len(rows) / batch_size)
    optimiser = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=epochs * steps, pct_start=0.25)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    history, best_key, best_state, best_epoch, began = [], None, None, 0, time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=desc, unit="epoch")
    for epoch in bar:
        net.train()
        total, order = 0.0, torch.randperm(len(rows), generator=generator)
        for start in range(0, len(rows), batch_size):
            pick = order[start:start + batch_size]
            loss = loss_fn(net(augment(images[pick], generator)), labels[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(pick)
        row = {"epoch": epoch, "train_loss": total / len(rows), "seconds": time.perf_counter() - began}
        if val_rows is not None:
            proba = predict_proba(net, X_train[val_rows])
            row["val_loss"] = float(skm.log_loss(y_train[val_rows], proba, labels=range(N_CLASSES)))
            row["val_accuracy"] = float((proba.argmax(axis=1) == y_train[val_rows]).mean())
            if best_key is None or (row["val_accuracy"], -row["val_loss"]) > best_key:
                best_key, best_epoch = (row["val_accuracy"], -row["val_loss"]), epoch
                best_state = copy.deepcopy(net.state_dict())
            bar.set_postfix(val_accuracy=f"{row['val_accuracy']:.4f}", loss=f"{row['train_loss']:.3f}")
        history.append(row)
        if (patience and val_rows is not None and epoch - best_epoch >= patience) or epoch == stop_after:
            break
        if time_limit is not None and row["seconds"] * (epoch + 1) / epoch > time_limit:
            break
    bar.close()
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return net, pd.DataFrame(history), best_epoch or len(history)


# %% [hidden] How long one training epoch takes, timed on a few batches: the search sizes each
# candidate's epochs to its share of the time budget with it.
def epoch_seconds(family, width, batch_size):
    """Seconds one training epoch (and its validation pass) takes, timed on a few batches."""
    net, generator = make_network(family, width), torch.Generator().manual_seed(SEED)
    optimiser = torch.optim.AdamW(net.parameters(), lr=1e-3)
    batches = min(4, math.ceil(len(FIT_ROWS) / batch_size))
    for b in range(-1, batches):  # batch -1: a warm-up, not timed
        if b == 0:
            began = time.perf_counter()
        pick = FIT_ROWS[max(b, 0) * batch_size:(max(b, 0) + 1) * batch_size]
        loss = nn.functional.cross_entropy(net(augment(torch.from_numpy(X_train[pick]), generator)),
                                           torch.from_numpy(y_train[pick]).long())
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    per_batch = (time.perf_counter() - began) / batches
    return per_batch * math.ceil(len(FIT_ROWS) / batch_size) * 1.15
