"""One exception tree for the whole package.

::

    TrainerAgentError                 base of everything raised on purpose
    ├── UsageError                    bad command-line or API arguments (CLI exit code 2)
    ├── SpecError                     a request or spec that cannot be understood
    ├── DataError                     data that cannot be used as given        -> status "failed"
    ├── NeedsInput                    the agents need an answer from the user  -> status "needs_input"
    ├── Refused                       infeasible or unethical request          -> status "refused"
    ├── CellExecutionFailed           a generated cell raised; carries the structured error
    ├── KernelDied                    the kernel running the notebook went away
    ├── RunInterrupted                the user stopped the run
    └── LLMError                      an LLM backend failed or answered nonsense

Each error says what was wrong and what to do about it. ``status`` is the ``report.json`` status a run
that ends with the error gets.
"""

from __future__ import annotations

from typing import Any


class TrainerAgentError(Exception):
    """Base class of every error this package raises on purpose."""

    status = "failed"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class UsageError(TrainerAgentError):
    """Bad arguments to the CLI or the Python API."""


class SpecError(TrainerAgentError):
    """A request or a spec that cannot be understood."""


class DataError(TrainerAgentError):
    """Data that cannot be used as given (missing, empty, unparseable, wrong target)."""


class NeedsInput(TrainerAgentError):
    """The agents need an answer from the user before they can go on."""

    status = "needs_input"

    def __init__(self, message: str, *, hint: str | None = None, question: str | None = None,
                 options: list[str] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.question = question
        self.options = options or []


class Refused(TrainerAgentError):
    """The request is infeasible or must not be done."""

    status = "refused"


class CellExecutionFailed(TrainerAgentError):
    """A generated cell raised; ``error`` holds ename, evalue, traceback and source."""

    def __init__(self, message: str, *, error: dict[str, Any], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.error = error


class KernelDied(TrainerAgentError):
    """The kernel running the notebook died or stopped answering.

    ``exit_code`` is the kernel process's exit status where it is known, and ``signal`` the number of the signal
    that killed it (9 for SIGKILL: the out-of-memory killer, or a stop from outside).
    """

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None,
                 signal: int | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code
        self.signal = signal


class RunInterrupted(TrainerAgentError):
    """The user stopped the run."""


class LLMError(TrainerAgentError):
    """An LLM backend failed or gave output that does not validate."""
