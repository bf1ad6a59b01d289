"""The chat panel in a real Chromium (Galata): ``labextension/ui-tests/tests/*.spec.ts``.

``approve.spec.ts``: with "approve each cell" on, each generated cell waits for Run in the chat (nothing runs before);
Stop at a waiting cell ends the run there, stopped.
``make test`` runs ``magic.spec.ts``; ``make test-ui`` runs every spec.

``chat.spec.ts``: a wine request sent from the panel fills the open notebook with executed cells, the plan
completes, the summary shows the constraint table (a screenshot of the panel is kept in ``ui-tests/snapshots``).
``daily.spec.ts``: the launcher card and View menu item, the empty panel's examples, the plan before a run, WCAG AA
contrast of every text in the panel in the light and dark themes; Enter while an iris run works queues a follow-up
(one run), Stop of the run paused by closing its notebook ends it in seconds; a page reload brings back the
notebook's run list and its conversation.
``chat.spec.ts`` also checks that a figure is interactive at once and leaves the notebook saved, downloads the bundle
(the run folder's own bytes, no token in the URL), sends a follow-up with Enter (requirements card gains QPS and
container; the notebook gains one "Revision 1" section with its own outcome), and runs a second notebook in the same
folder.
``kernel.spec.ts``: the kernel is killed mid-cell; the chat offers restart + resume, the failed step finishes.
``magic.spec.ts``: ``%%traineragent`` in a notebook: the run's cells are inserted below the magic cell, with their
outputs, while it runs; running the magic cell again replaces them (``ui-tests/snapshots/magic-cells.png``).

``benchmarks/lab_latency.py`` starts ``jupyter lab`` (127.0.0.1, a token, a temporary root) and runs
``jlpm playwright test``; this test runs it and checks what the browser test traced. It needs Debian's
``chromium`` (``make env`` installs it as root) and the lab extension's ``node_modules`` (the editable install
runs ``jlpm install``).
"""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("lab_latency", ROOT / "benchmarks" / "lab_latency.py")
lab_latency = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab_latency)


#: The spec ``make test`` runs: ``%%traineragent`` in a notebook, its cells mirrored below the magic cell as they run
#: (the lab extension, the kernel's comm and the run, in Chromium, in about two minutes).
CORE_SPECS = ("magic.spec.ts",)
#: The chat panel's specs (a wine run, its follow-up, a second notebook; approval, launcher and contrast, queueing,
#: reload, a killed kernel): ``make test-ui``, about fifteen minutes on two cores.
CHAT_SPECS = ("chat.spec.ts",)
DAILY_SPECS = ("approve.spec.ts", "daily.spec.ts", "kernel.spec.ts")
SNAPSHOTS = ROOT / "labextension" / "ui-tests" / "snapshots"


def _browser_or_skip(everything: bool = False) -> None:
    if everything and not os.environ.get("TAL_UI_ALL"):
        pytest.skip("the chat panel's browser specs run with `make test-ui`, not `make test` (fifteen minutes)")
    why = lab_latency.missing()
    if why:
        pytest.skip(why)


@pytest.mark.slow
def test_the_magic_in_a_real_browser(tmp_path):
    _browser_or_skip()
    result = lab_latency.run_ui_test(tmp_path / "trace.json", timeout_s=600, specs=CORE_SPECS)
    assert result.returncode == 0, (result.stdout[-6000:] + result.stderr[-3000:])
    assert (SNAPSHOTS / "magic-cells.png").stat().st_size > 10_000


@pytest.mark.slow
def test_chat_panel_in_a_real_browser(tmp_path):
    _browser_or_skip(everything=True)
    trace = tmp_path / "trace.json"
    result = lab_latency.run_ui_test(trace, timeout_s=1200, specs=CHAT_SPECS)
    assert result.returncode == 0, (result.stdout[-6000:] + result.stderr[-3000:])
    figures = json.loads(trace.read_text())
    assert figures["codeCells"] > 8
    assert figures["firstMessageMs"] is not None and figures["insertToStartMs"]
    assert (SNAPSHOTS / "chat-panel.png").stat().st_size > 10_000


@pytest.mark.slow
def test_daily_use_in_a_real_browser(tmp_path):
    _browser_or_skip(everything=True)
    result = lab_latency.run_ui_test(tmp_path / "trace.json", timeout_s=1700, specs=DAILY_SPECS)
    assert result.returncode == 0, (result.stdout[-6000:] + result.stderr[-3000:])
