"""TrainerAgent Lab: four agents turn a request into an executed notebook, a model and a deployment bundle.

>>> from trainer_agent_lab import run
>>> report = run("wine classifier, at least 95% accuracy", "sklearn:wine")  # doctest: +SKIP
>>> report.status, report.metrics["accuracy"]  # doctest: +SKIP

Every front door — :func:`run` and the ``trainer-agent`` CLI, :class:`TrainerAgent`, the ``%%traineragent``
magic, the chat panel's Jupyter server extension (:mod:`trainer_agent_lab.jupyter_extension`) and the
jupyter-ai persona — is a thin adapter over one :class:`Session`.
"""

from .agents.base import Event, RunMemory
from .api import TrainerAgent, run
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
from .report import RunReport
from .session import Session
from .spec import Constraint, TaskSpec, TaskType

__version__ = "0.1.0"

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
    "run",
]
