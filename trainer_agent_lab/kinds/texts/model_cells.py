"""Cells the Model agent (and the Task agent's feasibility check) write for text classification.

The paper's strategy, cell by cell: a learning-curve estimate of the labels needed; the best student within
the budget; when it misses the target, a teacher (MiniLM fine-tuned on the labeled texts), pseudo-labels on the
unlabeled pool (confidence-filtered), the student again on labeled + pseudo-labeled texts; then the evaluation
with the table of every step's test accuracy and parameter count.

Each function renders cell files of ``kinds/texts/cells`` (see :mod:`trainer_agent_lab.cells.render`); the names
they define (``TextStudent``, ``fit_student``, ``model``, ``STEPS``, ``TEACHER_PROBA_UNLABELED``, ``METRICS``, ...)
are listed in :mod:`trainer_agent_lab.kinds.texts.cells.context`.
"""

from __future__ import annotations

from typing import Any

from ...cells.render import Cell, render
from ...knowledge.text_zoo import EMBEDDING_WIDTH, TRANSFORMER

_CELLS = "kinds/texts/cells/"


def learning_curve_cell(target_accuracy: float | None) -> list[Cell]:
    """Cross-validated learning curve of a quick student; how many labeled texts the target needs; the shared
    signal test first (is there any signal at all?)."""
    return render("cells/signal_test", _CELLS + "feasibility", TARGET_ACCURACY=target_accuracy)


def student_cell(stage: str, families: list[str], vocabulary: dict[str, int], search_seconds: float
                 ) -> list[Cell]:
    """Search the students within the budget on the labeled (or labeled + pseudo-labeled) texts; score on test.

    The first stage (``"student alone"``) also defines the students, starts the table of steps (``STEPS``) and
    sets the labeled texts as ``texts_fit``; a later stage trains on what the pseudo-label cell put there.
    """
    search = {"STAGE": stage, "FAMILIES": families, "VOCABULARY": vocabulary,
              "SEARCH_SECONDS": round(search_seconds, 1)}
    if stage != "student alone":
        return render(_CELLS + "student", **search)
    return render(_CELLS + "students", _CELLS + "student", EMBEDDING_WIDTH=EMBEDDING_WIDTH, TRANSFORMER=TRANSFORMER,
                  **search)


def teacher_cell(seconds: float, max_epochs: int = 6) -> list[Cell]:
    """Fine-tune the MiniLM teacher on the labeled texts within ``seconds``; predict the pool and the test texts."""
    return render(_CELLS + "teacher", SECONDS=round(seconds, 1), MAX_EPOCHS=max_epochs, MIN_STEPS=60,
                  TEACHER_EPOCHS=None, BATCH=16, LR=8e-5, MAX_TOKENS=64)


def pseudo_label_cell(confidence: float = 0.8, correct_at: float = 0.9) -> list[Cell]:
    """Keep the teacher's confident labels on the pool; correct suspect labels the teacher also rejects."""
    return render(_CELLS + "pseudo", CONFIDENCE=confidence, CORRECT_AT=correct_at)


def text_evaluate_cell() -> list[Cell]:
    """Test metrics of the final student, the table of every step, confusion matrix, misclassified texts."""
    return render(_CELLS + "evaluate")


def steps_summary(steps: list[dict[str, Any]]) -> str:
    """One line per step for the chat: 'student alone 0.85 (40,001 parameters)'."""
    return "; ".join(f"{s['step']} {s['test accuracy']:.3f} ({s['parameters']:,} parameters)" for s in steps)
