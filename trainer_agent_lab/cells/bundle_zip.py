"""Zip the finished bundle."""

# %% [context]
from .context import BUNDLE_DIR, _report, bundle_check, model_version

# isort: split
# %% Zip the bundle (next to its folder; it unzips to a bundle/ folder), and say how to serve it.
import shutil

shutil.rmtree(BUNDLE_DIR / "__pycache__", ignore_errors=True)
bundle_files = sorted(p.name for p in BUNDLE_DIR.iterdir() if p.is_file())
BUNDLE_ZIP = BUNDLE_DIR.with_suffix(".zip")
shutil.make_archive(str(BUNDLE_DIR), "zip", root_dir=BUNDLE_DIR.parent, base_dir=BUNDLE_DIR.name)
print(f"{BUNDLE_DIR}/: {', '.join(bundle_files)}")
print(f"{BUNDLE_ZIP}: {BUNDLE_ZIP.stat().st_size / 1024:.1f} KiB")
print(f"serve it: cd {BUNDLE_DIR} && pip install -r requirements.txt && python serve.py --port 8000")
_report(bundle_dir=str(BUNDLE_DIR), bundle_zip=str(BUNDLE_ZIP), files=bundle_files, bundle_check=bundle_check,
        model_version=model_version)
