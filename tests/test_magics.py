"""The IPython magics and the in-kernel driver, in a real ``InteractiveShell`` (as jupyter-ai tests its magics)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

from trainer_agent_lab.cells.task import requirements_markdown
from trainer_agent_lab.notebook.environment import environment
from trainer_agent_lab.notebook.inkernel import CellView, InKernelDriver
from trainer_agent_lab.report import RESULT_MIME
from trainer_agent_lab.spec import TaskSpec


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "trainer_agent_lab")
    return shell


def cell(ip, text: str):
    """Run a cell as the user would; return IPython's ExecutionResult."""
    return ip.run_cell(text, store_history=False)


# -- the in-kernel driver ------------------------------------------------------------------------------
def test_driver_runs_cells_in_the_users_namespace_and_saves_them(ip, tmp_path, capsys):
    driver = InKernelDriver(ip, tmp_path / "run" / "nb.ipynb", view=CellView())
    ok = driver.add_code("import os\nfrom IPython.display import display\nIN_KERNEL_X = 41 + 1\nprint('hello')\n"
                         f"display({{'{RESULT_MIME}': {{'x': IN_KERNEL_X, 'cwd': os.getcwd()}}}}, raw=True)\n"
                         "IN_KERNEL_X", metadata={"trainer_agent": {"agent": "Data", "step": "load"}})
    assert ok.ok and ok.results == {"x": 42, "cwd": str((tmp_path / "run").resolve())}
    assert ip.user_ns["IN_KERNEL_X"] == 42
    kinds = [o["output_type"] for o in ok.outputs]
    assert kinds == ["stream", "display_data", "execute_result"]
    bad = driver.add_code("raise ValueError('no such column: foo')")
    assert not bad.ok and bad.error.ename == "ValueError" and bad.error.evalue == "no such column: foo"
    assert bad.error.source.startswith("raise ValueError") and bad.error.traceback
    fixed = driver.replace_code(bad.cell_id, "IN_KERNEL_Y = 1")
    assert fixed.ok and ip.user_ns["IN_KERNEL_Y"] == 1
    shown = capsys.readouterr().out
    assert "Data · load" in shown and "hello" in shown  # re-displayed under the magic cell
    saved = nbformat.read(driver.path, as_version=4)
    nbformat.validate(saved)
    assert [c.cell_type for c in saved.cells] == ["code", "code"] and saved.cells[0].outputs
    assert saved.cells[1].outputs == [] and saved.cells[1].source == "IN_KERNEL_Y = 1"
    assert Path.cwd() != tmp_path / "run"  # the working directory is restored after each cell


def test_driver_stop_flag_refuses_the_next_cell(ip, tmp_path):
    driver = InKernelDriver(ip, tmp_path / "nb.ipynb", view=CellView())
    driver.interrupt()
    with pytest.raises(KeyboardInterrupt):
        driver.add_code("STOPPED_CELL_RAN = True")
    assert "STOPPED_CELL_RAN" not in ip.user_ns
    driver.reset_stop()
    assert driver.add_code("1").ok


# -- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("%%traineragent --bogus 1 --data sklearn:wine\nwine classifier", "unrecognized arguments: --bogus"),
    ("%%traineragent --data sklearn:wine\n   \n", "the request is empty"),
    ("%%traineragent\nbuild me a classifier", "no data"),
    ("%%traineragent --data /no/such/file.csv\nclassify it", "no such file or folder"),
    ("%%traineragent --data sklearn:nothing\nclassify it", "is not a bundled data set"),
    ("%%traineragent --data sklearn:wine --budget -3\nclassify", "--budget must be a positive"),
    ("%%traineragent --budget soon --data sklearn:wine\nclassify", "invalid float value"),
    ("%traineragent dance", "unknown command 'dance'"),
])
def test_bad_input_is_one_clear_line_and_keeps_the_namespace(ip, text, message, capsys):
    cell(ip, "KEEP_ME = [1, 2, 3]")
    result = cell(ip, text)
    out = capsys.readouterr()
    assert not result.success
    assert message in out.out + out.err
    assert "Traceback" not in out.out + out.err
    assert ip.user_ns["KEEP_ME"] == [1, 2, 3]
    assert cell(ip, "KEEP_ME.append(4)").success and ip.user_ns["KEEP_ME"] == [1, 2, 3, 4]


# -- first cell and metadata: seed and environment -------------------------------------------------------
def test_first_cell_carries_seed_and_environment():
    env = environment()
    assert env["python"] and "scikit-learn" in env["packages"] and "numpy" in env["packages"]
    text = requirements_markdown(TaskSpec(request="wine classifier", data=["sklearn:wine"]), [], seed=7,
                                 environment=env)
    assert "seed `7`" in text and f"scikit-learn=={env['packages']['scikit-learn']}" in text
    assert "## Reproduce" not in requirements_markdown(TaskSpec(request="x"), [])


# -- end to end ----------------------------------------------------------------------------------------
@pytest.mark.slow  # ~30 s alone; minutes on a loaded 2-core machine
@pytest.mark.filterwarnings("default")
def test_traineragent_on_wine_leaves_variables_notebook_and_bundle(ip, tmp_path, capsys):
    out = tmp_path / "wine"
    cell(ip, "MINE = 'untouched'")
    result = cell(ip, f"%%traineragent --data sklearn:wine --budget 30 --out {out}\n"
                      "wine classifier with at least 90% accuracy")
    assert result.success, result.error_in_exec
    shown = capsys.readouterr().out
    assert "TrainerAgent: succeeded" in shown and "Model · search" in shown
    ns = ip.user_ns
    report = ns["TRAINER_AGENT_REPORT"]
    assert report.status == "succeeded" and report.metrics["accuracy"] >= 0.9
    assert ns["METRICS"]["accuracy"] == report.metrics["accuracy"]
    assert len(ns["df"]) == 178 and len(ns["X_train"]) + len(ns["X_test"]) == 178
    assert ns["model"].predict(ns["X_test"]).shape == (len(ns["X_test"]),)
    assert ns["BUNDLE_DIR"] == (out / "bundle").resolve() and (ns["BUNDLE_DIR"] / "model.onnx").is_file()
    assert (out / "bundle.zip").is_file() and json.loads((out / "report.json").read_text())["status"] == "succeeded"
    assert ns["MINE"] == "untouched"
    nb = nbformat.read(out / "notebook.ipynb", as_version=4)
    nbformat.validate(nb)
    meta = nb.metadata["trainer_agent"]
    assert meta["request"].startswith("wine classifier") and meta["seed"] == 42 and meta["spec"]["data"]
    assert "scikit-learn" in meta["environment"]["packages"]
    assert "seed `42`" in nb.cells[0].source and "pip install" in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    shown: dict[str, bool] = {}  # a step may write several cells (definitions show nothing): one shows its work
    for c in code:
        step = c.metadata["trainer_agent"]["step"]
        shown[step] = shown.get(step, False) or bool(c.outputs)
    assert all(shown[step] for step in shown if step != "setup"), shown
    assert "import trainer_agent_lab" not in "".join(c.source for c in code)
    for command, expected in [("status", "finished (succeeded)"), ("plan", "[x] Server"),
                              ("spec", '"sklearn:wine"'), ("bundle", "model.onnx")]:
        assert cell(ip, f"%traineragent {command}").success
        assert expected in capsys.readouterr().out


@pytest.mark.filterwarnings("default")
def test_stop_interrupts_a_background_run(ip, tmp_path, capsys):
    out = tmp_path / "stopped"
    assert cell(ip, f"%%traineragent --background --data sklearn:wine --budget 120 --out {out}\n"
                    "wine classifier with at least 90% accuracy").success
    session = ip.magics_manager.registry["TrainerAgentMagics"].current
    deadline = time.time() + 120
    while time.time() < deadline and not any(c.cell_type == "code" for c in session.driver.cells[2:]):
        time.sleep(0.05)  # wait until the run is well into its cells
    assert cell(ip, "%traineragent status").success and "running" in capsys.readouterr().out
    assert cell(ip, "%traineragent stop").success
    assert cell(ip, "%traineragent wait").success
    report = ip.user_ns["TRAINER_AGENT_REPORT"]
    assert report.status == "failed" and "interrupted" in report.reason
    assert not session.running and "bundle" not in report.paths
    assert nbformat.read(out / "notebook.ipynb", as_version=4).cells  # the notebook so far is saved
    assert cell(ip, "AFTER_STOP = 1 + 1").success and ip.user_ns["AFTER_STOP"] == 2  # the shell still works
