"""Cell files of image classification (jupytext percent format; rendered by :mod:`trainer_agent_lab.cells.render`)."""
