"""Requirement changes mid-way: what changed, and which agents must run again because of it."""

from __future__ import annotations

from ..spec import METRICS, TaskSpec

#: Changes only the Server agent (and the constraint table) need to follow.
SERVER_ONLY = frozenset({"qps", "container_memory_mb", "quantize_int8", "p50_ms", "p99_ms", "replica_memory_mb"})
#: Changes that need a new model (the prepared data stays).
MODEL = frozenset(METRICS) | {"parameters", "onnx_bytes", "optimize", "positive_label"}


def merge_spec(old: TaskSpec, delta: TaskSpec, message: str) -> tuple[TaskSpec, set[str]]:
    """The spec after a follow-up message, and the names of the requirements that changed.

    A follow-up only states what changes: constraints it names replace the same-named ones, deployment
    figures it gives replace the old ones, and everything it does not mention stays. Its clauses nobody
    understood (:func:`unclear_clauses`) join the spec's ``not_understood``, so the outcome lists them as unchecked.
    """
    update: dict = {}
    changed: set[str] = set()
    for name in ("qps", "container_memory_mb", "optimize", "positive_label", "target"):
        value = getattr(delta, name)
        if value is not None and value != getattr(old, name):
            update[name] = value
            changed.add(name)
    if delta.quantize_int8 and not old.quantize_int8:
        update["quantize_int8"] = True
        changed.add("quantize_int8")
    constraints = {c.name: c for c in old.constraints}
    for c in delta.constraints:
        if constraints.get(c.name) != c:
            constraints[c.name] = c
            changed.add(c.name)
    explicit_data = [ref for ref in delta.data if not ref.startswith("sklearn:") or ref not in old.data]
    if explicit_data and explicit_data != old.data and not all(r.startswith("sklearn:") for r in explicit_data):
        update["data"] = explicit_data
        changed.add("data")
    update["constraints"] = list(constraints.values())
    update["hints"] = sorted(set(old.hints) | set(delta.hints))
    update["request"] = f"{old.request}\n{message}"
    update["not_understood"] = [*old.not_understood, *unclear_clauses(old, delta)]
    return old.model_copy(update=update), changed


def unclear_clauses(old: TaskSpec, delta: TaskSpec) -> list[str]:
    """The clauses of a follow-up (``delta``, its reading) that read like a requirement and map to nothing, less
    those the run already listed: the Task agent asks about them as it does for a first request."""
    return [c for c in dict.fromkeys(delta.not_understood) if c not in old.not_understood]


def phases_for(changed: set[str]) -> list[str]:
    """Which phases run again: ``data`` (everything), ``model`` (model and server) or ``server`` only."""
    if changed & {"data", "target"}:
        return ["data", "model", "server"]
    if changed & MODEL:
        return ["model", "server"]
    return ["server"]
