"""The LLM annotator and corrector of the paper (its ChatGPT labelled and corrected examples): the chat that asks a
model for the label of each of a few texts, and the reading of its answer.

The model gets the task (the user's request), the allowed labels and numbered texts, and answers one JSON object::

    {"labels": [{"i": 0, "label": "<one of the labels>"}, ...]}

Labels outside the allowed set, unknown indices and duplicates are dropped; a text the model skipped gets no
label. The Data agent writes what the model said into a notebook cell as data, so the notebook re-runs without
the model.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import LLMError

__all__ = ["ANNOTATION_SCHEMA", "annotation_messages", "read_annotations"]

ANNOTATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"labels": {"type": "array", "items": {
        "type": "object", "properties": {"i": {"type": "integer"}, "label": {"type": "string"}},
        "required": ["i", "label"]}}},
    "required": ["labels"],
}

ANNOTATION_SYSTEM = """\
You are the annotator of TrainerAgent's Data agent. Label each numbered text for this task: {task}
Allowed labels: {labels}. Reply with one JSON object and nothing else:
{{"labels": [{{"i": the text's number, "label": one of the allowed labels}}, ...]}}
Label every text you can judge; leave out a text you cannot judge rather than guess."""


def annotation_messages(task: str, labels: list[str], texts: list[str]) -> list[dict[str, str]]:
    """The chat asking for the label of each of ``texts`` (numbered from 0)."""
    numbered = "\n".join(f"{i}. {text[:500]}" for i, text in enumerate(texts))
    return [{"role": "system", "content": ANNOTATION_SYSTEM.format(task=task, labels=json.dumps(labels))},
            {"role": "user", "content": numbered}]


def read_annotations(obj: dict[str, Any], labels: list[str], count: int) -> list[str | None]:
    """One label (or None) per text from the model's JSON; :class:`LLMError` when it has no ``labels`` list."""
    items = obj.get("labels")
    if not isinstance(items, list):
        raise LLMError("the annotator's answer has no list of labels")
    allowed = {str(label).lower(): str(label) for label in labels}
    out: list[str | None] = [None] * count
    for item in items:
        if not isinstance(item, dict):
            continue
        index, label = item.get("i"), allowed.get(str(item.get("label", "")).strip().lower())
        if isinstance(index, int) and 0 <= index < count and label is not None and out[index] is None:
            out[index] = label
    return out
