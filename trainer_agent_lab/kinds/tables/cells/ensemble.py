"""After the search: a soft vote of the best members where it beats them within the limits, and the check that a
tuned decision threshold holds fold by fold before it is trusted."""

# %% [context]
import time

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from .context import (
    BYTES_LIMIT,
    CLASSIFY,
    FIRST_FOLDS,
    MARGIN,
    METRIC_CONSTRAINTS,
    N_CLASSES,
    N_SEARCH,
    OBJECTIVE,
    PARAM_LIMIT,
    POS_LABEL,
    TIME_BUDGET_S,
    _report,
    best_out_of_fold,
    compute_metrics,
    estimated_onnx_bytes,
    ranked,
    satisfaction,
    score_out_of_fold,
    study,
    y_search,
)

# %% [parameters]
ENSEMBLE_MEMBERS = 3
ENSEMBLE_GAIN = 0.002
ENSEMBLE_ROUNDS = 15

# %% Near-ties first: a metric of decisions (accuracy, F1, ...) moves by a whole row at a time, so on small data the
# candidates within one standard error of the best (sqrt(p (1 - p) / N) of it) cannot be told apart by it. Nor can a
# margin that small: when the best clears the targets with the search's margin, a near-tie that meets them without
# it is as likely to meet them on new rows. Among the near-ties, the one with the best out-of-fold log-loss (a proper
# score, which every row's probability informs, not only the rows near a boundary) is ranked first; the others keep
# their order behind it. When the best misses a target, only near-ties that miss as it does (by their penalised
# scores) are compared.
CONTINUOUS = ("log_loss", "brier", "roc_auc", "pr_auc")  # scores of probabilities: no ties to break
best_value, lead = ranked[0].value, ranked[0].user_attrs
p_best = min(max(lead["metrics"][OBJECTIVE], 0.0), 1.0)
noise = (float(np.sqrt(max(p_best * (1 - p_best), 1.0 / N_SEARCH) / N_SEARCH))
         if CLASSIFY and OBJECTIVE not in CONTINUOUS else 0.0)


def near_tie(trial):
    """Whether ``trial`` cannot be told apart from the best (``lead``) within ``noise``, as the targets go."""
    if trial.user_attrs["over_budget"] or "log_loss" not in trial.user_attrs["metrics"]:
        return False
    if not lead["meets"]:
        return not trial.user_attrs["meets"] and trial.value >= best_value - noise
    plain, meets = satisfaction(trial.user_attrs["metrics"], 0.0)  # no margin: unpenalised where the targets hold
    return meets and plain >= best_value - noise


ties = [t for t in ranked if near_tie(t)]
if len(ties) > 1 and min(ties, key=lambda t: t.user_attrs["metrics"]["log_loss"]) is not ranked[0]:
    settled = min(ties, key=lambda t: t.user_attrs["metrics"]["log_loss"])
    short = "" if settled.user_attrs["meets"] else " (it meets the targets, not by the search's margin of " \
        f"{MARGIN}: a difference the rows cannot tell apart)"
    print(f"{len(ties)} candidates lie within one standard error ({noise:.4f}) of the best {OBJECTIVE}: "
          f"{settled.params['family']} (trial {settled.number}, {OBJECTIVE} "
          f"{settled.user_attrs['metrics'][OBJECTIVE]:.4f}, log-loss {settled.user_attrs['metrics']['log_loss']:.4f}) "
          f"has the best out-of-fold log-loss among them (the best by {OBJECTIVE}: {lead['metrics']['log_loss']:.4f}), "
          f"so it goes first{short}.")
    ranked = [settled, *(t for t in ranked if t is not settled)]


# %% A small ensemble, chosen as AutoML tools choose theirs (Caruana et al., 2004: forward selection with
# replacement): the library is the best configuration of each family within the limits; each round adds the member
# whose addition scores best on the out-of-fold predictions the search kept (no more training), so a member may come
# back and weigh more, for ENSEMBLE_ROUNDS rounds. A metric of decisions (accuracy, F1, ...) moves a row at a time,
# and on small data a greedy step on it follows noise (a shallow tree whose probabilities were poor got into a vote
# because it turned one row): there each round adds the member that lowers the vote's log-loss most, among those that
# keep the targets met, and a vote is taken only when its log-loss is no worse than the best single model's.
# Elsewhere each round adds the best by the metric, ties going to the better proper score (squared or absolute error,
# log-loss). The vote is the weighted mean of its members' probabilities (values), the weights their counts; it is
# taken when it beats the best single model by ENSEMBLE_GAIN with at most ENSEMBLE_MEMBERS distinct members, each
# counted in full and all of them within the parameter and size limits.
trial_of = {t.number: t for t in study.trials}
RANKED = [{"params": t.params, "threshold": t.user_attrs["threshold"], "cv_metrics": t.user_attrs["metrics"],
           "parameters": t.user_attrs["parameters"], "trial": t.number} for t in ranked[:5]]
library = sorted(best_out_of_fold.values(), key=lambda kept: -kept["score"])
labels = np.asarray(y_search)


def proper_loss(oof):
    """The tie-break between additions: log-loss of the probabilities, or the error the objective counts."""
    if CLASSIFY:
        return float(-np.mean(np.log(np.clip(oof[np.arange(len(labels)), labels.astype(int)], 1e-15, 1.0))))
    errors = np.asarray(oof, dtype=float) - labels.astype(float)
    return float(np.mean(np.abs(errors)) if OBJECTIVE in ("mae", "pinball") else np.mean(errors**2))


def within_limits(counts):
    """Whether the members named in ``counts`` (each counted in full) stay within the parameter and size limits."""
    members = [trial_of[library[i]["trial"]] for i in counts]
    n_params = sum(t.user_attrs["parameters"] for t in members)
    n_bytes = sum(estimated_onnx_bytes(t.params["family"], t.user_attrs["parameters"]) for t in members)
    return not ((PARAM_LIMIT is not None and n_params > PARAM_LIMIT) or
                (BYTES_LIMIT is not None and n_bytes > BYTES_LIMIT)), n_params


DECISIONS = CLASSIFY and OBJECTIVE not in CONTINUOUS  # a metric that moves a row at a time
single_loss = min((proper_loss(kept["oof"]) for kept in library), default=np.inf)  # the best single model's


def addition(i, counts, total, size):
    """Library member ``i`` added to the vote ``counts`` (whose out-of-fold sum is ``total``), now of ``size``
    members: what a round ranks it by (log-loss among those meeting the targets on a metric of decisions, else the
    metric, ties to the better proper score) and what the vote would be; None when it breaks a limit."""
    counts = {**counts, i: counts.get(i, 0) + 1}
    fits, n_params = within_limits(counts)
    if len(counts) > ENSEMBLE_MEMBERS or not fits:
        return None
    summed = total + library[i]["oof"]
    oof = summed / size
    threshold, values = score_out_of_fold(y_search, oof)
    score, meets = satisfaction(values, MARGIN)
    loss = proper_loss(oof)
    return {"rank": (meets, -loss) if DECISIONS else (score, -loss), "counts": counts, "total": summed, "oof": oof,
            "loss": loss, "threshold": threshold, "values": values, "score": score, "meets": meets,
            "parameters": n_params}


# %% The rounds of the selection, within ENSEMBLE_SECONDS (a share of the search's time): each adds the member that
# does best, and the best round of two members or more is the vote, if any.
ENSEMBLE_SECONDS = max(1.0, 0.05 * TIME_BUDGET_S)
votes, best_vote, to_beat = [], None, best_value + ENSEMBLE_GAIN  # a vote must beat the best single model
counts, improved, best_rank = {}, [], None  # improved: the rounds ranked above every round before them
total = np.zeros_like(library[0]["oof"]) if library else None
selection_ends = time.perf_counter() + ENSEMBLE_SECONDS
for step in range(ENSEMBLE_ROUNDS if len(library) > 1 else 0):
    tried = [a for a in (addition(i, counts, total, step + 1) for i in range(len(library))) if a is not None]
    if not tried:
        break
    best = max(tried, key=lambda a: a["rank"])
    counts, total = best["counts"], best["total"]
    order = sorted(counts, key=lambda j: (-counts[j], j))
    chosen = [trial_of[library[j]["trial"]].params for j in order]
    named = " + ".join(f"{counts[j]}× {p['family']}" for j, p in zip(order, chosen, strict=True))
    votes.append({"round": step + 1, "members": named, OBJECTIVE: round(best["values"][OBJECTIVE], 4),
                  **({"log_loss": round(best["loss"], 4)} if CLASSIFY else {}), "parameters": best["parameters"],
                  "meets targets": bool(best["meets"])})
    if len(counts) > 1 and best["score"] > to_beat and (not DECISIONS or best["loss"] <= single_loss):
        to_beat = best["score"]
        best_vote = {"params": {"family": "soft_voting", "members": chosen, "weights": [counts[j] for j in order]},
                     "threshold": best["threshold"], "cv_metrics": {k: float(v) for k, v in best["values"].items()},
                     "parameters": best["parameters"], "oof": best["oof"], "meets": bool(best["meets"]),
                     "round": step + 1}
    if best_rank is None or best["rank"] > best_rank:
        best_rank = best["rank"]
        improved.append(step)
    if time.perf_counter() > selection_ends:
        print(f"The ensemble's selection stopped after {step + 1} rounds: its {ENSEMBLE_SECONDS:.0f} s were spent.")
        break
if votes:
    ranked_on = "log-loss" if DECISIONS else OBJECTIVE
    display(Markdown(f"**The ensemble's selection**: {len(votes)} rounds; below, those that scored better "
                     f"({ranked_on}) than every round before them, and the vote taken (cross-validated; the best "
                     f"single model: {ranked[0].params['family']}, {OBJECTIVE} "
                     f"{ranked[0].user_attrs['metrics'][OBJECTIVE]:.4f}):"))
    shown = sorted(set(improved) | ({best_vote["round"] - 1} if best_vote is not None else set()))
    display(pd.DataFrame([votes[i] for i in shown]))
if best_vote is not None:
    RANKED.insert(0, {k: v for k, v in best_vote.items() if k not in ("oof", "meets")})
    print(f"The weighted soft vote of round {best_vote['round']} ({votes[best_vote['round'] - 1]['members']}) beats "
          "every single model: it is trained first.")
elif votes:
    print(f"No soft vote beats the best single model by {ENSEMBLE_GAIN} within the limits: it is not used.")


# %% A decision threshold tuned out-of-fold (binary targets on F-scores, precision or recall) is trusted only when
# it holds fold by fold: leave one fold out, tune on the others' out-of-fold predictions, and compare the tuned
# threshold with the default 0.5 on the fold left out. It holds when it does at least as well on most folds; else the
# model keeps the default threshold, which is said here.
QUICK = {"accuracy", "precision", "recall", "f1", "f2", "balanced_accuracy"}  # counted here from the four cells


def quick_metrics(y_true, proba, threshold):
    """The threshold metrics of a binary task from its confusion counts (what the fold-by-fold check needs)."""
    pred, pos = proba[:, POS_LABEL] >= (0.5 if threshold is None else threshold), y_true == POS_LABEL
    tp, fp, fn = np.sum(pred & pos), np.sum(pred & ~pos), np.sum(~pred & pos)
    tn = len(y_true) - tp - fp - fn
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f_beta = [(1 + b * b) * precision * recall / max(b * b * precision + recall, 1e-12) for b in (1, 2)]
    return {"accuracy": (tp + tn) / len(y_true), "precision": precision, "recall": recall, "f1": f_beta[0],
            "f2": f_beta[1], "balanced_accuracy": (recall + tn / max(tn + fp, 1)) / 2}


def fold_metrics(y_true, proba, threshold):
    """Quick confusion-count metrics where the targets are all threshold metrics, else the full catalogue."""
    named = {OBJECTIVE} | {c["name"] for c in METRIC_CONSTRAINTS}
    return quick_metrics(y_true, proba, threshold) if named <= QUICK else compute_metrics(y_true, proba, threshold)


def threshold_holds(oof):
    """(whether a threshold tuned on the other folds beats 0.5 on most held-out folds, the per-fold thresholds)."""
    wins, cuts = [], []
    for rows in FIRST_FOLDS:
        rest = np.setdiff1d(np.arange(N_SEARCH), rows)
        grid = np.append(np.unique(np.quantile(oof[rest, POS_LABEL], np.linspace(0.01, 0.99, 99))), 0.5)
        cut_here = max(grid, key=lambda t: satisfaction(fold_metrics(y_search[rest], oof[rest], t), MARGIN)[0])
        tuned = satisfaction(fold_metrics(y_search[rows], oof[rows], cut_here), MARGIN)[0]
        plain = satisfaction(fold_metrics(y_search[rows], oof[rows], None), MARGIN)[0]
        wins.append(tuned >= plain)
        cuts.append(round(float(cut_here), 3))
    return sum(wins) > len(wins) / 2, cuts


threshold_note = None
chosen_oof = best_vote["oof"] if best_vote is not None else best_out_of_fold.get(
    RANKED[0]["params"]["family"], {}).get("oof")
if CLASSIFY and N_CLASSES == 2 and isinstance(RANKED[0]["threshold"], float) and chosen_oof is not None:
    holds, fold_cuts = threshold_holds(chosen_oof)
    spread = f"per-fold thresholds {min(fold_cuts):.3f}..{max(fold_cuts):.3f}"
    if holds:
        threshold_note = f"The tuned threshold {RANKED[0]['threshold']:.3f} holds fold by fold ({spread})."
    else:
        threshold_note = (f"The tuned threshold {RANKED[0]['threshold']:.3f} does not hold fold by fold ({spread}): "
                          "the model keeps the default threshold 0.5.")
        RANKED[0]["threshold"] = None
        RANKED[0]["cv_metrics"] = {k: float(v) for k, v in compute_metrics(y_search, chosen_oof).items()}
    print(threshold_note)
head = RANKED[0]
head_over = best_vote is None and ranked[0].user_attrs["over_budget"]
_report(best_family=head["params"]["family"], cv_metrics=head["cv_metrics"], ranked=RANKED, votes=votes,
        threshold_note=threshold_note, cv_meets=bool(satisfaction(head["cv_metrics"], MARGIN)[1] and not head_over))
