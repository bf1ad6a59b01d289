"""The Python front doors: :func:`run` (one request, end to end), :func:`plan` (what a run would do, without
training) and :class:`TrainerAgent` (a conversation).

Both are thin adapters over :class:`~trainer_agent_lab.session.Session`, with a headless notebook.
"""

from __future__ import annotations

from pathlib import Path

from .agents.base import EventSink
from .llm.base import LLMClient
from .planning import Plan
from .report import RunReport
from .session import Parser, Session, _quiet


def run(request: str, data: str | None = None, *, out: str | Path | None = None,
        time_budget_s: float | None = None, assume_yes: bool = False, on_event: EventSink = _quiet,
        llm: str | LLMClient = "offline", engine: str | None = None) -> RunReport:
    """Run ``request`` on ``data`` and return the report.

    ``data`` is a path (file or folder; relative to the working directory), ``sklearn:NAME`` or
    ``synthetic:shapes`` / ``synthetic:job-ads`` (see :func:`~trainer_agent_lab.session.resolve_data`); None:
    the data the request names. The run folder ``out`` receives ``notebook.ipynb``, ``spec.json``, ``report.json``,
    ``bundle/`` and ``bundle.zip``: it must be new or empty (a folder that holds anything, an earlier run's files
    too, raises :class:`~trainer_agent_lab.errors.UsageError`: a run never writes over a file it did not create);
    default: a fresh ``runs/<timestamp>`` (``report.paths["notebook"]`` names it). The kernel is started and shut
    down here.

    ``llm`` reads the request: ``"offline"`` (the rule-based reader, the default), ``"openai"`` (an
    OpenAI-compatible endpoint configured by ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` /
    ``TRAINER_AGENT_LLM_MODEL``) or a planner made with :func:`trainer_agent_lab.llm.make_llm`. When the model
    fails the rule-based reading is used; what happened is shown as a Task agent message and kept in
    ``report.notes``. A model also moderates the request against the ethics policy and proposes repairs for
    failing cells that no offline rule can fix (see :class:`~trainer_agent_lab.orchestrator.Orchestrator`).
    ``engine``: where the model search runs: None or ``"local"``, ``"ray"`` (Ray Tune trials on a Ray started for
    the run) or ``"ray=HOST:PORT"`` (on that cluster); ``report.engine`` says where it ran.
    Bad arguments raise :class:`~trainer_agent_lab.errors.UsageError` before anything starts.
    """
    with Session(data=data, out=out, time_budget_s=time_budget_s, llm=llm, assume_yes=assume_yes,
                 on_event=on_event, engine=engine) as session:
        return session.run(request)


def plan(request: str, data: str | None = None, *, time_budget_s: float | None = None, assume_yes: bool = False,
         llm: str | LLMClient = "offline") -> Plan:
    """What a run of ``request`` on ``data`` would do, and whether it would start: ``plan(...).verdict`` is
    ``"run"``, ``"refuse"`` or ``"needs_input"`` (with ``.reason``, ``.spec``, ``.plan``, ``.not_understood``;
    ``.to_json()`` is what ``trainer-agent plan --json`` prints).

    The Task agent's own checks decide, as in :func:`run` with the same arguments, on a peek at the data (its
    columns, types and size): no folder, no kernel, no training, so it answers in about a second. What only
    training can tell (signal, reachable metric targets) is listed in ``.unknown_until_run``. Bad arguments raise
    :class:`~trainer_agent_lab.errors.UsageError`.
    """
    return Session(data=data, time_budget_s=time_budget_s, llm=llm, assume_yes=assume_yes).plan_for(request)


class TrainerAgent(Session):
    """A multi-turn session over one notebook and one kernel (a :class:`Session` that answers the agents'
    questions with their defaults unless told otherwise). ``out`` follows :func:`run`'s rule: new or empty, or
    None for a fresh ``runs/<timestamp>`` (``agent.out`` names it once the first message started it).

    >>> with TrainerAgent("sklearn:wine", out="runs/wine") as agent:  # doctest: +SKIP
    ...     agent.ask("classify the wine data with at least 90% accuracy")
    ...     agent.ask("now also deploy on 2 GB containers at 100 QPS")   # only the Server agent re-runs
    ...     agent.ask("accuracy must now be 95%")                        # the Model agent continues
    """

    def __init__(self, data: str | None = None, *, out: str | Path | None = None,
                 time_budget_s: float | None = None, assume_yes: bool = True, on_event: EventSink = _quiet,
                 parse: Parser | None = None, llm: str | LLMClient | None = None, engine: str | None = None) -> None:
        """``llm``: ``"offline"``, ``"openai"`` or a planner (:func:`~trainer_agent_lab.llm.make_llm`); with a
        model, it reads the requests (unless ``parse`` is given), moderates them and proposes cell repairs.
        ``engine``: as for :func:`run`."""
        super().__init__(data=data, out=out, time_budget_s=time_budget_s, assume_yes=assume_yes,
                         on_event=on_event, parse=parse, llm=llm, engine=engine)
