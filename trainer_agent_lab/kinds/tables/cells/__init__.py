"""Cell files of tabular tasks (jupytext percent format; rendered by :mod:`trainer_agent_lab.cells.render`)."""
