"""Work in the run's own folder: when the notebook is the person's own (the chat panel), every file the agents'
cells write goes into the run's folder beside it, never next to the notebook (see ``docs/front-doors.md``)."""

# %% [context]
from .context import RUN_FOLDER

# isort: split
# %% Work in this run's own folder, beside the notebook: every file the cells below write (the data split, the
# feature modules, `bundle/`, `bundle.zip`) goes there, so that runs never overwrite each other or your files.
# The run's last cell comes back to the notebook's folder. (Run it from the notebook's folder, where a kernel
# starts.)
from os import chdir, getcwd, makedirs
from os.path import abspath

NOTEBOOK_FOLDER, RUN_DIR = getcwd(), abspath(RUN_FOLDER)
makedirs(RUN_DIR, exist_ok=True)
chdir(RUN_DIR)
print(f"This run's files go to {RUN_FOLDER}/")

# %% [parameters]
RUN_FOLDER = "runs/run"
