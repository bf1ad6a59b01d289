"""Where each task's train/test split comes from.

1. **The agents' split**: the Data agent's split cell writes ``split/`` beside the notebook (the cleaned rows it
   trained and tested on). When a run has one, every baseline uses exactly those rows.
2. **The harness's split**, for runs that left none (refused tasks, pipelines that write no ``split/``): the raw
   data is loaded as the Data agent loads it (scikit-learn's bundled sets with class names, tables with pandas;
   a folder with ``test.csv`` beside a labelled CSV is trained on the labelled file and tested on ``test.csv``),
   rows without a target and exact duplicate rows are dropped, and ``train_test_split`` holds out 20% of the rows
   (25% under 500 rows: the Data agent's rule), stratified for classes, ``random_state=42``. Nothing else is
   cleaned: that is what a user would otherwise feed an AutoML tool.

The target is the one the agents' ``spec.json`` names, else the data's ``target``/``label`` column. When the
request asks for a kind of target the data has no column for (``spec.task_type`` disagrees with the only label
column and the request names none), no baseline runs: there is nothing honest to train.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from trainer_agent_lab.agents.task import resolve_positive_class

from .common import write_split

SEED = 42
LABEL_COLUMNS = ("target", "label", "labels", "class", "y")


class NoBaseline(Exception):
    """The task has no target a baseline could be trained on; the message says why."""


def agents_split(run_dir: Path) -> Path | None:
    """The split folder the agents' run wrote, if any."""
    folder = Path(run_dir) / "split"
    return folder if (folder / "split.json").exists() and (folder / "test.parquet").exists() else None


def _load(ref: str, root: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """The raw rows of a data reference; a second frame when the data brings its own test file."""
    if ref.startswith("sklearn:"):
        import sklearn.datasets as bundled

        bunch = getattr(bundled, f"load_{ref.split(':', 1)[1]}")(as_frame=True)
        frame = bunch.frame.copy()
        names = getattr(bunch, "target_names", None)
        if names is not None and len(names) == frame["target"].nunique():
            frame["target"] = [str(names[i]) for i in frame["target"]]
        return frame, None, f"{ref} (scikit-learn's bundled copy)"
    path = Path(ref) if Path(ref).is_absolute() else (root / ref)
    if path.is_dir():
        labeled = sorted(p for p in path.glob("*.csv") if p.name not in ("test.csv", "unlabeled.csv")
                         and "small" not in p.name)
        if not (path / "test.csv").exists() or not labeled:
            raise NoBaseline(f"{path} has no labelled CSV with a test.csv beside it")
        return (pd.read_csv(labeled[0]), pd.read_csv(path / "test.csv"),
                f"trained on {labeled[0].name}, tested on test.csv (unlabelled rows not used)")
    if path.suffix in (".parquet", ".pq"):
        return pd.read_parquet(path), None, path.name
    return pd.read_csv(path), None, path.name


def _task_of(values: pd.Series) -> str:
    """Classification for text or few distinct integers, regression otherwise."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().mean() < 0.95:
        return "classification"
    integral = (numeric.dropna() % 1 == 0).all()
    return "classification" if integral and numeric.nunique() <= 20 else "regression"


def _text_column(frame: pd.DataFrame, target: str) -> str | None:
    """The single free-text input column of a text task, if the inputs are exactly that."""
    inputs = [c for c in frame.columns if c != target]
    texts = [c for c in inputs if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
    if len(inputs) == 1 and texts:
        values = frame[texts[0]].dropna().astype(str)
        if values.str.len().mean() >= 15 and values.nunique() >= 0.5 * len(values):
            return texts[0]
    return None


def harness_split(task: dict[str, Any], run_dir: Path, root: Path, folder: Path) -> Path:
    """Write the harness's documented split for ``task`` into ``folder``; :class:`NoBaseline` when impossible."""
    spec_path = Path(run_dir) / "spec.json"
    spec = json.loads(spec_path.read_text()) if spec_path.exists() else {}
    train, test, origin = _load(task["data"], root)
    named = spec.get("target")
    if named and named in train.columns:
        target = named
    else:
        target = next((c for c in train.columns if c.lower() in LABEL_COLUMNS), None)
        if target is None:
            raise NoBaseline("the data has no target column the request names (nor a target/label column)")
    kind = _task_of(train[target].dropna())
    asked = spec.get("task_type")
    if asked:  # text_classification, image_classification...: what the baselines see is the kind of target
        asked = "classification" if asked.endswith("classification") else asked
        asked = "regression" if asked.endswith("regression") else asked
    if asked and asked != kind and not named:
        raise NoBaseline(f"the request asks for a {asked} target that the data does not hold; its only label, "
                         f"{target!r}, is a {kind} target")
    kind = asked or kind
    frames = [f for f in (train, test) if f is not None]
    for i, frame in enumerate(frames):
        frame = frame[frame[target].notna()].drop_duplicates().reset_index(drop=True)
        if kind == "classification":
            frame[target] = frame[target].astype(str).str.strip()
        frames[i] = frame
    rows = len(frames[0])
    test_size = 0.2 if rows >= 500 else 0.25
    if len(frames) == 1:
        frame = frames[0]
        if kind == "classification" and frame[target].value_counts().min() < 2:
            raise NoBaseline("a class has fewer than 2 rows, so no stratified split exists")
        stratify = frame[target] if kind == "classification" else None
        train, test = train_test_split(frame, test_size=test_size, random_state=SEED, stratify=stratify)
        how = (f"{origin}: rows without a target and duplicate rows dropped, train_test_split(test_size="
               f"{test_size}, random_state={SEED}{', stratified' if stratify is not None else ''})")
    else:
        train, test = frames
        how = f"{origin}: rows without a target and duplicate rows dropped"
    classes = sorted(train[target].unique().tolist()) if kind == "classification" else None
    pos_label = None
    if classes is not None and len(classes) == 2:
        counts = train[target].value_counts().to_dict()
        pos_label = resolve_positive_class(spec.get("positive_label"), classes, counts, target)
    meta = {"target": target, "task": kind, "classes": classes, "pos_label": pos_label,
            "text_column": _text_column(train, target), "source": "harness", "seed": SEED,
            "test_size": None if len(frames) == 2 else test_size, "how": how}
    return write_split(folder, train.reset_index(drop=True), test.reset_index(drop=True), meta)


def split_for(task: dict[str, Any], run_dir: Path, root: Path) -> Path:
    """The agents' split when their run left one, else the harness's (written into ``run_dir/baseline_split``)."""
    return agents_split(run_dir) or harness_split(task, run_dir, root, Path(run_dir) / "baseline_split")
