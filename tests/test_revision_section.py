"""A tidy notebook after follow-ups (issue 16): each follow-up adds one section of its own, "Revision N", that
re-runs what the change concerns and ends with its own titled outcome; the first request's sections and its outcome
stay as they ran, the earlier outcome marked superseded (when the follow-up re-ran something). Never a second
"## Outcome" or a second top-level phase.

The driver here keeps a real ``.ipynb`` and runs no code (every cell "runs" with no output), so the agents stop on
the first result they miss: enough to see the notebook's structure, in seconds, without a kernel.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from trainer_agent_lab.notebook.driver import FileNotebookDriver
from trainer_agent_lab.orchestrator import Orchestrator


class NoOutputDriver(FileNotebookDriver):
    """Every code cell runs and prints nothing."""

    def _execute(self, cell, index):
        cell.outputs = []
        return 0.0

    def interrupt(self):
        pass

    def close(self):
        pass


def _markdown(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "markdown"]


def test_each_follow_up_is_one_titled_revision_section_with_its_own_outcome(tmp_path: Path) -> None:
    driver = NoOutputDriver(tmp_path / "notebook.ipynb")
    orchestrator = Orchestrator(driver, tmp_path, assume_yes=True)
    orchestrator.run("Train a wine classifier with at least 90% accuracy.", data="sklearn:wine")
    orchestrator.memory.results["split"] = {"n_train": 100}  # as if the data had been prepared
    orchestrator.revise("Now serve it at 100 requests per second on <b>1 GB</b> containers.")
    orchestrator.revise("The accuracy must now be at least 95%.")
    markdown = _markdown(driver.path)
    firsts = [m.split("\n")[0] for m in markdown]

    outcomes = [m for m in markdown if m.startswith("## Outcome")]
    assert len(outcomes) == 1 and "*Superseded: revision 1 below has the latest outcome.*" in outcomes[0]
    for n in (1, 2):
        assert firsts.count(f"## Revision {n} — a follow-up") == 1
        assert sum(f.startswith(f"### Outcome of revision {n}: **") for f in firsts) == 1
    first_revision = firsts.index("## Revision 1 — a follow-up")
    second_revision = firsts.index("## Revision 2 — a follow-up")
    assert first_revision < firsts.index(next(f for f in firsts if f.startswith("### Outcome of revision 1")))
    # the request's words are quoted as text, not markup
    assert "&lt;b&gt;1 GB&lt;/b&gt;" in markdown[first_revision]
    revision_1 = next(m for m in markdown if m.startswith("### Outcome of revision 1"))
    assert "*Superseded: revision 2 below has the latest outcome.*" in revision_1
    assert "Superseded" not in markdown[-1] and markdown[-1].startswith("### Outcome of revision 2")
    # the phases a revision re-runs are parts of its section; the first request's phases stay top-level
    assert "### Server agent — convert, measure and package" in firsts[first_revision:second_revision]
    assert "### Model agent — choose, train and evaluate a model" in firsts[second_revision:]
    # a follow-up that changes nothing has its section and outcome too, and leaves the latest outcome as it is
    orchestrator.revise("Thanks, that looks fine.")
    markdown = _markdown(driver.path)
    assert markdown[-1].startswith("### Outcome of revision 3: **")
    assert "Superseded" not in next(m for m in markdown if m.startswith("### Outcome of revision 2"))
    assert not any(f.startswith("## ") and " agent — " in f and "requirements changed" not in f
                   for f in firsts[first_revision:])
