"""The headless backend: nbformat + a real Jupyter kernel driven by nbclient.

The notebook is written to disk before and after every cell (as papermill does; cheaply, see
:meth:`FileNotebookDriver.save`), so if the process dies the work so far is on disk, outputs included. Whoever
starts the kernel shuts it down: this driver starts its own.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from ..errors import KernelDied
from .driver import FileNotebookDriver, kernel_death

#: Environment for generated kernels: nothing may reach a model hub, runs must be reproducible, and
#: threads must share the machine politely.
KERNEL_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0",
              "PYDEVD_DISABLE_FILE_VALIDATION": "1",
              # OpenMP threads that spin while waiting starve each other (and everything else) when the cores
              # are shared: gradient boosting then runs tens of times slower. Waiting threads sleep instead.
              "OMP_WAIT_POLICY": "PASSIVE"}


class HeadlessDriver(FileNotebookDriver):
    """Runs cells in a kernel it starts, writing the ``.ipynb`` at ``path`` after every cell.

    Parameters
    ----------
    path:
        Where the notebook is written. Its folder is the kernel's working directory.
    kernel_name:
        The Jupyter kernel spec to start (``python3`` is the environment this package runs in).
    startup_timeout:
        Seconds to wait for the kernel to answer before giving up.
    start_now:
        Launch the kernel process at once, so it boots while the agents plan.
    """

    def __init__(self, path: Path, *, kernel_name: str = "python3", startup_timeout: float = 60,
                 start_now: bool = True) -> None:
        super().__init__(path, kernel_name)
        self._client = NotebookClient(
            self.nb, timeout=None, allow_errors=True, kernel_name=kernel_name, record_timing=True,
            startup_timeout=int(startup_timeout), resources={"metadata": {"path": str(self.path.parent)}})
        self._started = False
        self._spawned = False
        #: The out-of-memory killer's count when the kernel started: a higher count at its death names the culprit.
        self._oom_kills_at_start = 0
        #: Seconds the first code cell waited for the kernel to start and answer.
        self.kernel_wait_s = 0.0
        self.save()
        if start_now:
            self._spawn()

    # -- kernel lifetime -------------------------------------------------------------------------
    def _spawn(self) -> None:
        """Launch the kernel process; it boots while the agents plan (connecting waits for it)."""
        self._client.km = self._client.create_kernel_manager()
        self._oom_kills_at_start = _oom_kills()
        self._client.start_new_kernel(cwd=str(self.path.parent), env={**os.environ, **KERNEL_ENV})
        self._spawned = True

    def start(self) -> None:
        """Start the kernel if needed and wait until it answers (the first code cell does this itself)."""
        if self._started:
            return
        began = time.perf_counter()
        try:
            if not self._spawned:
                self._spawn()
            self._client.start_new_kernel_client()
        except Exception as exc:
            raise KernelDied(f"The kernel did not start: {exc}",
                             hint="Check that ipykernel is installed in this environment.") from exc
        self._started = True
        self.kernel_wait_s += time.perf_counter() - began

    def close(self) -> None:
        """Validate and save the notebook, and shut down the kernel this driver started."""
        self.write_final()
        if self._spawned:
            try:
                process = getattr(getattr(self._client.km, "provisioner", None), "process", None)
                if not self._started and process is not None:
                    # Never connected (the run stopped before its first code cell): nothing in it to shut
                    # down cleanly, and the graceful path starts with SIGINT, which makes a kernel that is
                    # still importing print a KeyboardInterrupt traceback onto our stderr.
                    process.kill()
                    process.wait(timeout=10)
                self._client._cleanup_kernel()
            finally:
                self._started = self._spawned = False

    def interrupt(self) -> None:
        """Send an interrupt to the kernel; the running cell ends with KeyboardInterrupt."""
        # SIGINT straight to the kernel process: safe from any thread (the kernel manager's own
        # interrupt is a coroutine bound to the thread that runs the cells, which is busy).
        process = self._kernel_process()
        if self._started and process is not None:
            process.send_signal(signal.SIGINT)

    def _kernel_process(self) -> Any:
        """The kernel's ``Popen`` (None before it started or after it was cleaned up)."""
        return getattr(getattr(self._client.km, "provisioner", None), "process", None)

    def _execute(self, cell: Any, index: int) -> float:
        self.start()
        began = time.perf_counter()
        try:
            self._client.execute_cell(cell, index)
        except DeadKernelError as exc:
            self._started = False
            process = self._kernel_process()
            code = process.poll() if process is not None else None
            cause, hint = kernel_death(code, oom_killed=_oom_kills() > self._oom_kills_at_start)
            step = (cell.get("metadata", {}).get("trainer_agent") or {}).get("step")
            where = f"the {step} cell (cell {index + 1})" if step else f"cell {index + 1}"
            raise KernelDied(f"The kernel died while running {where}: {cause}.", hint=hint, exit_code=code,
                             signal=-code if code is not None and code < 0 else None) from exc
        return time.perf_counter() - began


def _oom_kills() -> int:
    """How many processes the out-of-memory killer stopped in this machine's (or container's) memory cgroup so far;
    0 where the count cannot be read (cgroup v2 ``memory.events``, v1 ``memory.oom_control``)."""
    for name in ("memory.events", "memory/memory.oom_control"):
        try:
            text = Path("/sys/fs/cgroup", name).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
    return 0
