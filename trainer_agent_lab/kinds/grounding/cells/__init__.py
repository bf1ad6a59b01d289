"""The cell files of visual grounding (jupytext percent files rendered by :mod:`trainer_agent_lab.cells.render`)."""
