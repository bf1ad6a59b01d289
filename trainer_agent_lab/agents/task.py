"""The Task agent: the hub. Understands the request, plans, decides the target, concludes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from ..cells.render import render
from ..cells.task import constraint_table_cell, requirements_markdown
from ..errors import DataError, NeedsInput, Refused
from ..knowledge import ethics
from ..knowledge.datasets import BUNDLED_TARGETS, bundled_name, mentions
from ..knowledge.sops import PROFILES
from ..spec import CLASSIFICATION_METRICS, CLASSIFICATION_TASK_TYPES, REGRESSION_METRICS, Constraint, TaskSpec, TaskType
from .base import Agent

#: Below this many seconds nothing useful can be trained, exported and measured.
MIN_TIME_BUDGET_S = 20.0
#: Column names that, alone in a table, are taken to be the target.
TARGET_NAMES = ("target", "label", "labels", "class", "y", "outcome")
#: Words that name the positive class of a yes/no target.
POSITIVE_WORDS = ("yes", "true", "1", "positive", "pos", "y", "t")


def asked_target(spec: TaskSpec) -> str | None:
    """What the request asks to predict, in its own words, when it names no column."""
    return next((h.split(":", 1)[1] for h in spec.hints if h.startswith("asked_target:")), None)


def resolve_target(spec: TaskSpec, columns: list[str], assume_yes: bool, data_ref: str = "") -> str:
    """The target column: the one the request names, else an obvious one, else ask.

    A thing the request asks to predict that the data does not record is refused (no label, no model).
    """
    asked = asked_target(spec)
    if spec.target is None and asked:
        hits = [c for c in columns if mentions(asked, c)]
        if len(hits) == 1:
            return hits[0]
        name = bundled_name(data_ref)
        if not hits and name in BUNDLED_TARGETS and not mentions(asked, BUNDLED_TARGETS[name]):
            raise Refused(f"The data has no label for {asked}: {data_ref} records {BUNDLED_TARGETS[name]}, and "
                          f"nothing in it records {asked}, so no model can learn to predict it.",
                          hint=f"Provide data with a column that holds {asked} for each example.")
    if spec.target:
        if spec.target in columns:
            return spec.target
        folded = [c for c in columns if c.lower() == spec.target.lower()
                  or re.sub(r"\W+", "_", spec.target.lower()).strip("_") == c.lower()]
        if len(folded) == 1:
            return folded[0]
        if len(folded) > 1:
            raise NeedsInput(f"The target {spec.target!r} matches several columns: {', '.join(folded)}.",
                             hint=f"Name the one to predict exactly as written, e.g. 'predict the {folded[0]} "
                             "column'.", question="Which column is the target?", options=folded)
        close = difflib.get_close_matches(spec.target, columns, n=3, cutoff=0.5)
        hint = f"Closest column names: {', '.join(close)}." if close else f"Columns: {', '.join(columns[:30])}."
        hint += f" Name the target as the data spells it, e.g. 'predict the {(close or columns)[0]} column'."
        raise NeedsInput(f"The target column {spec.target!r} is not in the data.", hint=hint,
                         question="Which column is the target?", options=close or columns[:30])
    named = [c for c in columns if c.lower() in TARGET_NAMES]
    if len(named) == 1:
        return named[0]
    if assume_yes:
        return named[-1] if named else columns[-1]
    options = named or columns[-5:]
    raise NeedsInput("The request does not say which column to predict, and the data has no single obvious "
                     "target column.", hint=f"Name it in the request, e.g. 'predict the {options[-1]} column' "
                     f"(answering with the defaults, --yes, would take {options[-1]!r}).",
                     question="Which column is the target?", options=options)


def resolve_task(spec: TaskSpec, column: dict[str, Any], n_rows: int) -> str:
    """``classification`` or ``regression``: from the request's words, its metrics, else the target column."""
    named = {c.name for c in spec.constraints} | set(spec.report_metrics) | {spec.optimize or ""}
    if spec.task_type in CLASSIFICATION_TASK_TYPES:
        task = "classification"
    elif spec.task_type == TaskType.regression or named & set(REGRESSION_METRICS):
        task = "regression"
    elif named & set(CLASSIFICATION_METRICS):
        task = "classification"
    else:
        numeric = column["dtype"].startswith(("int", "float", "uint"))
        few = column["n_unique"] <= max(20, 0.01 * n_rows) and not column["dtype"].startswith("float")
        task = "classification" if (not numeric or few or column["n_unique"] <= 2) else "regression"
    if task == "regression" and not column["dtype"].startswith(("int", "float", "uint")):
        raise DataError(f"Regression was asked for, but the target {column['name']!r} is not numeric "
                        f"(dtype {column['dtype']}).",
                        hint="Pick a numeric target, or ask for a classifier if the values are categories.")
    return task


def resolve_positive_class(hint: str | None, classes: list[str], counts: dict[str, int], target: str) -> str:
    """The class precision/recall/F1 are about: the one the request names, else a yes-like or rarer one."""
    lowered = {c.lower(): c for c in classes}
    if hint:
        stem = re.sub(r"(ers|er|es|s|ed|ing)$", "", hint.lower().strip())
        for name, original in lowered.items():
            if stem and (stem in name or name in hint.lower()):
                return original
        if stem and stem in target.lower():  # "churners" for target "churned": the yes-like class
            for word in POSITIVE_WORDS:
                if word in lowered:
                    return lowered[word]
    for word in POSITIVE_WORDS:
        if word in lowered:
            return lowered[word]
    return min(classes, key=lambda c: (counts.get(c, 0), c))


class TaskAgent(Agent):
    """Parses, plans, decides what the data cannot, and closes the run with the constraint table."""

    name = "Task"

    def check_budget(self) -> None:
        """Refuse to start when the time budget cannot cover even the smallest run."""
        budget = self.memory.spec.time_budget_s
        if budget is not None and budget < MIN_TIME_BUDGET_S:
            raise NeedsInput(f"A time budget of {budget:g} s is too small: loading, training, exporting and "
                             f"measuring a model takes at least {MIN_TIME_BUDGET_S:g} s on this machine.",
                             hint="Re-run with --time-budget 60 or more.",
                             question="How many seconds may the run take?", options=["60", "120", "300"])

    def check_ethics(self) -> None:
        """Refuse, with the policy's reason and an alternative, what must not be built.

        The offline policy decides first; when a language model is configured, its moderation step may refuse
        too, but only under a rule of the written policy (:func:`ethics.combine`): a refusal outside the policy
        is reported as a concern and the run goes on; a model that fails leaves the offline verdict alone.
        """
        request = self.memory.spec.request
        verdict = ethics.check(request)
        if verdict.allowed and self.memory.llm is not None:
            if request not in self.memory.moderated:
                self.memory.moderated[request] = self.consult(lambda llm: llm.moderate(request))
            model = getattr(self.memory.llm, "model", None) or self.memory.llm.name
            verdict, concern = ethics.combine(verdict, self.memory.moderated[request],
                                              decided_by=f"the LLM moderation step (model {model})")
            if concern:
                self.memory.notes.append(concern)
                self.say(concern, llm=self.memory.llm.name)
        if not verdict.allowed:
            raise Refused(verdict.reason)

    def check_feasibility(self, task: str, *, probe_s: float,
                          cell: Callable[[list[dict[str, Any]], float], Any]) -> dict[str, Any]:
        """Probe the data before the search: refuse when there is no signal or a target is out of reach.

        ``cell`` writes the kind's probe: it must report ``no_signal``,
        ``score``, ``chance``, ``scoring``, ``p_value`` and ``gates`` as the tabular one does. Its permutation test
        may take ``probe_s`` seconds (the kind's budget split decides).
        """
        gated = [c.model_dump() for c in self.memory.spec.metric_constraints
                 if c.op in (">=", ">") and c.name in ("accuracy", "roc_auc", "r2")
                 and not (c.name == "roc_auc" and task != "classification")]
        self.heading("is it feasible?")
        result = self.run("feasibility", cell(gated, probe_s))
        if result["no_signal"]:
            raise Refused(f"The data shows no signal for {self.memory.target}: a quick probe scores "
                          f"{result['scoring']} {result['score']:.3f} against {result['chance']:.3f} for chance"
                          + (f", and shuffling the target does as well (permutation p-value {result['p_value']:.2f})"
                             if result["p_value"] is not None else "") + ".",
                          hint="The inputs do not predict the target; more informative features are needed.")
        for gate in result["gates"]:
            if not gate["reachable"]:
                raise Refused(f"A {gate['name']} of {gate['target']:g} is out of reach on this data: quick probes "
                              f"reach {gate['probe']:.3f}, and even an optimistic extrapolation of the learning "
                              f"curve stops near {gate['optimistic_ceiling']:.3f}.",
                              hint=f"Lower the {gate['name']} target, or bring more or better data.")
        self.say(f"Feasible: the data has signal ({result['scoring']} {result['score']:.3f} vs chance "
                 f"{result['chance']:.3f}).")
        return result

    def plan(self, order: tuple[tuple[str, str], ...], step_titles: dict[tuple[str, str], str] | None = None
             ) -> list[dict[str, Any]]:
        """The plan: the kind's steps in the order the hub calls them, worded by the agents' SOPs and the kind."""
        titles = {(agent, key): title for agent, profile in PROFILES.items() for key, title in profile.sop}
        titles.update(step_titles or {})
        return [{"agent": agent, "step": key, "title": titles[agent, key]} for agent, key in order]

    def open_notebook(self, plan: list[dict[str, Any]], *, seed: int | None = None,
                      environment: dict[str, Any] | None = None) -> str:
        """The first cell: requirements table, plan checklist, and the seed and environment to reproduce it."""
        self.say(self._summary())
        return self.markdown(requirements_markdown(self.memory.spec, plan, seed=seed, environment=environment))

    def _summary(self) -> str:
        spec = self.memory.spec
        parts = [f"{c.name} {c.target}" for c in spec.constraints]
        if spec.qps:
            parts.append(f"{spec.qps:g} QPS")
        return "Requirements: " + (", ".join(parts) if parts else "none measurable; I will optimise the "
                                   "usual metric for the task") + "."

    def decide_target(self, load: dict[str, Any], assume_yes: bool) -> tuple[str, str]:
        """Choose the target column and the task kind from the loaded data's columns."""
        columns = [c["name"] for c in load["columns"]]
        target = resolve_target(self.memory.spec, columns, assume_yes, self.memory.spec.data[0])
        column = next(c for c in load["columns"] if c["name"] == target)
        task = resolve_task(self.memory.spec, column, load["rows"])
        self.memory.target, self.memory.task = target, task
        self.memory.done_steps.append("target")
        self.say(f"Target: {target} ({task}).")
        return target, task

    def decide_positive_class(self, profile: dict[str, Any], classes: list[str]) -> str | None:
        """For two classes: which one precision, recall and F1 are about."""
        if len(classes) < 2:
            raise DataError(f"The target {self.memory.target!r} has a single class ({classes[0] if classes else 'none'}"
                            "): there is nothing to tell apart.",
                            hint="Check the target column, or add rows of the other classes.")
        small = {k: v for k, v in profile.get("class_counts", {}).items() if v < 2}
        if small:
            raise DataError(f"Classes with fewer than 2 rows cannot be split into train and test: {small}.",
                            hint="Add rows for them or remove them from the data.")
        if len(classes) != 2:
            return None
        positive = resolve_positive_class(self.memory.spec.positive_label, classes,
                                          profile.get("class_counts", {}), self.memory.target or "")
        self.memory.positive_class = positive
        return positive

    def announce_change(self, revised: TaskSpec, changed: set[str], phases: list[str],
                        requirements: dict[str, Any]) -> None:
        """Show the requirement diff and the updated plan, and hand the new requirements to the kernel."""
        old = self.memory.spec

        def shown(spec: TaskSpec, name: str) -> str:
            c = spec.constraint(name)
            value = c.target if c else getattr(spec, name, None)
            return "—" if value in (None, False, []) else str(value)

        rows = "\n".join(f"| {name} | {shown(old, name)} | {shown(revised, name)} |" for name in sorted(changed))
        agents = {"data": "Data, Model and Server", "model": "Model and Server", "server": "Server"}[phases[0]]
        self.heading("the requirements changed", "| requirement | before | now |\n|---|---|---|\n" + rows
                     + f"\n\nRe-running the {agents} agent{'s' if phases[0] != 'server' else ''}; "
                     "the work before that stays as it is.", level=2)
        self.run("revise", render("cells/revise", REQUIREMENTS=requirements))
        self.say(f"Requirements changed ({', '.join(sorted(changed))}); re-running the {agents} agent"
                 f"{'s' if phases[0] != 'server' else ''}.")

    def table_constraints(self) -> list[Constraint]:
        """The rows of the constraint table: the request's constraints, plus memory against the container."""
        spec = self.memory.spec
        rows = list(spec.constraints)
        if spec.container_memory_mb and not spec.constraint("replica_memory_mb"):
            rows.append(Constraint(name="replica_memory_mb", op="<=", value=spec.container_memory_mb))
        return rows

    def conclude(self) -> list[dict[str, Any]]:
        """Write and run the constraint-table cell; return its rows."""
        self.heading("did we meet the requirements?")
        rows = [c.model_dump() for c in self.table_constraints()]
        result = self.run("conclude", constraint_table_cell(rows))
        return result.get("constraints", [])
