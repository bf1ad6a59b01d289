"""The model search on a Ray cluster: the same zoo, space, scoring, stopping rule and time budget as ``search.py``,
its trials run as Ray Tune trials with Optuna's TPE as the searcher; the finished trials become an optuna study
again, so the soft vote, the fit and everything after read the same names whichever engine searched."""

# %% [context]
import math
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
    MARGIN,
    METRIC_CONSTRAINTS,
    N_CLASSES,
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

# isort: split
# %% The search runs on Ray: the cluster at `RAY_ADDRESS`, or (None) a new Ray started here for this search on this
# machine's cores, on 127.0.0.1 and without its dashboard. One trial takes one CPU; the table shows the cluster.
import os
import tempfile

import ray
from ray import tune
from ray.tune.search.optuna import OptunaSearch

# %% [parameters]
RAY_ADDRESS = None

# %%
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's own progress tables off: the bar below says it
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # no result files: the trials come back here
if RAY_ADDRESS:
    ray.init(address=RAY_ADDRESS, log_to_driver=False, logging_level="WARNING")
else:
    for attempt in range(3):  # a new Ray's agents can start too slowly for it on a busy machine: try again, twice
        try:
            ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, _node_ip_address="127.0.0.1",
                     log_to_driver=False, logging_level="WARNING",
                     _system_config={"agent_register_timeout_ms": 120_000})
            break
        except Exception as exc:  # Ray raises a bare Exception when its node does not come up in time
            ray.shutdown()
            if attempt == 2:
                raise RuntimeError(f"Ray did not start on this machine in 3 tries ({exc}); start a cluster with "
                                   "`ray start --head` and pass its address.") from None
nodes = pd.DataFrame([{"node": n["NodeID"][:8], "address": n["NodeManagerAddress"], "alive": n["Alive"],
                       "CPUs": n["Resources"].get("CPU", 0),
                       "memory (GB)": round(n["Resources"].get("memory", 0) / 1e9, 1)} for n in ray.nodes()])
CLUSTER_CPUS = int(ray.cluster_resources().get("CPU", 0))
display(Markdown(f"**Ray cluster** ({RAY_ADDRESS or 'started for this search'}): {int(nodes['alive'].sum())} "
                 f"nodes, {CLUSTER_CPUS} CPUs: up to {CLUSTER_CPUS} trials at a time."))
display(nodes)


# %% One trial on a Ray worker: the configuration Optuna drew for it is replayed into an optuna trial (so the zoo's
# `pipeline` builds it as in a local search), cross-validated on the training split, and scored against the targets.
def draw(trial):
    """The search space, define-by-run: a family, then the settings the zoo draws for it."""
    pipeline(trial.suggest_categorical("family", FAMILIES), trial)


def run_trial(config, X, y, deadline):
    """Cross-validate ``config`` on ``X``, ``y`` before ``deadline`` (a wall clock): what the search reports of it."""
    replay = optuna.create_study()  # a throwaway study: the drawn values, with the distributions they came from
    replay.enqueue_trial(config)
    trial = replay.ask()
    family = trial.suggest_categorical("family", FAMILIES)
    pipe, began, n = pipeline(family, trial), time.time(), len(X)
    oof, seen, sizes = np.zeros((n, N_CLASSES)) if CLASSIFY else np.zeros(n), np.zeros(n), []
    try:
        for fit_rows, val_rows in folds.split(X, y):
            if time.time() > deadline:
                return {"score": -1e9, "status": "out of time", "family": family}
            fitted = clone(pipe).fit(X.iloc[fit_rows], y[fit_rows])
            oof[val_rows] += fitted.predict_proba(X.iloc[val_rows]) if CLASSIFY else fitted.predict(X.iloc[val_rows])
            seen[val_rows] += 1
            grows = keeps_rows(fitted)  # kernel SVMs and kNN keep (a share of) the rows: scale to the training split
            sizes.append(int(count_parameters(fitted) * (N / len(fit_rows) if grows else 1)))
    except ValueError as exc:
        return {"score": -1e9, "status": f"failed: {' '.join(str(exc).split())[:200]}", "family": family}
    oof = oof / (seen[:, None] if CLASSIFY else seen)
    threshold, values = score_out_of_fold(y, oof)
    score, meets = satisfaction(values, MARGIN)
    n_params = max(sizes)
    over = (PARAM_LIMIT is not None and n_params > PARAM_LIMIT) or (
        BYTES_LIMIT is not None and estimated_onnx_bytes(family, n_params) > BYTES_LIMIT)
    return {"score": -1e6 + score if over else score, "status": "finished", "family": family, "oof": oof.tolist(),
            "params": dict(trial.params),
            "metrics": {k: float(v) for k, v in values.items()}, "parameters": n_params, "threshold": threshold,
            "meets": bool(meets and not over), "over_budget": bool(over), "seconds": time.time() - began,
            "distributions": {k: optuna.distributions.distribution_to_json(d) for k, d in trial.distributions.items()},
            "node": ray.get_runtime_context().get_node_id()[:8] if ray.is_initialized() else "here"}


def ray_trial(config, data):
    """The Ray Tune trainable: one configuration, the training split from the object store."""
    return run_trial(config, *data, deadline=DEADLINE)


# %% When to stop: the local search's rule, on the trials as they finish (in any order, on any worker): once every
# target is met after each family's default ran and a third of `PATIENCE` trials bring no improvement; with no
# targets, once `PATIENCE` trials do. It keeps every finished trial and moves the progress bar.
class StopWhenDone(tune.Stopper):
    """Keeps the trials' results; stops the whole search as ``search.py``'s ``stop_when_done`` would."""

    def __init__(self, bar):
        self.bar, self.by_trial, self.best, self.best_at, self.best_meets = bar, {}, -np.inf, 0, False

    def __getstate__(self):  # Tune saves its settings with the stopper: the progress bar stays here
        return {**self.__dict__, "bar": None}

    @property
    def results(self):
        return list(self.by_trial.values())

    def __call__(self, trial_id, result):
        if trial_id in self.by_trial:  # Tune passes a trial's final result again as it ends
            return False
        self.by_trial[trial_id] = result
        self.bar.update(1)
        if result["score"] > self.best + 1e-3:
            self.best, self.best_at, self.best_meets = result["score"], len(self.by_trial) - 1, result.get("meets")
            self.bar.set_postfix(best=f"{result['family']} {result['score']:.4f}")
        return False

    def stop_all(self):
        count = len(self.by_trial)
        if count < len(DEFAULTS):
            return False
        if METRIC_CONSTRAINTS:
            return bool(self.best_meets) and count - 1 - self.best_at >= PATIENCE // 3
        return count - 1 - self.best_at >= PATIENCE


# %% Run the search within `TIME_BUDGET_S`: every family's default settings first, then Optuna's TPE sampler (seeded
# as in a local search) draws the next configurations as workers free up; a trial still running at the budget's end
# is stopped, one past its deadline gives up at the next fold.
started = time.perf_counter()
DEADLINE = time.time() + TIME_BUDGET_S
bar = tqdm(total=None, desc="model search (Ray Tune)", unit="trial")
stopper = StopWhenDone(bar)
searcher = OptunaSearch(space=draw, metric="score", mode="max", points_to_evaluate=DEFAULTS,
                        sampler=optuna.samplers.TPESampler(seed=SEED, multivariate=True, group=True))
with tempfile.TemporaryDirectory(prefix="ray-tune-") as storage:  # Tune's bookkeeping, gone with the search
    tuner = tune.Tuner(
        tune.with_resources(tune.with_parameters(ray_trial, data=(X_search, y_search)), {"cpu": 1}),
        tune_config=tune.TuneConfig(search_alg=searcher, num_samples=-1, time_budget_s=TIME_BUDGET_S,
                                    max_concurrent_trials=max(CLUSTER_CPUS, 1), reuse_actors=True),
        run_config=tune.RunConfig(stop=stopper, verbose=0, storage_path=storage, name="model-search"))
    tuner.fit()
bar.close()
ray.shutdown()  # the cluster stays up for others; a Ray started here stops with it
if not any(r["status"] == "finished" for r in stopper.results):  # a search always finishes one model: past it
    print(f"No trial finished within the search's {TIME_BUDGET_S:.0f} s: the first family's default settings are "
          "cross-validated here, past the budget.")
    stopper.by_trial["here"] = run_trial(DEFAULTS[0], X_search, y_search, deadline=math.inf)
failures = [r["status"] for r in stopper.results if r["status"].startswith("failed")]
if not any(r["status"] == "finished" for r in stopper.results):
    raise ValueError(f"No model family could be cross-validated on this training split ({'; '.join(failures)}).")

# %% The finished trials as an optuna study (what the soft vote and the fit read, as after a local search), the table
# of the trials (the worker that ran each), the best of each family, and the cross-validated metric against size.
study = optuna.create_study(direction="maximize")
for result in (r for r in stopper.results if r["status"] == "finished"):
    distributions = {k: optuna.distributions.json_to_distribution(v) for k, v in result["distributions"].items()}
    attrs = {k: result[k] for k in ("metrics", "parameters", "threshold", "meets", "over_budget", "seconds", "node")}
    study.add_trial(optuna.trial.create_trial(params=result["params"], distributions=distributions,
                                              value=result["score"], user_attrs=attrs))
    remember_out_of_fold(study.trials[-1], result["family"], result["oof"], result["score"], result["over_budget"])
trials = pd.DataFrame([{"trial": t.number, "family": t.params["family"], "score": t.value,
                        "parameters": t.user_attrs["parameters"], "meets targets": t.user_attrs["meets"],
                        **{k: round(v, 4) for k, v in t.user_attrs["metrics"].items()},
                        "seconds": round(t.user_attrs["seconds"], 2), "node": t.user_attrs["node"]}
                       for t in study.trials])
leaderboard = trials.sort_values("score", ascending=False).groupby("family").head(1)
elapsed = time.perf_counter() - started
display(Markdown(f"**Model search on Ray**: {len(trials)} trials finished in {elapsed:.0f} s "
                 f"({len(trials) / max(elapsed, 1e-9) * 60:.1f} a minute on {CLUSTER_CPUS} CPUs), cross-validated "
                 f"on the training split ({folds.get_n_splits()} folds); every trial:"))
display(trials.drop(columns=["score"]))
display(Markdown("Best per family:"))
display(leaderboard.drop(columns=["score"]).reset_index(drop=True))
fig = px.scatter(trials, x="parameters", y=OBJECTIVE, color="family", log_x=True, hover_data=["trial", "node"],
                 title=f"Cross-validated {OBJECTIVE} against model size (Ray Tune trials)")
if PARAM_LIMIT is not None:
    fig.add_vline(x=PARAM_LIMIT, line_dash="dash", annotation_text="parameter budget")
fig.show()
ranked = sorted(study.trials, key=lambda t: -t.value)
_report(trials=len(trials), best_family=ranked[0].params["family"], cv_metrics=ranked[0].user_attrs["metrics"],
        cv_meets=ranked[0].user_attrs["meets"], over_budget=ranked[0].user_attrs["over_budget"],
        ranked=[{"params": t.params, "threshold": t.user_attrs["threshold"], "cv_metrics": t.user_attrs["metrics"],
                 "parameters": t.user_attrs["parameters"]} for t in ranked[:5]],
        leaderboard=leaderboard[["family", OBJECTIVE, "parameters"]].to_dict("records"),
        engine={"name": "ray", "address": RAY_ADDRESS, "nodes": int(nodes["alive"].sum()), "cpus": CLUSTER_CPUS,
                "trials_per_minute": round(len(trials) / max(elapsed, 1e-9) * 60, 2)})
