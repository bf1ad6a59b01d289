"""The text parts of the bundle's documents: the request format, the preprocessing, the data and the limits."""

# %% [context]
import json

import numpy as np

from ....cells.context import family, figure, md_table, sample_request
from .context import (
    CLASSES,
    DATA_REF,
    LANGUAGE,
    STEPS,
    TEXT_INPUTS_ENTRY,
    X_test,
    model,
    texts_fit,
    y_train,
)

# %% [parameters]
DATA_REFS = []

# %% What the documents say about a text model: the request (raw strings; the bundle normalises them itself), the
# preprocessing and model, the texts it learned from and how (every step of the strategy), and its limits.
title = f"{family.replace('_', ' ')} text classifier ({len(CLASSES)} classes)"
request_doc = ("`POST /predict` with `Content-Type: application/json` and either one text, `{\"text\": \"...\"}`, "
               "or a batch, `{\"texts\": [\"...\", ...]}`: raw strings, as users write them. The bundle "
               "normalises them itself (HTML entities and tags, emoji, case, spaces: `text_features.py`) and turns "
               f"them into the model's inputs with the training vocabulary (`{TEXT_INPUTS_ENTRY['file']}`).\n\n"
               "Example (`sample_request.json`):\n\n```json\n" + json.dumps(sample_request, indent=2,
                                                                           ensure_ascii=False) + "\n```")
curl_single = json.dumps({"text": sample_request["texts"][0]}, ensure_ascii=False).replace("'", "'\\''")
if model.family == "small_transformer":
    pipeline_text = (f"normalise -> word token ids ({len(model.vectorizer.vocabulary):,} words, "
                     f"{model.vectorizer.max_len} tokens) -> transformer (from scratch) -> softmax")
    inputs_text = "raw strings; token ids computed in the bundle (text_tokenizer.json)"
else:
    pipeline_text = f"normalise -> TF-IDF ({model.params['analyzer']} {model.params['ngrams']}-grams) -> {family}"
    inputs_text = f"raw strings; {len(model.vectorizer.idf_):,} TF-IDF features computed in the bundle"
data_lines = [f"- source: `{DATA_REF or ', '.join(DATA_REFS) or 'not recorded'}`",
              f"- texts: {len(texts_fit):,} to train (labeled and pseudo-labeled), {len(X_test):,} held out to test",
              "- classes (labeled training texts): " + ", ".join(
                  f"`{c}` {n:,}" for c, n in zip(CLASSES, np.bincount(np.asarray(y_train, dtype=int),
                                                                        minlength=len(CLASSES)), strict=True))]
steps_rows = [(s["step"], s["model"], figure(s["test accuracy"]), figure(s["parameters"])) for s in STEPS]
data_lines.append("\nHow it was trained (the teacher is not deployed):\n\n"
                  + md_table(("step", "model", "test accuracy", "parameters"), steps_rows))
limitations = [f"Trained on {len(texts_fit):,} texts from one source, some labeled by a teacher model: it reflects "
               "those texts and their labels, mistakes included; check it on texts from where it will be used.",
               "Words and spellings never seen in training add nothing to a prediction (they are not in the "
               "vocabulary)."]
if LANGUAGE != "en":
    limitations.append("Texts are read as character n-grams.")
