"""Convert the text student to ONNX and ship its preprocessing beside it, so the bundle takes raw strings."""

# %% [context]
import json
from pathlib import Path

import numpy as np
import torch

from ....cells.context import BUNDLE_DIR, ONNX_PATH
from .context import TARGET, model, raw_texts_test

# isort: split
# %% Ship the student's text preprocessing in the bundle: text_features.py (normalisation, TF-IDF or token ids in
# plain NumPy: the very file this notebook normalised with) and the vocabulary it reads, as JSON (with the IDF
# weights for TF-IDF students). The checks below run the bundle's own copy.
import importlib.util

import onnx
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

X_test = np.array(raw_texts_test, dtype=object)  # raw strings: what clients send
(BUNDLE_DIR / "text_features.py").write_bytes(Path("text_features.py").read_bytes())
spec = importlib.util.spec_from_file_location("bundle_text_features", BUNDLE_DIR / "text_features.py")
bundle_text = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bundle_text)
if model.family == "small_transformer":  # token ids in, so the tokenizer's vocabulary ships
    TEXT_INPUTS_ENTRY = {"kind": "tokens", "file": "text_tokenizer.json"}
    payload = model.vectorizer.to_json()
    vocabulary = len(model.vectorizer.vocabulary)
else:  # TF-IDF features in, so the vectoriser's vocabulary and IDF ship
    TEXT_INPUTS_ENTRY = {"kind": "tfidf", "file": "text_vectorizer.json"}
    payload = bundle_text.export_vectorizer(model.vectorizer)
    vocabulary = len(model.vectorizer.idf_)
for stale in ("text_tokenizer.json", "text_vectorizer.json"):
    (BUNDLE_DIR / stale).unlink(missing_ok=True)
(BUNDLE_DIR / TEXT_INPUTS_ENTRY["file"]).write_text(json.dumps(payload, ensure_ascii=False))
TEXT_INPUTS = bundle_text.load_inputs(BUNDLE_DIR, TEXT_INPUTS_ENTRY)


def to_onnx_feed(texts):
    """The ONNX inputs for raw texts: the bundle's own normalisation, then TF-IDF or token ids."""
    return TEXT_INPUTS.feed(list(texts))


# %% Convert the student's classifier to ONNX over those inputs: token ids for the small transformer, TF-IDF
# features for the others (scikit-learn's converter for the linear one, torch's exporter for the networks).
if model.family == "small_transformer":
    model.classifier.eval()
    probe = TEXT_INPUTS.feed(["a"])
    example = (torch.from_numpy(probe["input_ids"]), torch.from_numpy(probe["attention_mask"]))
    torch.onnx.export(model.classifier, example, str(ONNX_PATH), input_names=["input_ids", "attention_mask"],
                      output_names=["probabilities"], opset_version=17, dynamo=False,
                      dynamic_axes={name: {0: "batch"} for name in ("input_ids", "attention_mask", "probabilities")})
    onnx_model = onnx.load(ONNX_PATH)
elif model.family == "tfidf_linear":
    onnx_model = convert_sklearn(model.classifier, initial_types=[("features", FloatTensorType([None, vocabulary]))],
                                 options={id(model.classifier): {"zipmap": False}}, target_opset=17)
    opsets = {o.domain: o.version for o in onnx_model.opset_import}  # skl2onnx lists the default one twice here,
    del onnx_model.opset_import[:]  # which onnxruntime's int8 tools refuse: one of each
    onnx_model.opset_import.extend(onnx.helper.make_opsetid(domain, v) for domain, v in opsets.items())
    onnx.save(onnx_model, ONNX_PATH)
else:
    model.classifier.eval()
    torch.onnx.export(model.classifier, (torch.zeros(1, vocabulary),), str(ONNX_PATH), input_names=["features"],
                      output_names=["probabilities"], dynamic_axes={"features": {0: "batch"},
                                                                     "probabilities": {0: "batch"}},
                      opset_version=17, dynamo=False)
    onnx_model = onnx.load(ONNX_PATH)
onnx.helper.set_model_props(onnx_model, {"task": "text_classification", "target": str(TARGET)})
onnx.save(onnx_model, ONNX_PATH)
onnx_bytes = ONNX_PATH.stat().st_size

# %% [context]
# Modules later cells use: re-exported so that ruff sees them used (``ort``: the timing cell).
__all__ = ["ort"]
