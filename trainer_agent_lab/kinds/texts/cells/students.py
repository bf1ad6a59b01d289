"""The students the search tries (TF-IDF + logistic regression, a bag of n-gram embeddings, a small transformer)
and how one is searched, trained and scored; rendered once, before the first student cell."""

# %% [context]
import time

import numpy as np
import pandas as pd
from IPython.display import display
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from .context import (
    CLASSES,
    FAMILIES,
    LANGUAGE,
    SEED,
    VOCABULARY,
    TokenIds,
    normalize_text,
    texts_test,
    texts_train,
    y_test,
    y_train,
)

# isort: split
# %% The students' networks: a fastText-like bag of n-gram embeddings, and a small BERT-style encoder trained
# from scratch (both output class probabilities).
import os

import torch
from tqdm.auto import tqdm

torch.set_num_threads(max(1, os.cpu_count() or 1))


class BagOfEmbeddings(torch.nn.Module):
    """fastText-like: the TF-IDF-weighted sum of n-gram embeddings, then a linear layer."""

    def __init__(self, vocabulary, width, n_classes):
        super().__init__()
        self.embed = torch.nn.Linear(vocabulary, width, bias=False)
        self.drop = torch.nn.Dropout(0.2)
        self.out = torch.nn.Linear(width, n_classes)

    def forward(self, features):
        return torch.softmax(self.out(self.drop(torch.relu(self.embed(features)))), dim=1)


class TinyTransformer(torch.nn.Module):
    """A BERT-style encoder built from a transformers config, trained from scratch; class probabilities out."""

    def __init__(self, vocabulary, n_classes):
        super().__init__()
        from transformers import BertConfig, BertForSequenceClassification

        self.bert = BertForSequenceClassification(BertConfig(
            vocab_size=vocabulary + 3, hidden_size=TRANSFORMER["width"], num_hidden_layers=TRANSFORMER["layers"],
            num_attention_heads=TRANSFORMER["heads"], intermediate_size=TRANSFORMER["ffn"],
            max_position_embeddings=TRANSFORMER["max_len"], num_labels=n_classes, attn_implementation="eager"))

    def forward(self, input_ids, attention_mask):
        return torch.softmax(self.bert(input_ids=input_ids, attention_mask=attention_mask).logits, dim=1)


# %% [parameters]
EMBEDDING_WIDTH = 64
TRANSFORMER = {"width": 64, "layers": 2, "heads": 2, "ffn": 128, "max_len": 48}


# %% A student: a vectoriser (TF-IDF, or token ids) and a classifier over it, which is what the bundle serves
# (ONNX + the vocabulary); it normalises raw texts itself and counts its own parameters.
class TextStudent:
    """A vectoriser (TF-IDF, or token ids) and a classifier over it: what the bundle serves (ONNX + vocabulary)."""

    def __init__(self, family, vectorizer, classifier, params):
        self.family, self.vectorizer, self.classifier, self.params = family, vectorizer, classifier, params

    def features(self, normalized):
        if self.family == "small_transformer":
            return self.vectorizer.encode(normalized)
        return self.vectorizer.transform(normalized)

    def proba_from_features(self, matrix):
        if self.family == "tfidf_linear":
            return self.classifier.predict_proba(matrix)
        self.classifier.eval()
        with torch.no_grad():
            if self.family == "small_transformer":
                ids, mask = matrix
                return np.concatenate([self.classifier(torch.from_numpy(ids[i:i + 256]),
                                                       torch.from_numpy(mask[i:i + 256])).numpy()
                                       for i in range(0, len(ids), 256)]) if len(ids) else np.zeros((0, 2))
            return self.classifier(torch.from_numpy(matrix.toarray().astype(np.float32))).numpy()

    def predict_proba(self, texts, normalized=False):
        """Class probabilities of raw texts (normalised here) or of already normalised ones."""
        return self.proba_from_features(self.features(texts if normalized else [normalize_text(t) for t in texts]))

    def predict(self, texts, normalized=False):
        return self.predict_proba(texts, normalized).argmax(axis=1)

    @property
    def parameters(self):
        """IDF weights + the classifier's weights (embeddings included), counted on the fitted objects."""
        if self.family == "tfidf_linear":
            weights = self.classifier.coef_.size + self.classifier.intercept_.size
        else:
            weights = sum(p.numel() for p in self.classifier.parameters())
        return int(len(getattr(self.vectorizer, "idf_", [])) + weights)


# %% How the PyTorch students train: AdamW, a cosine schedule, and early stopping on a held-out tenth.
def make_vectorizer(params):
    return TfidfVectorizer(analyzer=params["analyzer"], ngram_range=tuple(params["ngrams"]), sublinear_tf=True,
                           min_df=params.get("min_df", 1), max_features=params["vocabulary"], dtype=np.float32)


def train_net(inputs, labels, params, seconds, vocabulary=None):
    """Train a PyTorch student (bag of embeddings, or the small transformer) with AdamW, a cosine schedule and
    early stopping on a held-out tenth; ``inputs`` is a TF-IDF matrix or (input_ids, attention_mask)."""
    torch.manual_seed(SEED)
    if params["family"] == "small_transformer":
        tensors = [torch.from_numpy(a) for a in inputs]
        net = TinyTransformer(vocabulary, len(CLASSES))
    else:
        tensors = [torch.from_numpy(inputs.toarray().astype(np.float32))]
        net = BagOfEmbeddings(tensors[0].shape[1], params["width"], len(CLASSES))
    target = torch.tensor(np.array(labels), dtype=torch.long)
    order = np.random.default_rng(SEED).permutation(len(labels))
    hold = order[: max(len(CLASSES), len(labels) // 10)]
    fit = order[len(hold):]
    epochs = params.get("epochs", 60)
    optimizer = torch.optim.AdamW(net.parameters(), lr=params.get("lr", 3e-3), weight_decay=params.get("wd", 1e-4))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    best, best_state, waited, began = -1.0, None, 0, time.perf_counter()
    for _epoch in range(epochs):
        net.train()
        for batch in np.array_split(np.random.default_rng(SEED + _epoch).permutation(fit), max(1, len(fit) // 64)):
            optimizer.zero_grad()
            loss = torch.nn.functional.nll_loss(torch.log(net(*(t[batch] for t in tensors)) + 1e-9), target[batch])
            loss.backward()
            optimizer.step()
        schedule.step()
        net.eval()
        with torch.no_grad():
            score = float((net(*(t[hold] for t in tensors)).argmax(1) == target[hold]).float().mean())
        if score > best:
            best, best_state, waited = score, {k: v.clone() for k, v in net.state_dict().items()}, 0
        else:
            waited += 1
        if waited >= 10 or time.perf_counter() - began > seconds:
            break
    net.load_state_dict(best_state)
    return net.eval()


# %% One student trained on (normalised) texts, and every configuration the search tries, cheapest first
# (character n-grams for Chinese, which has no word spaces; the word-level transformer for English only).
def fit_one(texts, labels, params, seconds=60.0):
    """One student, trained on (normalised) texts."""
    if params["family"] == "small_transformer":
        tokens = TokenIds.fit(texts, params["vocabulary"], TRANSFORMER["max_len"])
        classifier = train_net(tokens.encode(texts), labels, params, seconds, vocabulary=len(tokens.vocabulary))
        return TextStudent("small_transformer", tokens, classifier, params)
    vectorizer = make_vectorizer(params)
    matrix = vectorizer.fit_transform(texts)
    if params["family"] == "tfidf_linear":
        classifier = LogisticRegression(C=params["C"], max_iter=5000, class_weight=params.get("class_weight"))
        classifier.fit(matrix, labels)
    else:
        classifier = train_net(matrix, labels, params, seconds)
    return TextStudent(params["family"], vectorizer, classifier, params)


def student_configs(families, vocabulary):
    """Every configuration the search tries, cheapest first."""
    views = [("char_wb", [2, 5]), ("word", [1, 2])] if LANGUAGE == "en" else [("char", [1, 3]), ("char", [1, 2])]
    configs = []
    for analyzer, ngrams in views:
        if "tfidf_linear" in families:
            configs += [{"family": "tfidf_linear", "analyzer": analyzer, "ngrams": ngrams, "C": C,
                         "vocabulary": vocabulary["tfidf_linear"]} for C in (3.0, 10.0, 30.0)]
    if "bag_of_embeddings" in families:
        configs.append({"family": "bag_of_embeddings", "analyzer": views[0][0], "ngrams": views[0][1],
                        "width": EMBEDDING_WIDTH, "vocabulary": vocabulary["bag_of_embeddings"]})
    if "small_transformer" in families and LANGUAGE == "en":  # word tokens: not for unsegmented Chinese
        configs.append({"family": "small_transformer", "vocabulary": vocabulary["small_transformer"], "epochs": 40,
                        "lr": 2e-3, "wd": 0.01})
    return configs


# %% The search: cross-validate every configuration within the time given, train the best on all the texts,
# score it on the test texts, and add a row to the table of every step of the strategy (STEPS, empty here).
# The first student learns from the labeled texts alone (the pseudo-label cell widens texts_fit later).
STEPS = []
texts_fit, labels_fit = texts_train, y_train


def fit_student(texts, labels, stage, seconds):
    """Cross-validate every configuration within ``seconds``, train the best on all texts, score it on test."""
    labels = np.asarray(labels)
    folds = int(min(5, np.bincount(labels).min()))
    cv = list(StratifiedKFold(folds, shuffle=True, random_state=SEED).split(texts, labels))
    began, results = time.perf_counter(), []
    for params in tqdm(student_configs(FAMILIES, VOCABULARY), desc=f"{stage}: students"):
        if results and time.perf_counter() - began > seconds:
            print("time is up for the search; keeping the best so far")
            break
        scores = []
        for fit_rows, val_rows in cv:
            student = fit_one([texts[i] for i in fit_rows], labels[fit_rows], params, seconds / 10)
            predicted = student.predict([texts[i] for i in val_rows], normalized=True)
            scores.append(float((predicted == labels[val_rows]).mean()))
        results.append({**params, "cv_accuracy": float(np.mean(scores))})
    ranked = sorted(results, key=lambda r: -r["cv_accuracy"])
    best = {k: v for k, v in ranked[0].items() if k != "cv_accuracy"}
    student = fit_one(texts, labels, best, seconds / 4)
    accuracy = float((student.predict(texts_test, normalized=True) == y_test).mean())
    STEPS.append({"step": stage, "model": student.family, "training texts": len(texts),
                  "cv accuracy": round(ranked[0]["cv_accuracy"], 4), "test accuracy": round(accuracy, 4),
                  "parameters": student.parameters})
    display(pd.DataFrame(ranked).head(8))
    return student, ranked, accuracy
