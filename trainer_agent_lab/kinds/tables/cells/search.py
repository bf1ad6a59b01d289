"""The model search: a cross-validated optuna study over the zoo, its stopping rule, run, leaderboard and plot."""

# %% [context]
import time

import numpy as np
import optuna
import pandas as pd
import plotly.express as px
from IPython.display import Markdown, display
from sklearn.base import clone
from tqdm.auto import tqdm

from .context import (
    BYTES_LIMIT,
    CLASSIFY,
    DEFAULTS,
    FAMILIES,
    FOLD_SECONDS,
    MARGIN,
    METRIC_CONSTRAINTS,
    N_CLASSES,
    N_SEARCH,
    OBJECTIVE,
    PARAM_LIMIT,
    PATIENCE,
    SEED,
    TIME_BUDGET_S,
    N,
    X_search,
    _report,
    count_parameters,
    estimated_onnx_bytes,
    folds,
    keeps_rows,
    pipeline,
    remember_out_of_fold,
    satisfaction,
    score_out_of_fold,
    y_search,
)


# %% The objective of one trial: cross-validate a candidate on the training split (out-of-fold predictions,
# the threshold tuned on them), score it against the targets, and push it far down when it is over a limit.
def out_of_fold(pipe, family):
    """Out-of-fold predictions on the training split, and the parameter count expected once trained on all of it."""
    oof = np.zeros((N_SEARCH, N_CLASSES)) if CLASSIFY else np.zeros(N_SEARCH)
    seen = np.zeros(N_SEARCH)  # how many repeats predicted each row (repeated folds on small data: the mean is kept)
    sizes = []
    for fit_rows, val_rows in folds.split(X_search, y_search):
        began = time.perf_counter()
        # a fold costs at least what the last fold of any trial did (a busier machine shows there first) and what
        # this family's slowest fold did; at first, the timed fit
        fold_s = max(recent_fold[0], slowest_fold.get(family, 0.0))
        if began + fold_s > deadline and best_so_far[0] > -np.inf:  # the first trial always finishes
            raise optuna.TrialPruned("out of time: the next fold would end past the deadline")
        fitted = clone(pipe).fit(X_search.iloc[fit_rows], y_search[fit_rows])
        rows = X_search.iloc[val_rows]
        if CLASSIFY:  # a fold may lack a rare class: each probability goes to its own class's column
            oof[np.ix_(val_rows, np.asarray(fitted.classes_, dtype=int))] += fitted.predict_proba(rows)
        else:
            oof[val_rows] += fitted.predict(rows)
        seen[val_rows] += 1
        recent_fold[0] = time.perf_counter() - began
        slowest_fold[family] = max(slowest_fold.get(family, 0.0), recent_fold[0])
        grows = keeps_rows(fitted)
        # kernel SVMs and kNN keep (a share of) the training rows: scale to the full training split
        sizes.append(int(count_parameters(fitted) * (N / len(fit_rows) if grows else 1)))
    return oof / (seen[:, None] if CLASSIFY else seen), max(sizes)


def objective(trial):
    """One trial: a family and its settings drawn by optuna, scored out-of-fold against the targets."""
    family = trial.suggest_categorical("family", FAMILIES)
    expected = family_seconds.get(family, recent_fold[0] * folds.get_n_splits())  # unseen: as the last fold
    if best_so_far[0] > -np.inf and expected > deadline - time.perf_counter():
        raise optuna.TrialPruned("a trial of this family would not finish within the budget")
    began = time.perf_counter()
    pipe = pipeline(family, trial)  # preprocessing (scaled or not, as the zoo says) and estimator
    oof, n_params = out_of_fold(pipe, family)
    threshold, values = score_out_of_fold(y_search, oof)  # tuned as the metric rewards
    score, meets = satisfaction(values, MARGIN)
    over = (PARAM_LIMIT is not None and n_params > PARAM_LIMIT) or (
        BYTES_LIMIT is not None and estimated_onnx_bytes(family, n_params) > BYTES_LIMIT)
    remember_out_of_fold(trial, family, oof, score, over)  # for the soft vote and the threshold check
    trial.set_user_attr("metrics", {k: float(v) for k, v in values.items()})
    trial.set_user_attr("parameters", n_params)
    trial.set_user_attr("threshold", threshold)
    trial.set_user_attr("meets", bool(meets and not over))
    trial.set_user_attr("over_budget", bool(over))
    family_seconds[family] = time.perf_counter() - began
    return -1e6 + score if over else score


# %% When to stop: once every target is met (after each family's default ran) and a third of `PATIENCE` trials in a
# row bring no improvement; with no targets to meet, once `PATIENCE` trials do. It also moves the progress bar.
def stop_when_done(study, trial):
    """Stop once the targets are met (after every family's default ran); with no targets, once it plateaus."""
    bar.update(1)
    if trial.value is None:
        return
    if trial.value > best_so_far[0] + 1e-3:
        best_so_far[:] = [trial.value, trial.number]
    best = study.best_trial
    bar.set_postfix(best=f"{best.params['family']} {best.value:.4f}")
    done_defaults = trial.number + 1 >= len(DEFAULTS)
    if done_defaults and METRIC_CONSTRAINTS and best.user_attrs.get("meets") and (
            trial.number - best_so_far[1] >= PATIENCE // 3):
        study.stop()  # every target met: a few more trials look for a better model, then it stops once it plateaus
    if done_defaults and not METRIC_CONSTRAINTS and trial.number - best_so_far[1] >= PATIENCE:
        study.stop()  # nothing to reach, and no progress: more trials would only spend the budget


# %% Run the search within `TIME_BUDGET_S`: every family's default settings first, then optuna's TPE sampler
# explores; a trial that cannot finish in the time left is skipped.
study = optuna.create_study(direction="maximize",
                            sampler=optuna.samplers.TPESampler(seed=SEED, multivariate=True, group=True))
for params in DEFAULTS:
    study.enqueue_trial(params)
started = time.perf_counter()
deadline = started + TIME_BUDGET_S - FOLD_SECONDS  # the fit cv.py timed was part of the search's time
family_seconds = {}  # how long the last trial of each family took
slowest_fold = {}  # the slowest fold of each family so far
recent_fold = [FOLD_SECONDS]  # the last fold's seconds, of whichever family
bar = tqdm(total=None, desc="model search", unit="trial")
best_so_far = [-np.inf, 0]
study.optimize(objective, timeout=max(0.0, deadline - started), callbacks=[stop_when_done], catch=(ValueError,))
failures = []  # a search always finishes one model: if none did in time, each family's defaults in turn, past it


def noting_failures(trial):
    try:
        return objective(trial)
    except ValueError as exc:
        failures.append(f"{trial.params.get('family')}: {' '.join(str(exc).split())[:200]}")
        raise


past_deadline = not any(t.value is not None for t in study.trials)  # no model finished within the search's time
for params in DEFAULTS:
    if any(t.value is not None for t in study.trials):
        break
    study.enqueue_trial(params)
    study.optimize(noting_failures, n_trials=1, callbacks=[stop_when_done], catch=(ValueError,))
bar.close()
if not any(t.value is not None for t in study.trials):
    raise ValueError(f"No model family could be cross-validated on this training split ({'; '.join(failures)}).")
if past_deadline:
    print(f"The search's {TIME_BUDGET_S:.0f} s ran out before any model finished: one model, "
          f"{study.best_trial.params['family']} with its default settings, was cross-validated past it.")

# %% The leaderboard: every finished trial, the best of each family, and the cross-validated metric against
# model size; the five best configurations go back to the Model agent (the fit trains the first within budget).
trials = pd.DataFrame([{"trial": t.number, "family": t.params.get("family"), "score": t.value,
                        "parameters": t.user_attrs.get("parameters"), "meets targets": t.user_attrs.get("meets"),
                        **{k: round(v, 4) for k, v in t.user_attrs.get("metrics", {}).items()},
                        "seconds": (t.datetime_complete - t.datetime_start).total_seconds()}
                       for t in study.trials if t.value is not None])
leaderboard = trials.sort_values("score", ascending=False).groupby("family").head(1)
display(Markdown(f"**Model search**: {len(trials)} trials in {time.perf_counter() - started:.0f} s, "
                 f"cross-validated on the training split ({folds.get_n_splits()} folds); best per family:"))
display(leaderboard.drop(columns=["score"]).reset_index(drop=True))
fig = px.scatter(trials, x="parameters", y=OBJECTIVE, color="family", log_x=True, hover_data=["trial"],
                 title=f"Cross-validated {OBJECTIVE} against model size")
if PARAM_LIMIT is not None:
    fig.add_vline(x=PARAM_LIMIT, line_dash="dash", annotation_text="parameter budget")
fig.show()
ranked = sorted((t for t in study.trials if t.value is not None), key=lambda t: -t.value)
_report(trials=len(trials), best_family=ranked[0].params["family"], cv_metrics=ranked[0].user_attrs["metrics"],
        cv_meets=ranked[0].user_attrs["meets"], over_budget=ranked[0].user_attrs["over_budget"],
        ranked=[{"params": t.params, "threshold": t.user_attrs["threshold"], "cv_metrics": t.user_attrs["metrics"],
                 "parameters": t.user_attrs["parameters"]} for t in ranked[:5]],
        leaderboard=leaderboard[["family", OBJECTIVE, "parameters"]].to_dict("records"))
