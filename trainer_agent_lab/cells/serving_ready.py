"""The serving step's last cell for every kind: the sample answer, and the files serve.py needs to start."""

# %% [context]
from .context import BUNDLE_DIR, EXTRA_SERVING_FILES, SERVING_MODEL_PATH, _report, sample_response, write_json

# %% The bundle can serve now: write the answer serve.py must give to the sample request, and list the files it
# needs to start.
write_json("sample_response.json", sample_response)
serving_files = ["serve.py", "feature_schema.json", "label_map.json", SERVING_MODEL_PATH.name,
                 "sample_request.json", "sample_response.json", *EXTRA_SERVING_FILES]
print(f"{BUNDLE_DIR}/ can serve now: {', '.join(serving_files)}")
print(f"serving {SERVING_MODEL_PATH.name}; try it: cd {BUNDLE_DIR} && python serve.py --port 8000")
_report(serving_model=SERVING_MODEL_PATH.name, files=serving_files, sample_predictions=sample_response["predictions"])
