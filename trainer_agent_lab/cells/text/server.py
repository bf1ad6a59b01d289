"""Cells the Server agent writes for text students: ONNX export with the text preprocessing, parity on raw
strings, serving files, bundle docs.

The student's classifier becomes ONNX over the TF-IDF features; the preprocessing travels as data and code the
bundle ships: ``text_vectorizer.json`` (vocabulary, IDF, analyser) and ``text_features.py`` (normalisation and
TF-IDF in NumPy, see :mod:`trainer_agent_lab.bundle.text_features`). The parity cell runs the bundle's own
preprocessing and ONNX model on the raw test strings and compares with the trained student. The capacity and
bundle cells are the shared ones: the export cell defines ``onnx_session``, ``to_onnx_feed``, ``single_row_ms``,
the serving cell ``single_request_bodies``, ``SERVING_MODEL_PATH`` and ``EXTRA_SERVING_FILES``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...bundle import serve_app_source, template
from ..base import RawText, code_cell
from ..server.capacity import capacity_cell
from ..server.common import LATENCY_CHECKS, ONNX_TIMING, SERVING_HEAD, SERVING_TAIL
from ..server.packaging import bundle_cell as shared_bundle_cell

__all__ = ["bundle_cell", "capacity_cell", "export_onnx_cell", "parity_cell", "serving_app_cell"]

_EXPORT = '''
import importlib.util
import operator
import time

import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

BUNDLE_DIR = Path("bundle")
BUNDLE_DIR.mkdir(parents=True, exist_ok=True)
ONNX_PATH, INT8_PATH = BUNDLE_DIR / "model.onnx", None
(BUNDLE_DIR / "model.int8.onnx").unlink(missing_ok=True)
(BUNDLE_DIR / "text_features.py").write_text(TEXT_FEATURES_PY)
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
ONNX_INPUT_NAMES = {"text": "features"}
MISSING_CATEGORY = ""


def to_onnx_feed(texts):
    """The ONNX inputs for raw texts: the bundle's own normalisation, then TF-IDF or token ids."""
    return TEXT_INPUTS.feed(list(texts))


''' + ONNX_TIMING + '''

# Quantise when asked, or when the float model misses a latency target.
''' + LATENCY_CHECKS + '''
int8_bytes, int8_quantised = None, None
if QUANTISE_REASONS:
    INT8_PATH = BUNDLE_DIR / "model.int8.onnx"
    quantize_dynamic(ONNX_PATH, INT8_PATH, weight_type=QuantType.QInt8)
    int8_quantised = any(n.op_type in ("MatMulInteger", "DynamicQuantizeLinear", "DynamicQuantizeMatMul")
                         for n in onnx.load(INT8_PATH).graph.node)
    int8_bytes = INT8_PATH.stat().st_size
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB over a vocabulary of {vocabulary:,}; {TEXT_INPUTS_ENTRY['file']} "
      f"{(BUNDLE_DIR / TEXT_INPUTS_ENTRY['file']).stat().st_size / 1024:.1f} KiB")
_report(onnx_path=str(ONNX_PATH), onnx_bytes=onnx_bytes, int8_path=str(INT8_PATH) if INT8_PATH else None,
        int8_bytes=int8_bytes, int8_quantised=int8_quantised, opset=17, quantise_reasons=QUANTISE_REASONS,
        float_checks=float_checks, vocabulary=vocabulary)
'''


def export_onnx_cell() -> str:
    """Export the student's classifier to ONNX and its preprocessing to the bundle (vocabulary + code)."""
    return code_cell("Convert the student to ONNX and ship its text preprocessing beside it (vocabulary and IDF as "
                     "JSON, normalisation and TF-IDF as plain NumPy code), so the bundle takes raw strings",
                     "X_test = np.array(raw_texts_test, dtype=object)  # raw strings: what clients send\n" + _EXPORT,
                     TEXT_FEATURES_PY=RawText(template("text_features.py")), TIMED_FEED=True,
                     ONE_ITEM="single-text")


_PARITY = '''
from sklearn.metrics import accuracy_score


def parity_with_model(path):
    """Raw test strings through the bundle's preprocessing and ONNX model, against the trained student."""
    onnx_proba = onnx_session(path).run(None, to_onnx_feed(X_test))[-1]
    onnx_proba = np.asarray(onnx_proba, dtype=np.float64)
    return {"rows": int(len(X_test)), "label_agreement": float((onnx_proba.argmax(1) == reference.argmax(1)).mean()),
            "max_prob_diff": float(np.abs(onnx_proba - reference).max())}, onnx_proba


reference = model.predict_proba(list(X_test))
bundled = to_onnx_feed(X_test[:200])
trained = model.features([normalize_text(t) for t in X_test[:200]])
if model.family == "small_transformer":  # the same token ids, exactly
    feature_diff = float(max(np.abs(bundled["input_ids"] - trained[0]).max(),
                             np.abs(bundled["attention_mask"] - trained[1]).max()))
else:
    feature_diff = float(np.abs(bundled["features"] - trained.toarray()).max())
PARITY, _ = parity_with_model(ONNX_PATH)
PARITY["max_feature_diff"] = feature_diff
parity_int8, int8_metrics = None, None
if INT8_PATH is not None:
    parity_int8, int8_proba = parity_with_model(INT8_PATH)
    int8_metrics = {"accuracy": float(accuracy_score(y_test, int8_proba.argmax(1)))}
print(f"raw strings -> bundle preprocessing -> ONNX: {PARITY['label_agreement']:.2%} the same answers, largest "
      f"probability difference {PARITY['max_prob_diff']:.2g}, largest feature difference {feature_diff:.2g}")
_report(parity=PARITY, parity_int8=parity_int8, int8_metrics=int8_metrics)
'''


def parity_cell() -> str:
    """Check end to end, on raw strings, that the bundle's preprocessing + ONNX give the student's answers."""
    return code_cell("Check the bundle end to end on the raw test strings: its own preprocessing and the ONNX model "
                     "must give the trained student's answers", _PARITY)


_SERVING = SERVING_HEAD + '''

SERVING_MODEL_PATH = INT8_PATH if INT8_PATH is not None and parity_int8["label_agreement"] >= 0.99 else ONNX_PATH
EXTRA_SERVING_FILES = ["text_features.py", TEXT_INPUTS_ENTRY["file"]]
(BUNDLE_DIR / "serve.py").write_text(SERVE_PY)
write_json("feature_schema.json", {"kind": "text", "task": TASK, "target": str(TARGET),
                                   "model_file": SERVING_MODEL_PATH.name, "text_inputs": TEXT_INPUTS_ENTRY,
                                   "inputs": [{"name": "text", "onnx_name": "features", "dtype": "text"}]})
write_json("label_map.json", {"classes": [str(c) for c in CLASSES], "pos_label": POS_LABEL, "threshold": None,
                              "proba_codes": list(range(len(CLASSES)))})
sample_texts = list(X_test[:3])
write_json("sample_request.json", {"texts": sample_texts})
sample_response = {"predictions": [str(CLASSES[k]) for k in model.predict(sample_texts)],
                   "probabilities": model.predict_proba(sample_texts).tolist()}


def single_request_bodies(n):
    """One-text request bodies for the load test, cycling over the raw test strings."""
    return [json.dumps({"text": str(X_test[i % len(X_test)])}).encode() for i in range(n)]


''' + SERVING_TAIL


def serving_app_cell() -> str:
    """Write ``serve.py`` and what it reads for a text model (schema, label map, samples)."""
    return code_cell("Write the serving app and the files it reads (schema, label map, samples): it takes "
                     '{"texts": [...]} of raw strings', _SERVING, SERVE_PY=RawText(serve_app_source()))


_TEXT_DOCS = '''
title = f"{family.replace('_', ' ')} text classifier ({len(CLASSES)} classes)"
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one text, `{\\"text\\": \\"...\\"}`, "
               "or a batch, `{\\"texts\\": [\\"...\\", ...]}`: raw strings, as users write them. The bundle "
               "normalises them itself (HTML entities and tags, emoji, case, spaces: `text_features.py`) and turns "
               f"them into the model's inputs with the training vocabulary (`{TEXT_INPUTS_ENTRY['file']}`).\\n\\n"
               "Example (`sample_request.json`):\\n\\n```json\\n" + json.dumps(sample_request, indent=2,
                                                                           ensure_ascii=False) + "\\n```")
curl_single = json.dumps({"text": sample_request["texts"][0]}, ensure_ascii=False).replace("'", "'\\\\''")
if model.family == "small_transformer":
    pipeline_text = (f"normalise -> word token ids ({len(model.vectorizer.vocabulary):,} words, "
                     f"{model.vectorizer.max_len} tokens) -> transformer (from scratch) -> softmax")
    inputs_text = "raw strings; token ids computed in the bundle (text_tokenizer.json)"
else:
    pipeline_text = f"normalise -> TF-IDF ({model.params['analyzer']} {model.params['ngrams']}-grams) -> {family}"
    inputs_text = f"raw strings; {len(model.vectorizer.idf_):,} TF-IDF features computed in the bundle"
data_lines = [f"- source: `{ns.get('DATA_REF') or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- texts: {len(texts_fit):,} to train (labeled and pseudo-labeled), {len(X_test):,} held out to test",
              "- classes (labeled training texts): " + ", ".join(
                  f"`{c}` {n:,}" for c, n in zip(CLASSES, np.bincount(np.asarray(y_train, dtype=int),
                                                                        minlength=len(CLASSES))))]
steps_rows = [(s["step"], s["model"], figure(s["test accuracy"]), figure(s["parameters"])) for s in STEPS]
data_lines.append("\\nHow it was trained (the teacher is not deployed):\\n\\n"
                  + md_table(("step", "model", "test accuracy", "parameters"), steps_rows))
limitations = [f"Trained on {len(texts_fit):,} texts from one source, some labeled by a teacher model: it reflects "
               "those texts and their labels, mistakes included; check it on texts from where it will be used.",
               "Words and spellings never seen in training add nothing to a prediction (they are not in the "
               "vocabulary)."]
if LANGUAGE != "en":
    limitations.append("Texts are read as character n-grams.")
'''


def bundle_cell(request: str | None = None, data_refs: Sequence[str] = ()) -> str:
    """The shared bundle cell, with the text-specific part of API.md and the model card."""
    return shared_bundle_cell(request=request, data_refs=data_refs, docs=_TEXT_DOCS)
