"""TrainerAgent Lab: four agents turn a request into an executed notebook, a model and a deployment bundle.

>>> from trainer_agent_lab import run
>>> report = run("wine classifier, at least 95% accuracy", "sklearn:wine")  # doctest: +SKIP
>>> report.status, report.metrics["accuracy"]  # doctest: +SKIP
>>> plan("a speech recognition model with 99% word accuracy").verdict  # doctest: +SKIP
'refuse'

Every front door — :func:`run` and :func:`plan` and the ``trainer-agent`` CLI, :class:`TrainerAgent`, the
``%%traineragent`` magic, the chat panel's Jupyter server extension (:mod:`trainer_agent_lab.jupyter_extension`)
and the jupyter-ai persona — is a thin adapter over one :class:`Session`.

The names below are imported when first used (PEP 562), so that ``trainer-agent plan`` and ``--help`` start in
a fraction of a second instead of loading the notebook, kernel and IPython machinery first.
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING

__version__ = "0.1.0"

#: Each public name -> the module (relative to this package) it comes from.
_EXPORTS = {
    "CellExecutionFailed": ".errors", "DataError": ".errors", "KernelDied": ".errors", "LLMError": ".errors",
    "NeedsInput": ".errors", "Refused": ".errors", "RunInterrupted": ".errors", "SpecError": ".errors",
    "TrainerAgentError": ".errors", "UsageError": ".errors",
    "Event": ".agents.base", "RunMemory": ".agents.base",
    "Plan": ".planning",
    "TrainerAgent": ".api", "plan": ".api", "run": ".api",
    "LLMClient": ".llm", "make_llm": ".llm", "parse_request": ".llm",
    "load_ipython_extension": ".magics",
    "ExecutionResult": ".notebook.driver", "NotebookDriver": ".notebook.driver",
    "HeadlessDriver": ".notebook.headless",
    "Orchestrator": ".orchestrator",
    "RunReport": ".report",
    "Session": ".session",
    "Constraint": ".spec", "TaskSpec": ".spec", "TaskType": ".spec",
}

__all__ = [
    "CellExecutionFailed",
    "Constraint",
    "DataError",
    "Event",
    "ExecutionResult",
    "HeadlessDriver",
    "KernelDied",
    "LLMClient",
    "LLMError",
    "NeedsInput",
    "NotebookDriver",
    "Orchestrator",
    "Plan",
    "Refused",
    "RunInterrupted",
    "RunMemory",
    "RunReport",
    "Session",
    "SpecError",
    "TaskSpec",
    "TaskType",
    "TrainerAgent",
    "TrainerAgentError",
    "UsageError",
    "load_ipython_extension",
    "make_llm",
    "parse_request",
    "plan",
    "run",
]


def __getattr__(name: str) -> object:
    """Import a public name on first use (and keep it, so later lookups are plain attribute reads)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if _TYPE_CHECKING:  # what static checkers and IDEs see
    from .agents.base import Event, RunMemory
    from .api import TrainerAgent, plan, run
    from .errors import (
        CellExecutionFailed,
        DataError,
        KernelDied,
        LLMError,
        NeedsInput,
        Refused,
        RunInterrupted,
        SpecError,
        TrainerAgentError,
        UsageError,
    )
    from .llm import LLMClient, make_llm, parse_request
    from .magics import load_ipython_extension
    from .notebook.driver import ExecutionResult, NotebookDriver
    from .notebook.headless import HeadlessDriver
    from .orchestrator import Orchestrator
    from .planning import Plan
    from .report import RunReport
    from .session import Session
    from .spec import Constraint, TaskSpec, TaskType
