"""One :class:`Session` behind every front door: it resolves the data reference, builds the LLM and the
notebook driver, and runs or revises.

::

    trainer-agent run / run()      Session(out=..., data=...).run(request)              headless driver
    TrainerAgent(data).ask(...)    a Session with assume_yes=True                        headless driver
    %%traineragent                 Session(driver=in-kernel driver).run / .revise        the user's shell
    chat panel (jupyter_extension) Session(notebook=the open notebook, driver=live).ask  the notebook's kernel
    @TrainerAgent (personas.py)    Session(base=the chat's folder).ask                   headless driver

Data references (:func:`resolve_data`), the same in every door:

=========================================  ==================================================================
``sklearn:NAME``                           a set scikit-learn ships: iris, wine, digits, breast_cancer,
                                           diabetes, linnerud
``synthetic:shapes``, ``synthetic:job-ads``  data the Data agent generates first (images; job adverts, also
                                           written ``synthetic:job_ads``; ``synthetic:grounding``: scenes of
                                           shapes with referring queries and their boxes)
a path                                     a file (CSV, TSV, Parquet, JSON lines, ``.npz``), or a folder (one
                                           sub-folder of images per class, a ``datasets`` folder saved to disk,
                                           a folder of text tables); ``~`` expanded, relative paths read from
                                           the door's folder (``base``: the working directory, the notebook's
                                           folder, the chat's folder), then made absolute
=========================================  ==================================================================

When the door gives no data, the first reference the request itself writes is used, resolved the same way.
A missing file is not an error here: the run's load cell says so in the notebook (a door may refuse earlier
with :attr:`DataRef.exists`).

Run folders, the same rule in every door: a run writes only into a folder of its own. Without ``out`` the
session makes a fresh one when it starts (``runs/<YYYYMMDD-HHMMSS>``, with ``-2``, ``-3``... when that name is
taken; the chat panel's is ``runs/<notebook stem>-<time>`` beside the notebook). A folder that is named
(``--out DIR``, ``out=``) must not exist yet or be empty: one that holds anything — the user's files, or an
earlier run's, ``report.json`` and all — is refused with a :class:`UsageError` (CLI exit 2) before anything is
written (:func:`check_run_folder`).
"""

from __future__ import annotations

import importlib.util
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .agents.base import Event, EventSink, RunMemory
from .errors import UsageError
from .knowledge.datasets import BUNDLED_TARGETS
from .knowledge.image_data import SYNTHETIC_REFS
from .knowledge.text_data import SYNTHETIC_JOB_ADS
from .llm.base import LLMClient
from .llm.factory import make_llm
from .llm.rule_reader import parse_request
from .llm.vocabulary import SYNTHETIC_GROUNDING
from .notebook.driver import NotebookDriver
from .orchestrator import Orchestrator, Parser
from .planning import Plan, make_plan
from .report import RunReport
from .spec import parse_engine

__all__ = ["DataRef", "DriverFactory", "Session", "answered_request", "check_engine", "check_run_folder",
           "check_time_budget", "new_run_folder", "resolve_data"]

#: The data the Data agent generates, by every name it may be written with.
SYNTHETIC = {ref.split(":", 1)[1]: ref for ref in (*SYNTHETIC_REFS, SYNTHETIC_JOB_ADS, SYNTHETIC_GROUNDING)}
#: How a door makes the driver of a session's notebook (called once, with the notebook's path).
DriverFactory = Callable[[Path], NotebookDriver]


def _quiet(event: Event) -> None:
    """The default event sink: nobody is listening."""


@dataclass(frozen=True)
class DataRef:
    """A resolved data reference: ``ref`` is what the agents are given, ``kind`` what it names."""

    ref: str
    kind: Literal["sklearn", "synthetic", "path"]

    @property
    def path(self) -> Path | None:
        """The file or folder, for a path; None for bundled and generated data."""
        return Path(self.ref) if self.kind == "path" else None

    @property
    def exists(self) -> bool:
        """False only for a path with nothing there."""
        return self.kind != "path" or Path(self.ref).exists()

    def __str__(self) -> str:
        return self.ref


def resolve_data(ref: str | None, base: str | Path | None = None) -> DataRef | None:
    """``ref`` resolved as every door resolves it (see the module docstring); None for no data.

    Raises :class:`UsageError` for a bundled or generated set that does not exist.
    """
    text = (ref or "").strip()
    if not text:
        return None
    scheme, _, name = text.partition(":")
    if scheme.lower() == "sklearn":
        key = name.lower()
        if key not in BUNDLED_TARGETS:
            raise UsageError(f"{text!r} is not a bundled data set.", hint="scikit-learn ships "
                             + ", ".join(f"sklearn:{n}" for n in BUNDLED_TARGETS) + ".")
        return DataRef(f"sklearn:{key}", "sklearn")
    if scheme.lower() == "synthetic":
        key = name.lower().replace("_", "-")
        if key not in SYNTHETIC:
            raise UsageError(f"{text!r} is not data the agents can generate.",
                             hint="Use " + " or ".join(SYNTHETIC.values()) + ".")
        return DataRef(SYNTHETIC[key], "synthetic")
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = Path(base or Path.cwd()).expanduser() / path
    return DataRef(str(path.resolve()), "path")


def data_in_request(request: str, base: str | Path | None = None) -> DataRef | None:
    """The first data reference ``request`` writes (read by the rule-based reader), resolved; None if none."""
    refs = parse_request(request).data
    return resolve_data(refs[0], base) if refs else None


def check_engine(value: str | None) -> tuple[str, str | None]:
    """``--engine``'s value as (engine, address) (:func:`~trainer_agent_lab.spec.parse_engine`); ``ray`` needs Ray
    installed here (the ``ray`` extra). Raises :class:`UsageError` for an unknown engine or a missing Ray."""
    engine = parse_engine(value)
    if engine[0] == "ray" and importlib.util.find_spec("ray") is None:
        raise UsageError("--engine ray needs Ray, which is not installed in this environment.",
                         hint="Install it with: pip install 'trainer-agent-lab[ray]' (Ray Tune and Ray Serve).")
    return engine


def check_time_budget(value: Any, what: str = "The time budget") -> float | None:
    """``value`` as seconds (None stays None); :class:`UsageError` unless it is a positive finite number."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not 0 < seconds < math.inf:  # NaN fails this too
        raise UsageError(f"{what} must be a positive number of seconds, not {value!r}.")
    return seconds


def check_run_folder(out: str | Path) -> Path:
    """``out`` made absolute, if a run may write into it: it does not exist yet, or is an empty folder.

    Raises :class:`UsageError` (CLI exit 2) for a file, or a folder that holds anything — the person's own
    files or an earlier run's (its ``report.json`` too): a run never writes over a file it did not create.
    """
    path = Path(out).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(f"The run folder {path} is a file, not a folder.",
                         hint="Name a new or empty folder for the run, or name none and a fresh one is made.")
    held = sorted(p.name for p in path.iterdir()) if path.is_dir() else []
    if held:
        shown = ", ".join(held[:4]) + (f" and {len(held) - 4} more" if len(held) > 4 else "")
        raise UsageError(f"The run folder {path} already holds files ({shown}); a run writes only into a folder "
                         "of its own and never over files it did not create.",
                         hint="Name a new or empty folder for the run, or name none and a fresh one is made "
                              "(runs/<time>).")
    return path


def new_run_folder(parent: str | Path, name: str | None = None) -> Path:
    """Make and return a new, empty folder ``parent/name`` (default name: the time, ``YYYYMMDD-HHMMSS``); when
    that name is taken, ``name-2``, ``name-3``... (made atomically, so two runs never get the same folder)."""
    parent = Path(parent).expanduser().resolve()
    name = name or time.strftime("%Y%m%d-%H%M%S")
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"Run folders go into {parent}, but that is a file.",
                         hint="Rename or move the file, or name the run folder yourself.")
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        folder = parent / (name if n == 1 else f"{name}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise UsageError(f"Every run folder name {name}-N under {parent} is taken.", hint="Tidy up old runs there.")


def build_llm(llm: str | LLMClient | None = "offline", **options: Any) -> LLMClient:
    """The planner: ``"offline"`` (None too), ``"openai"`` (``options`` go to :func:`make_llm`) or a client."""
    if llm is None or isinstance(llm, str):
        return make_llm(llm or "offline", **{k: v for k, v in options.items() if v is not None})
    if not callable(getattr(llm, "parse_request", None)):
        raise UsageError(f"llm must be 'offline', 'openai' or an LLM client, not {type(llm).__name__}.")
    return llm


def answered_request(request: str, report: RunReport | None, answer: str,
                     time_budget_s: float | None) -> tuple[str, float | None]:
    """The request to run again once the person answered the agents' question (or added to the request)."""
    question = (report.question or "").lower() if report else ""
    if "target" in question or "column" in question:
        return f"{request.rstrip('. ')}. The target column is {answer.strip()}.", time_budget_s
    if "seconds" in question or "time budget" in question:
        match = re.search(r"\d+(?:\.\d+)?", answer)
        if match:
            return request, float(match.group())
    return f"{request.rstrip('. ')}. {answer.strip()}", time_budget_s


def headless(path: Path) -> NotebookDriver:
    """The default driver: a notebook file and a kernel of its own (started at once, so it boots while the
    agents plan)."""
    from .notebook.headless import HeadlessDriver  # here: nbclient and jupyter_client load only for a run

    return HeadlessDriver(path)


class Session:
    """A conversation with the agents over one notebook: the first message asks for a model, an answer to the
    agents' question is asked together with its request, later messages change requirements.

    Everything is checked when the session is made (a bad data reference, time budget or LLM setting, or a named
    run folder that already holds files, raises :class:`UsageError` before any folder or kernel exists); the
    folder, the driver and the orchestrator are made by :meth:`start`, which the first message calls.

    Parameters
    ----------
    data:
        A data reference (see :func:`resolve_data`); None: the one the request writes.
    out:
        The run folder: ``spec.json``, ``report.json``, ``bundle/``. It must not exist or be empty
        (:func:`check_run_folder`; else :class:`UsageError`). Default: a fresh ``runs/<timestamp>`` made by
        :meth:`start` (:func:`new_run_folder`; ``self.out`` names it from then on).
    notebook:
        The notebook the cells go into (default ``OUT/notebook.ipynb``); it may lie outside ``out`` (the chat
        panel's notebook stays where the person has it).
    base:
        The folder relative data paths are read from (default: the working directory).
    time_budget_s:
        Seconds the run may take (None: the request's, else the agents' default).
    llm, llm_options:
        ``"offline"`` (the rule-based reader, also for None), ``"openai"`` with ``llm_options`` for
        :func:`~trainer_agent_lab.llm.make_llm` (``base_url``, ``model``, ``api_key_env``...), or a planner.
    parse:
        A request reader to use instead of the planner's.
    driver:
        Makes the notebook driver from the notebook's path (default: :class:`HeadlessDriver`).
    assume_yes:
        Answer the agents' questions with their defaults instead of stopping with ``needs_input``.
    on_event:
        Called with every agent :class:`Event`; may be replaced at any time (``session.on_event = ...``).
    seed:
        The seed of every random step in the notebook.
    engine:
        Where the model search runs: None or ``"local"`` (this kernel), ``"ray"`` (Ray Tune trials on a Ray started
        for the run) or ``"ray=ADDRESS"`` (on the Ray cluster there); see :func:`check_engine`.
    """

    def __init__(self, *, data: str | None = None, out: str | Path | None = None,
                 notebook: str | Path | None = None, base: str | Path | None = None,
                 time_budget_s: float | None = None, llm: str | LLMClient | None = "offline",
                 llm_options: dict[str, Any] | None = None, parse: Parser | None = None,
                 driver: DriverFactory = headless, assume_yes: bool = False, on_event: EventSink = _quiet,
                 seed: int = 42, engine: str | None = None) -> None:
        self.base = Path(base).expanduser().resolve() if base else Path.cwd()
        #: Where the model search runs: ("local", None) or ("ray", the cluster's address or None).
        self.engine = check_engine(engine)
        #: The data every request of this session uses (None: each request's own).
        self.data = resolve_data(data, self.base)
        self.time_budget_s = check_time_budget(time_budget_s)
        #: The planner: reads the requests (unless ``parse`` is given), moderates them, proposes repairs.
        self.llm = build_llm(llm, **(llm_options or {}))
        #: Whether :meth:`start` picks a fresh folder (no ``out`` given): until then ``out`` is only its first choice.
        self._fresh_out = out is None
        self.out = (Path("runs").resolve() / time.strftime("%Y%m%d-%H%M%S") if out is None
                    else check_run_folder(out))
        self._own_notebook = notebook is None
        self.notebook = Path(notebook).expanduser().resolve() if notebook else self.out / "notebook.ipynb"
        self.parse, self.assume_yes, self.seed = parse, assume_yes, seed
        self.on_event: EventSink = on_event
        self._make_driver = driver
        self.driver: NotebookDriver | None = None
        self.orchestrator: Orchestrator | None = None
        #: The request of the latest run (with the answers asked together with it).
        self.request: str | None = None
        #: Every report so far, oldest first.
        self.reports: list[RunReport] = []

    # -- state ------------------------------------------------------------------------------------------
    @property
    def memory(self) -> RunMemory | None:
        """What the agents know about the latest run (None before the first)."""
        return self.orchestrator.memory if self.orchestrator is not None else None

    @property
    def prepared(self) -> bool:
        """Whether a run has prepared its data, so that messages are now requirement changes."""
        memory = self.memory
        return memory is not None and "split" in memory.results

    @property
    def report(self) -> RunReport | None:
        """The latest report."""
        return self.reports[-1] if self.reports else None

    @property
    def plan(self) -> list[dict[str, Any]]:
        """The latest run's plan: ``{"step", "agent", "title"}`` per step (empty before it is made)."""
        return list(getattr(self.orchestrator, "_plan", None) or [])

    def data_for(self, request: str) -> DataRef | None:
        """The data a run of ``request`` uses: the session's, else the first reference the request writes."""
        return self.data or data_in_request(request, self.base)

    def plan_for(self, request: str) -> Plan:
        """What a run of ``request`` would do and whether it would start (``run`` | ``refuse`` |
        ``needs_input``), decided as the run decides, on a peek at the data: no folder, kernel or training
        (:func:`~trainer_agent_lab.planning.make_plan`). Every door's ``plan`` is this."""
        request = (request or "").strip()
        if not request:
            raise UsageError("The request is empty: say what model you need.")
        data = self.data_for(request)
        return make_plan(request, data.ref if data else None, time_budget_s=self.time_budget_s,
                         assume_yes=self.assume_yes, parse=self.parse or self.llm.parse_request, llm=self.llm)

    # -- doing ------------------------------------------------------------------------------------------
    def start(self) -> Session:
        """Make the run folder, the notebook driver and the orchestrator (once; the first message calls it).

        The folder is a fresh one (no ``out`` given) or the one named, checked again here: a folder that came to
        hold anything since the session was made is refused (:func:`check_run_folder`)."""
        if self.orchestrator is None:
            if self._fresh_out:
                self.out = new_run_folder(self.out.parent, self.out.name)
            else:
                check_run_folder(self.out).mkdir(parents=True, exist_ok=True)
            if self._own_notebook:
                self.notebook = self.out / "notebook.ipynb"
            self.driver = self._make_driver(self.notebook)
            self.orchestrator = Orchestrator(self.driver, self.out, parse=self.parse,
                                             on_event=lambda event: self.on_event(event),
                                             assume_yes=self.assume_yes, seed=self.seed, llm=self.llm,
                                             engine=self.engine)
        return self

    def ask(self, message: str) -> RunReport:
        """Answer one message: a change once data is prepared; after a question, the request again with the
        answer; otherwise a new request."""
        if self.prepared:
            return self.revise(message)
        report = self.report
        if report is not None and report.status == "needs_input" and self.request:
            request, self.time_budget_s = answered_request(self.request, report, message, self.time_budget_s)
            return self.run(request)
        return self.run(message)

    def run(self, request: str) -> RunReport:
        """Run ``request`` from the start: parse, plan, then the agents' cells; return the report."""
        request = (request or "").strip()
        if not request:
            raise UsageError("The request is empty: say what model you need.")
        data = self.data_for(request)
        self.request = request
        orchestrator = self.start().orchestrator
        assert orchestrator is not None
        return self._keep(orchestrator.run(request, data=data.ref if data else None,
                                           time_budget_s=self.time_budget_s))

    def revise(self, message: str) -> RunReport:
        """Apply a requirement change to the prepared run, re-running only the agents it concerns."""
        if not self.prepared or self.orchestrator is None:
            raise UsageError("There is no prepared run to change: ask for a model first.")
        return self._keep(self.orchestrator.revise(message))

    def _keep(self, report: RunReport) -> RunReport:
        self.reports.append(report)
        return report

    def interrupt(self) -> None:
        """Interrupt the running cell (the run ends; the notebook so far is kept)."""
        if self.driver is not None:
            self.driver.interrupt()

    def renew_driver(self) -> NotebookDriver:
        """A new driver on the same notebook for the next turn (a stopped live driver runs no more cells)."""
        self.start()
        assert self.orchestrator is not None
        self.driver = self.orchestrator.driver = self._make_driver(self.notebook)
        return self.driver

    def close(self) -> None:
        """Save the notebook and stop the kernel the driver started."""
        if self.driver is not None:
            self.driver.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
