"""Work in the run's own folder again, for a follow-up turn (``cells/run_folder.py`` made it)."""

# %% [context]
from .context import RUN_DIR, chdir

# isort: split
# %% [hidden] Work in this run's folder again: the files this change rewrites are the run's own.
chdir(RUN_DIR)
