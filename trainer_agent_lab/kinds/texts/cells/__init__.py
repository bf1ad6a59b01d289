"""Cell files of text tasks (jupytext percent format; rendered by :mod:`trainer_agent_lab.cells.render`)."""
