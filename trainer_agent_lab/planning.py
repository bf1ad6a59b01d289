"""``trainer-agent plan``: what a run of a request would do and whether it would start, in a second or two.

The plan reads the request, peeks at the data (columns, types, size: the head of a file read with pandas, the
bundled sets by name; no kernel) and makes the Task agent's own decisions in the run's order, with the run's own
code (:class:`~trainer_agent_lab.agents.task.TaskAgent` and the functions beside it):

1. ethics (:meth:`TaskAgent.check_ethics`), 2. what the agents can train (:meth:`TaskAgent.check_capability`),
3. clauses not understood (:meth:`TaskAgent.check_understood`: ``needs_input`` unless ``assume_yes``),
4. the time budget (:meth:`TaskAgent.check_budget`), 5. the data: named at all, there, of which kind (a table of
one text column and a label is a text task, :func:`~trainer_agent_lab.knowledge.text_data.looks_like_text`),
6. for texts, whether the labeled examples could confirm the accuracy asked at all
(:func:`~trainer_agent_lab.knowledge.text_data.unconfirmable`, from their number: public task ``promo-too-few``),
7. the target column and the task (:func:`~trainer_agent_lab.agents.task.resolve_target`,
:func:`~trainer_agent_lab.agents.task.resolve_task`) on the peeked columns, 8. for tables, whether any model of
the zoo fits the parameter budget (:func:`~trainer_agent_lab.knowledge.zoo.candidates`, on a lower bound of the
features the run will have: public task ``refuse-impossible-accuracy``), 9. for table files, whether the inputs
predict the target (:mod:`.plan_signal`: a rank screen of each column, and only when no column shows signal on its
own, the run's feasibility probe on the rows read: public task ``refuse-no-signal``). That probe is the one
training a plan may do, two probes of the run's size; the search, the fit and the kernel are never the plan's.

The verdict is ``run``, ``refuse`` or ``needs_input``. What only the run can tell — a metric target's reach where
the screen found signal (the probe's learning curve), whether the labeled texts are enough for the accuracy asked
(the text learning curve, or a teacher), whether the finished model meets the constraints — is listed in
:attr:`Plan.unknown_until_run`.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .agents.base import Event, RunMemory
from .agents.task import TaskAgent, resolve_target, resolve_task
from .cells.task import requirements_markdown
from .errors import DataError, NeedsInput, Refused, TrainerAgentError
from .kinds import TaskKind, kind_for
from .knowledge.datasets import bundled_name
from .knowledge.image_data import IMAGE_EXTENSIONS, SYNTHETIC_REFS, is_image_data
from .knowledge.text_data import (
    SYNTHETIC_JOB_ADS,
    examples_to_confirm,
    holds_no_labels,
    is_text_folder,
    looks_like_text,
    unconfirmable,
)
from .knowledge.zoo import candidates
from .llm.base import LLMClient
from .llm.rule_reader import parse_request
from .llm.vocabulary import SYNTHETIC_GROUNDING
from .spec import TaskSpec, TaskType

__all__ = ["BUNDLED_SHAPES", "Plan", "Verdict", "make_plan", "peek_data"]

Verdict = Literal["run", "refuse", "needs_input"]
#: The run status an error ends with -> the plan's verdict (data that cannot be used as given: the person must
#: act, so ``needs_input``).
VERDICT_OF_STATUS: dict[str, Verdict] = {"refused": "refuse", "needs_input": "needs_input", "failed": "needs_input"}
#: Rows read from a file to learn its columns' types and distinct values.
SAMPLE_ROWS = 5000
#: Files up to this size have their lines counted; larger ones are estimated from the sample.
COUNT_LINES_UP_TO = 256 * 2**20
#: The share of rows the run's split keeps for training (a lower bound is all the zoo check needs).
TRAIN_SHARE = 0.7

_DIGIT_PIXELS = [f"pixel_{i}_{j}" for i in range(8) for j in range(8)]
_CANCER = [f"{part} {m}" if part != "error" else f"{m} error" for part in ("mean", "error", "worst")
           for m in ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                     "concave points", "symmetry", "fractal dimension")]
#: What scikit-learn's bundled sets hold, as the load cell reads them (``tests/test_plan.py`` checks it against
#: scikit-learn): rows, feature columns, and the target's distinct values (classes as names: dtype object).
BUNDLED_SHAPES: dict[str, tuple[int, list[str], int, str]] = {
    "iris": (150, ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], 3, "object"),
    "wine": (178, ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
                   "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
                   "od280/od315_of_diluted_wines", "proline"], 3, "object"),
    "digits": (1797, _DIGIT_PIXELS, 10, "object"),
    "breast_cancer": (569, _CANCER, 2, "object"),
    "diabetes": (442, ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"], 214, "float64"),
}
_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".psv", ".dat", ".parquet", ".pq", ".json", ".jsonl", ".ndjson",
                   ".xlsx", ".xlsm", ".xls", ".feather", ".arrow")
_TRAIN_WORDS = ("train", "training", "learn", "labeled", "labelled")


@dataclass
class Plan:
    """What a run of the request would do, and whether it would start (see the module docstring)."""

    verdict: Verdict
    reason: str
    spec: TaskSpec
    kind: str
    plan: list[dict[str, Any]]
    data: dict[str, Any] | None = None
    target: str | None = None
    task: str | None = None
    question: str | None = None
    options: list[str] = field(default_factory=list)
    checks: list[dict[str, str]] = field(default_factory=list)
    """Each decision made, in order: ``{"check", "outcome"}``."""
    notes: list[str] = field(default_factory=list)
    unknown_until_run: list[str] = field(default_factory=list)
    signal: str | None = None
    """How the plan found that a table's inputs predict its target: ``screen`` (a column on its own), ``probe`` (the
    run's feasibility probe, on the rows read), or None (not looked: not a table file)."""
    seconds: float = 0.0

    @property
    def not_understood(self) -> list[str]:
        """The request's clauses that read like requirements but map to nothing the agents know."""
        return list(self.spec.not_understood)

    @property
    def exit_code(self) -> int:
        """The CLI's exit code: 0 for ``run``, 3 for ``refuse`` and ``needs_input`` (as ``trainer-agent run``)."""
        return 0 if self.verdict == "run" else 3

    def to_json(self) -> dict[str, Any]:
        """One JSON object: verdict, reason, spec, plan, not_understood, and what the plan found."""
        out = asdict(self)
        out["spec"] = self.spec.model_dump(mode="json")
        out["not_understood"] = self.not_understood
        out["requirements"] = requirements_markdown(self.spec, self.plan)
        return out

    def text(self) -> str:
        """The plan for a person: the requirements table and the plan (as the notebook's first cell shows
        them), the data, the decisions, and the verdict with its reason."""
        first = requirements_markdown(self.spec, self.plan).rstrip()
        lines = [first.replace("# TrainerAgent run", "# TrainerAgent plan", 1), ""]
        if self.spec.not_understood:
            lines += ["## Not understood", "", *(f"- “{c}”" for c in self.spec.not_understood), ""]
        if self.data:
            lines += ["## Data", "", describe(self.data), ""]
        lines += ["## Decisions", "", *(f"- {c['check']}: {c['outcome']}" for c in self.checks)]
        lines += [f"- note: {n}" for n in self.notes]
        if self.verdict == "run" and self.unknown_until_run:
            lines += ["", "Only the run can tell:", *(f"- {u}" for u in self.unknown_until_run)]
        lines += ["", f"verdict: {self.verdict}", f"reason: {self.reason}"]
        if self.question:
            lines.append(f"question: {self.question}" + (f" ({', '.join(self.options)})" if self.options else ""))
        return "\n".join(lines) + "\n"


def _quiet(event: Event) -> None:
    """Plans speak through their checks, not through events."""


# ----------------------------------------------------------------------------------------------- data
def describe(data: dict[str, Any]) -> str:
    """One paragraph on what the peek found."""
    head = f"`{data['ref']}`: {data['what']}"
    if data.get("rows") is not None:
        head += f", {data['rows']:,} rows" + (" (estimated)" if data.get("estimated") else "")
    columns = data.get("columns") or []
    if columns:
        shown = ", ".join(f"{c['name']} ({c['dtype']})" for c in columns[:12])
        head += f", {len(columns)} columns: {shown}" + (", ..." if len(columns) > 12 else "")
    for f in data.get("files", [])[:8]:
        head += f"\n- {f['name']}: " + (f"{f['rows']:,} rows" if f.get("rows") is not None else f.get("what", ""))
    return head


def _columns(frame: Any) -> list[dict[str, Any]]:
    return [{"name": str(name), "dtype": str(frame[name].dtype), "n_unique": int(frame[name].nunique()),
             "n_missing": int(frame[name].isna().sum())} for name in frame.columns]


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def _read_head(path: Path) -> tuple[Any, int | None, bool]:
    """(the first rows, the number of rows or None, whether that number is an estimate)."""
    import pandas as pd  # here, not at import: the plan of a bundled set never needs it

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq
        file = pq.ParquetFile(path)
        return file.read_row_group(0).to_pandas().head(SAMPLE_ROWS), file.metadata.num_rows, False
    if suffix in (".feather", ".arrow"):
        frame = pd.read_feather(path)
        return frame.head(SAMPLE_ROWS), len(frame), False
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, nrows=SAMPLE_ROWS)
        return frame, None if len(frame) == SAMPLE_ROWS else len(frame), False
    if suffix in (".json", ".jsonl", ".ndjson"):
        try:
            frame = pd.read_json(path, lines=True, nrows=SAMPLE_ROWS)
        except ValueError:
            frame = pd.read_json(path)
            return frame.head(SAMPLE_ROWS), len(frame), False
        lines = _count_lines(path) if path.stat().st_size <= COUNT_LINES_UP_TO else None
        return frame, lines if lines is not None else len(frame), lines is None
    with path.open("r", encoding="utf-8", errors="replace", newline="") as f:
        sample = f.read(64 * 1024)
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        sep = "\t" if suffix in (".tsv", ".tab") else ","
    frame = pd.read_csv(path, sep=sep, nrows=SAMPLE_ROWS, encoding_errors="replace")
    size = path.stat().st_size
    if size <= COUNT_LINES_UP_TO:
        return frame, max(0, _count_lines(path) - 1 + (not sample.endswith("\n") and size > 0)), False
    return frame, int(size / max(1, len(sample)) * sample.count("\n")), True


def _table_file(path: Path) -> tuple[dict[str, Any], Any]:
    """What a table file holds, and the rows read from it."""
    frame, rows, estimated = _read_head(path)
    return {"name": path.name, "rows": rows if rows is not None else len(frame), "estimated": estimated,
            "columns": _columns(frame)}, frame


def _training_file(folder: Path) -> Path | None:
    """The folder's table file to learn from, named as the load cell reads a folder (one file, or the one whose
    name says train/labeled); None when the names do not say."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _TABLE_SUFFIXES
                   and not p.name.startswith("."))
    if len(files) == 1:
        return files[0]
    train = [p for p in files if any(w.startswith(_TRAIN_WORDS) for w in p.stem.lower().replace("-", "_").split("_"))]
    return train[0] if len(train) == 1 else None


def peek_data(ref: str) -> dict[str, Any]:
    """What ``ref`` holds, read cheaply: ``{"ref", "what", "exists", "rows", "columns", "files"}``.

    ``columns`` are ``{"name", "dtype", "n_unique", "n_missing"}`` from the first :data:`SAMPLE_ROWS` rows (the
    load cell's profile reads all of them, so a type or a count may differ on a large file).
    """
    return _peek(ref)[0]


def _about(ref: str, what: str, *, exists: bool = True, rows: int | None = None,
           columns: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, Any]:
    """One :func:`peek_data` answer."""
    return {"ref": ref, "what": what, "exists": exists, "rows": rows, "columns": columns or [], **more}


def _peek(ref: str) -> tuple[dict[str, Any], Any]:
    """:func:`peek_data`'s answer, and the rows read from the table a run of ``ref`` learns from (a table file, or a
    folder's training file; None for anything else), which the signal check reads too."""
    name = bundled_name(ref)
    if name is not None:
        if name not in BUNDLED_SHAPES:
            return _about(ref, "a bundled scikit-learn set"), None
        rows, features, classes, dtype = BUNDLED_SHAPES[name]
        columns = [{"name": f, "dtype": "float64", "n_unique": rows, "n_missing": 0} for f in features]
        columns.append({"name": "target", "dtype": dtype, "n_unique": classes, "n_missing": 0})
        return _about(ref, "a bundled scikit-learn set", rows=rows, columns=columns), None
    generated = {**dict.fromkeys(SYNTHETIC_REFS, "images the Data agent generates"),
                 SYNTHETIC_JOB_ADS: "job adverts the Data agent generates",
                 SYNTHETIC_GROUNDING: "scenes of shapes with text queries the Data agent draws"}
    if ref in generated:
        return _about(ref, generated[ref]), None
    path = Path(ref)
    if not path.exists():
        return _about(ref, "nothing (no such file or folder)", exists=False), None
    if is_image_data(ref):
        if not path.is_dir():
            return _about(ref, "images"), None
        classes = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        files = [{"name": c.name + "/", "rows": sum(1 for f in c.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)}
                 for c in classes]
        return _about(ref, f"images in {len(classes)} class folders", rows=sum(f["rows"] for f in files),
                      files=files), None
    if path.is_dir() and is_text_folder(ref):
        files = [_table_file(p)[0] for p in sorted(path.iterdir())
                 if p.is_file() and p.suffix.lower() in _TABLE_SUFFIXES and not p.name.startswith(".")]
        return _about(ref, "a folder of text tables", files=files), None
    train = _training_file(path) if path.is_dir() else path
    if train is None:
        return _about(ref, "a folder whose table files do not say which one to learn from"), None
    table, frame = _table_file(train)
    what = f"a folder; learning from {train.name}" if path.is_dir() else \
        f"a {path.suffix.lstrip('.').upper() or 'table'} file"
    return _about(ref, what, rows=table["rows"], estimated=table["estimated"], columns=table["columns"]), frame


# ----------------------------------------------------------------------------------------------- plan
def make_plan(request: str, data: str | None = None, *, time_budget_s: float | None = None,
              assume_yes: bool = False, parse: Callable[..., TaskSpec] | None = None,
              llm: LLMClient | None = None, seed: int = 42) -> Plan:
    """The plan of ``request`` on ``data`` (a resolved reference, see
    :func:`~trainer_agent_lab.session.resolve_data`; None: the one the request writes).

    ``parse`` reads the request (default: the rule-based reader); ``llm`` is the planner whose moderation step the
    ethics check consults, as in a run; ``seed`` samples the rows of the signal probe, as the run's seed.
    """
    started = time.perf_counter()
    spec = (parse or parse_request)(request, data=[data] if data else None, time_budget_s=time_budget_s)
    memory = RunMemory(spec=spec, llm=llm)
    task = TaskAgent(None, memory, _quiet)  # type: ignore[arg-type]  # the checks below run no cell
    kind = kind_for(spec.task_type)
    plan = Plan(verdict="run", reason="", spec=spec, kind=kind.name, plan=task.plan(kind.steps(spec), kind.step_titles))
    try:
        task.check_ethics()
        plan.checks.append({"check": "ethics", "outcome": "nothing in the policy forbids it"})
        task.check_capability()
        plan.checks.append({"check": "kind of task", "outcome": f"{kind.name}: the agents train it"})
        task.check_understood(assume_yes)
        plan.checks.append({"check": "requirements", "outcome": "every clause accounted for" if not
                            spec.not_understood else "not understood, so not checked: "
                            + "; ".join(f"“{c}”" for c in spec.not_understood)})
        task.check_budget()
        plan.checks.append({"check": "time budget", "outcome": f"{spec.time_budget_s:g} s" if spec.time_budget_s
                            else "the agents' default"})
        _data_decisions(plan, task, kind, assume_yes, seed)
    except TrainerAgentError as exc:
        plan.verdict, plan.reason = VERDICT_OF_STATUS.get(exc.status, "needs_input"), str(exc)
        if isinstance(exc, NeedsInput):
            plan.question, plan.options = exc.question, list(exc.options)
        plan.checks.append({"check": "stopped", "outcome": f"{plan.verdict} (the reason below)"})
    else:
        plan.reason = ("Every decision the agents can make before training says go: "
                       f"{plan.kind} kind, {len(plan.plan)} steps"
                       + (f", target {plan.target} ({plan.task})" if plan.target else "") + ".")
        plan.unknown_until_run = _unknowable(plan)
    plan.notes = list(memory.notes)
    plan.seconds = round(time.perf_counter() - started, 3)
    return plan


def _data_decisions(plan: Plan, task: TaskAgent, kind: TaskKind, assume_yes: bool, seed: int) -> None:
    """The decisions the Data phase makes before its first training cell, on the peeked data."""
    spec = task.memory.spec
    if not spec.data:
        raise NeedsInput("The request names no data.", hint="Pass --data PATH or a reference such as sklearn:wine.",
                         question="Which data should the model learn from?")
    ref = spec.data[0]
    peek, frame = _peek(ref)
    plan.data = peek
    if not peek["exists"]:
        raise DataError(f"Data not found: {ref}.", hint="Check the path given with --data.")
    size = [f"{peek['rows']:,} rows" if peek.get("rows") is not None else "",
            f"{len(peek['columns'])} columns" if peek.get("columns") else ""]
    plan.checks.append({"check": "data", "outcome": ", ".join([peek["what"], *filter(None, size)])})
    if kind.name != "tables":
        plan.checks.append({"check": "target", "outcome": f"the {kind.name} kind reads the labels from the data"})
        if kind.name == "texts":
            _labels_confirm(plan, spec)
        return
    columns = peek.get("columns") or []
    if not columns:
        return
    if spec.task_type in (None, TaskType.classification) and looks_like_text(peek):
        kind = kind_for(TaskType.text_classification)
        plan.kind, plan.plan = kind.name, task.plan(kind.steps(spec), kind.step_titles)
        plan.checks.append({"check": "kind of task", "outcome": "one column of free text and a label: the "
                            f"{kind.name} kind"})
        _labels_confirm(plan, spec)
        return
    names = [c["name"] for c in columns]
    target = resolve_target(spec, names, assume_yes, ref)
    column = next(c for c in columns if c["name"] == target)
    plan.target, plan.task = target, resolve_task(spec, column, peek["rows"] or len(names))
    plan.checks.append({"check": "target", "outcome": f"{target} ({plan.task})"})
    _model_size(plan, spec, n_features=len(names) - 1, n_classes=column["n_unique"])
    if frame is not None:
        _signal(plan, task, frame, target, seed)


def _signal(plan: Plan, task: TaskAgent, frame: Any, target: str, seed: int) -> None:
    """Whether the inputs predict the target (:mod:`.plan_signal`): the screen, and the run's probe when no column
    shows signal on its own; :class:`Refused` where the run's probe would refuse."""
    from .plan_signal import probe, screen

    assert plan.task is not None
    rows = "the first" if len(frame) >= SAMPLE_ROWS else "all"
    found = screen(frame, target, plan.task)
    if found["evident"]:
        plan.signal = "screen"
        plan.checks.append({"check": "signal", "outcome": f"{found['column']} on its own ({found['statistic']} "
                            f"{found['effect']:.2f}, Bonferroni p {found['p']:.1e}, {rows} {found['rows']:,} rows)"})
        return
    task.memory.target = target
    result = probe(frame, target, plan.task, task.gated_constraints(plan.task), seed)
    plan.signal = "probe"
    outcome = task.judge_feasibility(result)  # raises Refused as the run's probe would
    plan.checks.append({"check": "signal", "outcome": f"no column shows it on its own, so the run's probe ran on "
                        f"{result['rows']:,} of {rows} {len(frame):,} rows read: {outcome}"})


def _labels_confirm(plan: Plan, spec: TaskSpec) -> None:
    """Ask, as the text run does before its learning curve, when the labeled texts could not confirm the accuracy
    asked even if all of them were the test set (:func:`~trainer_agent_lab.knowledge.text_data.unconfirmable`).
    Labeled rows are counted generously (files with a label column, not named as a pool; every row): the run, after
    de-duplication, can only have fewer."""
    target = spec.constraint("accuracy")
    peek = plan.data or {}
    if target is None or target.op not in (">=", ">"):
        return
    if peek.get("files"):
        counted = [f["rows"] for f in peek["files"] if len(f.get("columns", [])) >= 2 and f.get("rows") is not None
                   and not holds_no_labels(f["name"])]
        labeled = sum(counted) if counted else None
    else:
        labeled = peek.get("rows") if len(peek.get("columns") or []) >= 2 else None
    if labeled is None:
        return
    question = unconfirmable(labeled, target.value)
    if question is not None:
        raise question
    plan.checks.append({"check": "labels", "outcome": f"{labeled:,} labeled texts at most: enough to confirm "
                        f"{target.value:.0%} accuracy (at least {examples_to_confirm(target.value)} held out)"})


def _model_size(plan: Plan, spec: TaskSpec, *, n_features: int, n_classes: int) -> None:
    """Refuse, as the Model agent's selection does, a parameter budget no family of the zoo fits — judged on the
    fewest features the run can have (feature requirements only lower it; encoding only raises it)."""
    budget = spec.constraint("parameters")
    if budget is None or plan.task is None:
        return
    features = spec.features
    fewest = min(n for n in (n_features, features.max_inputs, len(features.only) or None) if n)
    classes = n_classes if plan.task == "classification" else 0
    rows = int((plan.data or {}).get("rows") or 0)
    judged = candidates(plan.task, fewest, classes, int(rows * TRAIN_SHARE), budget.value, strict=budget.op == "<")
    if judged and not any(c.kept for c in judged):
        smallest = min(judged, key=lambda c: c.min_parameters)
        raise Refused(f"No model can fit the budget of {budget.target} parameters: the smallest model that can "
                      f"represent this task ({smallest.family.title.lower()} on {fewest} features, "
                      f"{max(classes, 1)} outputs) needs about {smallest.min_parameters:,} parameters.",
                      hint=f"Allow at least {smallest.min_parameters + 1:,} parameters.")
    kept = [c.family.name for c in judged if c.kept]
    plan.checks.append({"check": "model size", "outcome": f"within {budget.target} parameters: {', '.join(kept)}"})


def _unknowable(plan: Plan) -> list[str]:
    """What the run decides only by training: its feasibility probe (unless the plan ran it or a column showed
    signal on its own), and the constraint table at the end."""
    spec = plan.spec
    out = []
    targets = any(c.op in (">=", ">") for c in spec.metric_constraints)
    if plan.kind != "tables" or (plan.signal is None and targets):
        out.append("whether the data has signal and each metric target is within reach (the feasibility probe)")
    elif plan.signal == "screen" and targets:
        out.append("whether each metric target is within reach (the feasibility probe's learning curve)")
    if plan.kind == "texts" and spec.constraint("accuracy"):
        out.append("whether the labeled texts are enough for the accuracy asked (the learning curve), or a teacher "
                   "can make up for them")
    if spec.constraints:
        out.append("whether the finished model meets every constraint (the constraint table)")
    return out
