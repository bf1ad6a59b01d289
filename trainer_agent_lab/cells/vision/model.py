"""Cells for image models: feasibility probe (Task agent), then search, fit and evaluate (Model agent)."""

from __future__ import annotations

from typing import Any

from ..base import code_cell
from ..signal import SIGNAL_TEST
from .grid import SHOW_GRID

_FEASIBILITY = '''
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import StratifiedKFold, learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def pooled(images, side=16):
    """Images averaged down to at most `side` pixels a side, flattened: a cheap input for linear probes."""
    factor = max(1, math.ceil(max(images.shape[2:]) / side))
    n, c, h, w = images.shape
    h, w = h // factor * factor, w // factor * factor
    small = images[:, :, :h, :w].reshape(n, c, h // factor, factor, w // factor, factor).mean(axis=(3, 5))
    return small.reshape(n, -1) / PIXEL_MAX


rows = min(len(X_train), 1500)
X_probe, y_probe = pooled(X_train[:rows]), y_train[:rows]
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
probe = make_pipeline(StandardScaler(), RidgeClassifier(alpha=10.0))
signal_scoring, chance = signal_metric(y_probe, ranking=False)  # a ridge classifier has no probabilities
folds = cross_val_score(probe, X_probe, y_probe, cv=cv, scoring=signal_scoring)
score, p_value = float(folds.mean()), None
if folds.min() < chance + 0.1:  # borderline: test against shuffled labels
    p_value, _ = permutation_p_value(probe, X_probe, y_probe, cv, signal_scoring, score, PROBE_SECONDS)
no_signal = shows_no_signal(score, chance, p_value)
gates = []
for c in GATED:
    _, _, val = learning_curve(probe, X_probe, y_probe, cv=cv, scoring=c["name"], train_sizes=[0.5, 1.0])
    half, full = val.mean(axis=1)
    # a linear probe on pixels cannot bound what a CNN reaches (on shapes it scores ~0.6 where a small CNN scores
    # 1.0): on images the probe shows the signal, and only a target above 1 is out of reach
    ceiling = 1.0
    gates.append({"name": c["name"], "target": c["value"], "probe": float(full), "at_half_data": float(half),
                  "optimistic_ceiling": float(ceiling), "reachable": bool(c["value"] <= ceiling)})
display(pd.DataFrame([{"probe": "ridge classifier on pooled pixels", signal_scoring: round(score, 4),
                       "chance": round(chance, 4)}]))
if gates:
    display(pd.DataFrame(gates))
print(f"signal: balanced accuracy {score:.3f} vs chance {chance:.3f}"
      + (f", permutation p-value {p_value:.3f}" if p_value is not None else "")
      + (" -> NO SIGNAL" if no_signal else ""))
_report(probe="ridge classifier on pooled pixels", score=score, chance=chance, p_value=p_value,
        no_signal=no_signal, scoring=signal_scoring, gates=gates)
'''


def feasibility_cell(gated: list[dict[str, Any]], probe_seconds: float) -> str:
    """A quick linear probe on pooled pixels: is there signal, and is each metric target in reach?"""
    return code_cell("Check feasibility before training: a linear probe on pooled pixels, a permutation test when "
                     "borderline, and a learning curve against each metric target.", SIGNAL_TEST + _FEASIBILITY,
                     GATED=gated, PROBE_SECONDS=probe_seconds)


_SEARCH = '''
import copy
import time

import torch
from sklearn import metrics as skm
from torch import nn
from tqdm.auto import tqdm

N_CLASSES = len(CLASSES)
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc"}


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


def meets_targets(values):
    """Whether validation metrics beat every metric target by MARGIN."""
    return all(values[c["name"]] >= c["value"] + MARGIN if c["op"].startswith(">") else
               values[c["name"]] <= c["value"] - MARGIN for c in METRIC_CONSTRAINTS if c["name"] in values)


# small data sets get smaller batches, so that every epoch still takes ~20 optimiser steps
BATCH = int(np.clip(len(FIT_ROWS) // 20, 16, MAX_BATCH))
started = time.perf_counter()
runs, histories, TRAINED = [], {}, {}  # TRAINED: the validated networks, by their pinned configuration
for i, candidate in enumerate(CANDIDATES):
    left = TIME_BUDGET_S - (time.perf_counter() - started)
    share = left if i == len(CANDIDATES) - 1 else left * SHARES.get(candidate["family"], 0.5)
    per_epoch = epoch_seconds(candidate["family"], candidate["width"], BATCH)
    epochs = int(min(MAX_EPOCHS, share / per_epoch))
    if epochs < MIN_EPOCHS:
        print(f"{candidate['family']}: skipped, {MIN_EPOCHS} epochs of {per_epoch:.1f} s do not fit in {share:.0f} s")
        continue
    net, history, best_epoch = train_network(
        candidate["family"], candidate["width"], candidate["lr"], epochs, FIT_ROWS, BATCH, VAL_ROWS,
        patience=max(6, epochs // 4), time_limit=share, desc=f"{candidate['family']} (width {candidate['width']})")
    values = {k: float(v) for k, v in compute_metrics(y_train[VAL_ROWS], predict_proba(net, X_train[VAL_ROWS])).items()}
    histories[candidate["family"]] = history
    params = {"family": candidate["family"], "width": candidate["width"], "lr": candidate["lr"], "epochs": epochs,
              "stop_after": int(len(history)), "best_epoch": int(best_epoch), "batch_size": BATCH}
    TRAINED[json.dumps(params, sort_keys=True)] = net
    runs.append({"params": params,
                 "val_metrics": values, "parameters": count_parameters(net), "epochs_run": int(len(history)),
                 "epoch_seconds": float(history["seconds"].iloc[-1] / len(history)), "meets": meets_targets(values)})
    if runs[-1]["meets"] and METRIC_CONSTRAINTS:
        break  # the targets are met on validation with margin: more families would only spend the budget
if not runs:
    raise TimeoutError(f"No network could train for {MIN_EPOCHS} epochs within {TIME_BUDGET_S:.0f} s: give the run "
                       "a larger time budget (--time-budget).")
key = OBJECTIVE if OBJECTIVE in HIGHER_IS_BETTER else "accuracy"
ranked = sorted(runs, key=lambda r: (r["meets"], r["val_metrics"][key]), reverse=True)
fig = go.Figure()
for family, history in histories.items():
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["val_accuracy"], name=f"{family}: validation accuracy"))
    fig.add_trace(go.Scatter(x=history["epoch"], y=history["train_loss"], name=f"{family}: training loss",
                             yaxis="y2", line={"dash": "dot"}))
fig.update_layout(title="Learning curves of the search (validation split)", xaxis_title="epoch",
                  yaxis={"title": "validation accuracy"},
                  yaxis2={"title": "training loss", "overlaying": "y", "side": "right"})
fig.show()
display(pd.DataFrame([{**r["params"], "parameters": r["parameters"],
                       "s/epoch": round(r["epoch_seconds"], 2), "meets targets": r["meets"],
                       **{f"val {k}": round(v, 4) for k, v in r["val_metrics"].items()}} for r in ranked]))
best = ranked[0]
_report(trials=len(runs), best_family=best["params"]["family"], cv_metrics=best["val_metrics"], cv_meets=best["meets"],
        over_budget=False, ranked=[{"params": r["params"], "threshold": None, "cv_metrics": r["val_metrics"],
                                    "parameters": r["parameters"], "epoch_seconds": r["epoch_seconds"]}
                                   for r in ranked], seconds=time.perf_counter() - started)
'''


def search_cell(*, candidates: list[dict[str, Any]], objective: str, metric_constraints: list[dict[str, Any]],
                time_budget_s: float, margin: float, max_epochs: int = 40, min_epochs: int = 3,
                max_batch: int = 64, weight_decay: float = 5e-4) -> str:
    """Train each candidate network (widest within budget) with early stopping on the validation split."""
    return code_cell(
        "Train the candidate networks (each the widest the parameter budget allows) with early stopping on the "
        "validation split, within the time budget; stop once every target is met.",
        _SEARCH, CANDIDATES=candidates, OBJECTIVE=objective, METRIC_CONSTRAINTS=metric_constraints,
        TIME_BUDGET_S=time_budget_s, MARGIN=margin, MAX_EPOCHS=max_epochs, MIN_EPOCHS=min_epochs,
        SHARES={"cnn": 0.8, "mlp": 0.5}, MAX_BATCH=max_batch, WEIGHT_DECAY=weight_decay)


_FIT = '''
key = json.dumps(PARAMS, sort_keys=True)
if REFIT:  # enough validation images to trust the best epoch count: train on every training image for that long
    ALL_ROWS = np.arange(len(X_train))
    model, fit_history, _ = train_network(PARAMS["family"], PARAMS["width"], PARAMS["lr"], PARAMS["best_epoch"],
                                          ALL_ROWS, PARAMS["batch_size"], desc=f"final {PARAMS['family']}")
    how = f"trained on all {len(ALL_ROWS):,} training images for the {PARAMS['best_epoch']} epochs that validated best"
elif key in TRAINED:  # the network the search just trained: its best validation epoch, nothing to redo
    model, fit_history = TRAINED[key], histories[PARAMS["family"]]
    how = f"kept from the search: the weights of epoch {PARAMS['best_epoch']}, the best on the validation images"
else:  # a re-run in a kernel without that network: train it again, exactly as the search did
    model, fit_history, _ = train_network(PARAMS["family"], PARAMS["width"], PARAMS["lr"], PARAMS["epochs"],
                                          FIT_ROWS, PARAMS["batch_size"], VAL_ROWS, stop_after=PARAMS["stop_after"],
                                          desc=f"{PARAMS['family']} (pinned)")
    how = "trained again from the pinned configuration"
N_PARAMETERS = count_parameters(model)
fig = go.Figure([go.Scatter(x=fit_history["epoch"], y=fit_history["train_loss"], name="training loss", yaxis="y2")])
if "val_accuracy" in fit_history:
    fig.add_trace(go.Scatter(x=fit_history["epoch"], y=fit_history["val_accuracy"], name="validation accuracy"))
    fig.add_vline(x=PARAMS["best_epoch"], line_dash="dash", annotation_text="kept")
fig.update_layout(title=f"Learning curves of the {PARAMS['family']} kept (epoch {PARAMS['best_epoch']})",
                  xaxis_title="epoch", yaxis={"title": "validation accuracy"},
                  yaxis2={"title": "training loss", "overlaying": "y", "side": "right"})
fig.show()
print(f"{PARAMS['family']} (width {PARAMS['width']}): {N_PARAMETERS:,} parameters, {how}")
if PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT:
    print(f"Over the budget of {PARAM_LIMIT:,} parameters.")
print(model)
_report(family=PARAMS["family"], parameters=N_PARAMETERS, threshold=None, how=how, params=PARAMS,
        over_budget=PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT)
'''


def fit_cell(params: dict[str, Any], cv_metrics: dict[str, float], param_limit: int | None,
             refit: bool = False) -> str:
    """The final network: the one the search validated best, or (``refit``) the same configuration trained on every
    training image for the best epoch count. Pinned, so a re-run of the notebook trains the same network."""
    return code_cell("Final network: the configuration that validated best (pinned here, so a re-run of this notebook "
                     "trains exactly the same network); count its parameters and show how it learned.", _FIT,
                     PARAMS=params, CV_METRICS=cv_metrics, PARAM_LIMIT=param_limit, REFIT=refit)


_EVALUATE = f'''
proba_test = predict_proba(model, X_test)
METRICS = {{k: float(v) for k, v in compute_metrics(y_test, proba_test).items()}}
display(pd.DataFrame({{"test": METRICS, "validation (search)": CV_METRICS}}).round(4))
pred = proba_test.argmax(axis=1)
cm = skm.confusion_matrix(y_test, pred, labels=range(N_CLASSES))
px.imshow(cm, x=CLASSES, y=CLASSES, text_auto=True, color_continuous_scale="Blues",
          labels={{"x": "predicted", "y": "actual"}}, title="Confusion matrix (test)").show()
display(pd.DataFrame(skm.classification_report(y_test, pred, labels=range(N_CLASSES), target_names=CLASSES,
                                               output_dict=True, zero_division=0)).T.round(3))
{SHOW_GRID}

wrong = np.flatnonzero(pred != y_test)
wrong = wrong[np.argsort(-proba_test[wrong, pred[wrong]])][:16]  # the most confident mistakes first
if len(wrong):
    show_grid(X_test[wrong], [f"{{CLASSES[y_test[i]]}} -> {{CLASSES[pred[i]]}}" for i in wrong],
              f"Misclassified test images (true -> predicted), {{len(np.flatnonzero(pred != y_test))}} in all")
else:
    print("No test image is misclassified.")
_report(metrics=METRICS, misclassified=int((pred != y_test).sum()),
        per_class_recall={{CLASSES[i]: float(cm[i, i] / max(cm[i].sum(), 1)) for i in range(N_CLASSES)}})
'''


def evaluate_cell() -> str:
    """Test metrics, confusion matrix, per-class report and the misclassified images."""
    return code_cell("Evaluate on the held-out test images: metrics, confusion matrix, and the images the model "
                     "gets wrong.", _EVALUATE)
