"""A notebook driver for tests where only markdown is written: no kernel, and any code cell is a test failure."""

from __future__ import annotations

from trainer_agent_lab.notebook.driver import FileNotebookDriver


class MarkdownOnlyDriver(FileNotebookDriver):
    """Keeps the notebook in memory like every file-backed driver; running a code cell fails the test."""

    def _execute(self, cell, index):
        raise AssertionError("no code cell should run")

    def interrupt(self):
        pass

    def close(self):
        pass
