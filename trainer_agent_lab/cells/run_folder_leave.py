"""Back to the notebook's folder at the end of a turn that worked in the run's folder (``cells/run_folder.py``)."""

# %% [context]
from .context import NOTEBOOK_FOLDER, chdir

# isort: split
# %% [hidden] Back to the notebook's folder: your own cells read and write files there, as before the run.
chdir(NOTEBOOK_FOLDER)
