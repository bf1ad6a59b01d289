"""Offline repairs for failing cells: read the traceback, edit the cell, run it again.

Each rule recognises one common kind of failure from the error's name and message and rewrites the cell's
source; a rule that cannot help returns ``None``. The kinds: a missing package, a keyword argument the
installed library version does not know, text where numbers were expected, a 1-D array where 2-D was
expected, running out of memory (smaller batches, fewer rows, one worker), and an optimiser that did not
converge (more iterations). Failures that are the data's or the user's (a missing file, a bad column) are
not repaired: they are reported with their own clear message.

When no rule knows the fix and a language model is configured, the agents ask the model for a corrected cell
(:meth:`~trainer_agent_lab.llm.base.LLMClient.propose_repair`) — except for the failures in
:data:`NOT_FOR_MODEL` and the steps in :data:`MODEL_FREE_STEPS`, which say something about the data or the
budget that rewriting code would only hide. :func:`vet_proposal` checks the model's cell before it runs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..notebook.results import CellError

#: Import names whose PyPI package is called something else.
PACKAGES = {"sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow", "cv2": "opencv-python-headless",
            "skimage": "scikit-image", "onnxruntime": "onnxruntime", "google.protobuf": "protobuf"}


@dataclass(frozen=True)
class Repair:
    """An edited cell and why it should now work."""

    kind: str
    why: str
    source: str


def _missing_package(source: str, error: CellError) -> Repair | None:
    match = re.search(r"No module named '([\w.]+)'", error.evalue)
    if error.ename not in ("ModuleNotFoundError", "ImportError") or not match:
        return None
    module = match.group(1)
    package = PACKAGES.get(module, PACKAGES.get(module.split(".")[0], module.split(".")[0].replace("_", "-")))
    if f"%pip install -q {package}" in source:
        return None
    return Repair("missing package", f"the package {package} is not installed; install it in the kernel",
                  f"%pip install -q {package}\n{source}")


def _unknown_keyword(source: str, error: CellError) -> Repair | None:
    match = re.search(r"unexpected keyword argument '(\w+)'", error.evalue)
    if error.ename != "TypeError" or not match:
        return None
    name = match.group(1)
    edited = re.sub(rf",?\s*\b{name}\s*=\s*(\"[^\"]*\"|'[^']*'|[\w.\-]+(\([^()]*\))?)", "", source)
    if edited == source:
        return None
    return Repair("unknown keyword", f"this library version has no '{name}' argument; call it without", edited)


def _text_as_number(source: str, error: CellError) -> Repair | None:
    if error.ename != "ValueError" or "could not convert string to float" not in error.evalue:
        return None
    edited = re.sub(r"\.astype\(\s*(float|\"float64\"|'float64'|\"float32\"|'float32'|np\.float64|np\.float32)\s*\)",
                    r".apply(pd.to_numeric, errors='coerce')", source)
    if edited == source:
        return None
    return Repair("dtype", "a column holds text where numbers were expected; read it as numbers, unparseable "
                  "values becoming missing", edited)


def _one_dimensional(source: str, error: CellError) -> Repair | None:
    if error.ename != "ValueError" or "Expected 2D array, got 1D array" not in error.evalue:
        return None
    edited = re.sub(r"\.(fit|predict|predict_proba|transform|fit_transform|score)\(\s*([A-Za-z_]\w*)\s*([,)])",
                    r".\1(np.asarray(\2).reshape(-1, 1)\3", source, count=1)
    if edited == source:
        return None
    return Repair("shape", "a single feature was passed as a 1-D array; reshape it to one column", edited)


def _out_of_memory(source: str, error: CellError) -> Repair | None:
    if error.ename != "MemoryError" and "Unable to allocate" not in error.evalue:
        return None
    edited = re.sub(r"^(BATCH_SIZE|MAX_ROWS|N_ESTIMATORS)\s*=\s*(\d+)",
                    lambda m: f"{m.group(1)} = {max(1, int(m.group(2)) // 2)}", source, flags=re.M)
    edited = re.sub(r"n_jobs\s*=\s*-1", "n_jobs=1", edited)
    if edited == source:
        return None
    return Repair("memory", "the kernel ran out of memory; halve the batch, row and ensemble sizes, one worker",
                  edited)


def _not_converged(source: str, error: CellError) -> Repair | None:
    text = f"{error.ename} {error.evalue}"
    if not re.search(r"ConvergenceWarning|did not converge|failed to converge|maximum number of iterations",
                     text, re.I):
        return None
    edited = re.sub(r"max_iter\s*=\s*(\d+)", lambda m: f"max_iter={int(m.group(1)) * 4}", source)
    if edited == source:
        return None
    return Repair("non-convergence", "the optimiser stopped before converging; allow four times the iterations",
                  edited)


RULES: tuple[Callable[[str, CellError], Repair | None], ...] = (
    _missing_package, _unknown_keyword, _text_as_number, _one_dimensional, _out_of_memory, _not_converged)


def diagnose(source: str, error: CellError) -> Repair | None:
    """The first rule that can repair ``source`` after ``error``, or ``None``."""
    for rule in RULES:
        repair = rule(source, error)
        if repair is not None:
            return repair
    return None


# ------------------------------------------------------------------------------- repairs by a language model
#: Errors that are not the code's fault: a model must not rewrite them away (a missing file, the time budget,
#: the user's stop).
NOT_FOR_MODEL = frozenset({"FileNotFoundError", "PermissionError", "IsADirectoryError", "NotADirectoryError",
                           "KeyboardInterrupt", "TimeoutError", "SystemExit", "KernelDied"})
#: Steps whose failures are about the data as given: reported to the user, never rewritten by a model
#: (a model "fixing" the load cell could quietly load something else).
MODEL_FREE_STEPS = frozenset({"load"})
_WHY_RE = re.compile(r"\A# (?!Repaired \()[^\n]*")
_REPAIRED_RE = re.compile(r"\A(# Repaired \(.*\n)+")


def model_may_repair(step: str, error: CellError) -> bool:
    """Whether a failure of ``step`` may be handed to a language model for a repair."""
    return step not in MODEL_FREE_STEPS and error.ename not in NOT_FOR_MODEL


def why_line(source: str) -> str | None:
    """A cell's ``# why`` line (its first line, past any ``# Repaired (...)`` notes), or None."""
    match = _WHY_RE.match(_REPAIRED_RE.sub("", source))
    return match.group(0) if match else None


def vet_proposal(original: str, proposed: str) -> tuple[str | None, str]:
    """Check a model's corrected cell before it runs: ``(source to run, "")`` or ``(None, why it was rejected)``.

    The proposal must be Python that compiles (IPython ``%`` and ``!`` lines aside), differ from the cell,
    never name ``trainer_agent_lab`` (generated notebooks use public libraries only), and keep handing results
    back (``_report(...)``) when the cell did. It keeps the cell's ``# why`` line: a proposal that does not
    start with it gets it back on top.
    """
    text = _REPAIRED_RE.sub("", proposed.replace("\r\n", "\n")).strip("\n")
    if not text.strip():
        return None, "the model's answer is empty"
    if "trainer_agent_lab" in text:
        return None, "the model's cell uses trainer_agent_lab (generated cells use public libraries only)"
    plain = re.sub(r"^[ \t]*[%!].*$", "pass", text, flags=re.M)
    try:
        compile(plain, "<proposed cell>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return None, f"the model's cell does not compile ({type(exc).__name__}: {getattr(exc, 'msg', exc)})"
    why = why_line(original)
    if why is not None:
        if text.partition("\n")[0].strip() != why.strip():
            text = f"{why}\n{text}"
    body = _REPAIRED_RE.sub("", original).strip("\n")
    if text.strip() == body.strip():
        return None, "the model's cell is the failing cell again"
    if "_report(" in body and "_report(" not in text:
        return None, "the model's cell no longer hands its results back (_report)"
    return text + "\n", ""
