"""Write the job-adverts folder with the generator (``job_ads``), before the texts are loaded from it."""

# %% [context]
from pathlib import Path

from .context import _report
from .job_ads import make_job_ads

# %% [parameters]
JOB_ADS_DIR = "job_ads"
SIZES = {"labeled": 150, "unlabeled": 800, "test": 300}
LABEL_NOISE = 0.08
GENERATOR_SEED = 7

# %% Write the generated folder (labeled, unlabeled pool, test file) beside the notebook.
JOB_ADS_DIR = make_job_ads(Path(JOB_ADS_DIR), **SIZES, noise=LABEL_NOISE, seed=GENERATOR_SEED).resolve()
print(f"wrote {JOB_ADS_DIR}: " + ", ".join(sorted(p.name for p in JOB_ADS_DIR.iterdir())))
_report(path=str(JOB_ADS_DIR))
