"""Task kinds as plug-ins: each kind (tables, texts, images, ...) is one folder with its agents and cells.

Adding a kind: a new folder ``kinds/<name>/`` whose package defines ``KIND`` (an instance of a
:class:`~.base.TaskKind` subclass), and its name in :data:`KIND_PACKAGES`. Nothing else changes.
"""

from __future__ import annotations

import importlib
from functools import cache

from ..spec import TaskType
from .base import Run, TaskKind

#: The kinds the agents can do, by package name under ``kinds/``.
KIND_PACKAGES = ("tables", "texts", "images", "grounding", "generation")


@cache
def registry() -> dict[TaskType | None, TaskKind]:
    """Each task type's kind (``None``: the kind of a request that names no task type)."""
    kinds: dict[TaskType | None, TaskKind] = {}
    for package in KIND_PACKAGES:
        kind: TaskKind = importlib.import_module(f"{__name__}.{package}").KIND
        for task_type in kind.task_types:
            kinds[task_type] = kind
    return kinds


def kind_for(task_type: TaskType | None) -> TaskKind:
    """The kind that handles ``task_type``."""
    kinds = registry()
    return kinds.get(task_type) or kinds[None]


__all__ = ["KIND_PACKAGES", "Run", "TaskKind", "kind_for", "registry"]
