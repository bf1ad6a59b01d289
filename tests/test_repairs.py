"""Self-repair: a planted failing cell of each offline-repairable kind is diagnosed, edited and re-run."""

from __future__ import annotations

import zipfile

import pytest

from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.agents.data import DataAgent
from trainer_agent_lab.agents.repairs import diagnose, model_may_repair, vet_proposal
from trainer_agent_lab.errors import CellExecutionFailed
from trainer_agent_lab.notebook.headless import HeadlessDriver
from trainer_agent_lab.notebook.results import CellError
from trainer_agent_lab.spec import TaskSpec

PLANTED = {
    "unknown keyword": "# why\nfrom sklearn.preprocessing import StandardScaler\n"
                       "scaler = StandardScaler(with_mean=True, bogus_option=3)\nprint(scaler)",
    "dtype": "# why\nimport pandas as pd\nframe = pd.DataFrame({'a': ['1', 'x', '3']})\n"
             "values = frame.astype(float)\nprint(values['a'].isna().sum())",
    "shape": "# why\nimport numpy as np\nfrom sklearn.linear_model import LinearRegression\n"
             "x = np.arange(10.0)\nfitted = LinearRegression().fit(x, 2 * x)\nprint(fitted.coef_)",
    "memory": "# why\nBATCH_SIZE = 4096\nif BATCH_SIZE > 1024:\n"
              "    raise MemoryError('Unable to allocate 64.0 GiB for an array')\nprint(BATCH_SIZE)",
    "non-convergence": "# why\nimport warnings\nfrom sklearn.datasets import load_iris\n"
                       "from sklearn.exceptions import ConvergenceWarning\n"
                       "from sklearn.linear_model import LogisticRegression\n"
                       "warnings.simplefilter('error', ConvergenceWarning)\nX, y = load_iris(return_X_y=True)\n"
                       "clf = LogisticRegression(max_iter=15).fit(X, y)\nprint(clf.n_iter_)",
}


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("repairs")
    wheels = folder / "wheels"
    wheels.mkdir()
    _tiny_wheel(wheels)
    target = folder / "site"
    target.mkdir()
    mp = pytest.MonkeyPatch()
    # the kernel installs the missing package from a local wheel into a folder on its path: no network
    mp.setenv("PIP_NO_INDEX", "1")
    mp.setenv("PIP_FIND_LINKS", str(wheels))
    mp.setenv("PIP_TARGET", str(target))
    mp.setenv("PYTHONPATH", str(target))
    driver = HeadlessDriver(folder / "nb.ipynb")
    yield DataAgent(driver, RunMemory(spec=TaskSpec(request="r")), lambda event: None)
    driver.close()
    mp.undo()


def _tiny_wheel(folder):
    name = "tiny_helper_pkg"
    with zipfile.ZipFile(folder / f"{name}-0.1-py3-none-any.whl", "w") as whl:
        whl.writestr(f"{name}/__init__.py", "ANSWER = 42\n")
        info = f"{name}-0.1.dist-info"
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 0.1\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", "")


@pytest.mark.parametrize("kind", list(PLANTED))
def test_planted_failure_is_repaired(agent, kind):
    before = agent.memory.repaired
    agent.run(kind, PLANTED[kind])
    assert agent.memory.repaired == before + 1
    cell = agent.driver.cells[-1]
    assert cell.source.startswith(f"# Repaired ({kind}):")
    assert not any(o["output_type"] == "error" for o in cell.outputs)
    assert any(e.text.startswith(f"The {kind} cell failed") for e in agent.memory.messages)


def test_missing_package_is_installed_and_imported(agent):
    agent.run("import", "# why\nimport tiny_helper_pkg\nprint(tiny_helper_pkg.ANSWER)")
    cell = agent.driver.cells[-1]
    assert "%pip install -q tiny-helper-pkg" in cell.source
    assert "42" in "".join(o.get("text", "") for o in cell.outputs)


def test_after_three_repairs_the_step_fails_with_one_paragraph_and_the_traceback(agent):
    source = "# why\nBATCH_SIZE = 65536\nif BATCH_SIZE > 1024:\n    raise MemoryError('Unable to allocate 1 TiB')"
    with pytest.raises(CellExecutionFailed) as err:
        agent.run("stubborn", source)
    assert "after 3 repairs" in str(err.value) and "MemoryError" in str(err.value)
    assert "\n" not in str(err.value) and "Traceback" not in str(err.value)
    assert "MemoryError" in "".join(err.value.error["traceback"])
    assert "BATCH_SIZE = 8192" in agent.driver.cells[-1].source  # 65536 halved three times


def test_data_errors_are_not_repaired(agent):
    with pytest.raises(CellExecutionFailed):
        agent.run("load", "# why\nraise FileNotFoundError('Data not found: x.csv. Check the path given with --data.')")


def test_diagnose_ignores_what_it_cannot_fix():
    assert diagnose("x = 1", CellError("KeyError", "'price'")) is None
    assert diagnose("frame.values", CellError("ValueError", "could not convert string to float: 'a'")) is None


# --------------------------------------------------------------------- checks on a language model's repair
CELL = "# Repaired (dtype): earlier note\n# Count the rows\nrows = frame.row_count()\n_report(rows=rows)\n"


@pytest.mark.parametrize(("proposed", "expected"), [
    ("rows = len(frame)\n_report(rows=rows)", "# Count the rows\nrows = len(frame)\n_report(rows=rows)\n"),
    ("# Count the rows\n%pip install -q tabulate\nrows = len(frame)\n_report(rows=rows)\n",
     "# Count the rows\n%pip install -q tabulate\nrows = len(frame)\n_report(rows=rows)\n"),
    ("# Repaired (llm): stale\n# Count rows quickly\nrows = len(frame)\n_report(rows=rows)",
     "# Count the rows\n# Count rows quickly\nrows = len(frame)\n_report(rows=rows)\n"),
], ids=["why-line-put-back", "magics-allowed", "notes-stripped"])
def test_a_sound_proposal_keeps_the_why_line(proposed, expected):
    assert vet_proposal(CELL, proposed) == (expected, "")


@pytest.mark.parametrize(("proposed", "said"), [
    ("", "empty"),
    ("rows = len(frame\n_report(rows=rows)", "does not compile"),
    ("from trainer_agent_lab import api\n_report(rows=1)", "uses trainer_agent_lab"),
    ("import importlib\nimportlib.import_module('trainer_agent_lab')\n_report(rows=1)", "uses trainer_agent_lab"),
    ("# Count the rows\nrows = frame.row_count()\n_report(rows=rows)", "the failing cell again"),
    ("rows = len(frame)\nprint(rows)", "no longer hands its results back"),
])
def test_an_unsound_proposal_is_rejected(proposed, said):
    source, why = vet_proposal(CELL, proposed)
    assert source is None and said in why


def test_the_datas_and_the_budgets_failures_are_not_for_a_model():
    assert not model_may_repair("load", CellError("ValueError", "could not parse"))
    assert not model_may_repair("search", CellError("TimeoutError", "No model finished"))
    assert not model_may_repair("fit", CellError("KeyboardInterrupt", ""))
    assert model_may_repair("profile", CellError("AttributeError", "no attribute 'n_unique'"))
