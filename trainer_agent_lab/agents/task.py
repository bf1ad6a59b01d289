"""The Task agent: the hub. Understands the request, plans, decides the target, concludes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..cells.render import render
from ..cells.task import constraint_table_cell, requirements_markdown
from ..errors import DataError, NeedsInput, Refused
from ..knowledge import capabilities, ethics
from ..knowledge.columns import (
    ColumnInfo,
    Match,
    best_matches,
    input_columns,
    name_key,
    named_columns,
    phrase_matches,
    question_phrase,
    rank_targets,
)
from ..knowledge.datasets import BUNDLED_TARGETS, bundled_name, mentions
from ..knowledge.sops import PROFILES
from ..llm.clauses import WHAT_THE_READER_READS
from ..spec import CLASSIFICATION_METRICS, CLASSIFICATION_TASK_TYPES, REGRESSION_METRICS, Constraint, TaskSpec, TaskType
from .base import Agent

#: Below this many seconds nothing useful can be trained, exported and measured.
MIN_TIME_BUDGET_S = 20.0
#: Column names that, alone in a table, are taken to be the target (as :func:`~..knowledge.columns.name_key` spells
#: them: ``Label``, ``labels`` and ``TARGET`` count).
TARGET_NAMES = ("target", "label", "class", "y", "outcome")
#: Words that name the positive class of a yes/no target.
POSITIVE_WORDS = ("yes", "true", "1", "positive", "pos", "y", "t")


def asked_target(spec: TaskSpec) -> str | None:
    """What the request asks to predict, in its own words, when it names no column."""
    return next((h.split(":", 1)[1] for h in spec.hints if h.startswith("asked_target:")), None)


@dataclass(frozen=True)
class TargetChoice:
    """The target column, how it was found (in words, for the Task agent's message), and whether it was chosen
    rather than read — a default, a tie broken, inferred from the file to predict — which is announced in a run
    note as well."""

    column: str
    reason: str
    announce: bool = False


def choose_target(spec: TaskSpec, columns: Sequence[str | Mapping[str, Any]], assume_yes: bool, data_ref: str = "",
                  *, n_rows: int | None = None, renamed: Mapping[str, str] | None = None,
                  predict_missing: Sequence[str] = ()) -> TargetChoice:
    """The target column the person means, in this order:

    1. a column the request names (``spec.target``): verbatim, else ignoring case, else the same words (spaces,
       underscores, hyphens, camelCase, plurals); not found or several found: ask;
    2. the thing it asks for in words (``asked_target``: "the apple variety", "which state"), else the question it
       asks ("whether the customer churned"), else the class it names ("precision on spam"): the column whose name
       or values fit (:func:`~trainer_agent_lab.knowledge.columns.phrase_matches`); two that fit equally: ask, or
       with ``assume_yes`` take the more target-like and say so;
    3. the one column the file to predict lacks (``predict_missing``);
    4. the one column named like a target (``target``, ``label``, ``class``, ``y``, ``outcome``);
    5. with ``assume_yes``, the most target-like column (:func:`~trainer_agent_lab.knowledge.columns.target_likeness`:
       never an identifier, a year or a date; categorical and later columns first), announced; else ask.

    A column the request names as an input ("from sex, age and passenger class", "using ...", "given ...":
    :func:`~trainer_agent_lab.knowledge.columns.input_columns`) is never taken by steps 2-5.

    ``columns`` are names or the load report's entries (``name``, ``dtype``, ``n_unique``, ``examples``);
    ``renamed`` maps the loader's identifiers to the user's own names. A thing asked for that a bundled set does
    not record is refused (no label, no model).
    """
    infos = [ColumnInfo.of(c, renamed) for c in columns]
    if spec.target:
        return _named_target(spec.target, infos)
    asked = asked_target(spec)
    inputs = set(input_columns(spec.request, infos))  # "from sex, age and class": what it predicts from, not the target
    for phrase in dict.fromkeys(p for p in (asked, question_phrase(spec.request), spec.positive_label) if p):
        matches = [m for m in phrase_matches(phrase, infos, n_rows) if m.column not in inputs]
        if matches:
            return _fitting(phrase, matches, infos, assume_yes, n_rows)
    infos = [c for c in infos if c.name not in inputs] or infos  # the defaults below never take an input either
    name = bundled_name(data_ref)
    recorded = bool(asked) and name in BUNDLED_TARGETS and mentions(asked, BUNDLED_TARGETS[name])
    if recorded and "target" in [c.name for c in infos]:
        return TargetChoice("target", f"{data_ref}'s target column records {BUNDLED_TARGETS[name]}")
    if asked and name in BUNDLED_TARGETS and not recorded:
        raise Refused(f"The data has no label for {asked}: {data_ref} records {BUNDLED_TARGETS[name]}, and "
                      f"nothing in it records {asked}, so no model can learn to predict it.",
                      hint=f"Provide data with a column that holds {asked} for each example.")
    missing = [c.name for c in infos if c.name in set(predict_missing)]
    if len(missing) == 1:
        return TargetChoice(missing[0], "the file to predict has every column but this one, so it is what the "
                            "model is to predict", announce=True)
    named = [c.name for c in infos if name_key(c.name) in TARGET_NAMES]
    unmatched = (f"The request asks for {asked!r}, but no column's name or values fit it" if asked else
                 "The request does not say which column to predict")
    if len(named) == 1 and not asked:
        return TargetChoice(named[0], "the column named like a target")
    if len(named) == 1:
        return TargetChoice(named[0], f"{unmatched[:1].lower()}{unmatched[1:]}, so I took the column named like a "
                            "target", announce=True)
    ranked = rank_targets(infos, n_rows)
    if assume_yes:
        if ranked:
            best, _, why = ranked[0]
            return TargetChoice(best.name, f"{unmatched[:1].lower()}{unmatched[1:]}; answering with the defaults "
                                f"(--yes) I took the most target-like column ({why}; identifiers, years and dates "
                                "are never taken by default)", announce=True)
        return TargetChoice(infos[-1].name, f"{unmatched[:1].lower()}{unmatched[1:]}, and every column is an "
                            "identifier, a year, a date or a single value; answering with the defaults (--yes) I took "
                            "the last one", announce=True)
    options = [c.name for c, _, _ in ranked[:5]] or [c.name for c in infos[-5:]]
    raise NeedsInput(f"{unmatched}, and the data has no single obvious target column.",
                     hint=f"Name it in the request, e.g. 'predict the {options[0]} column' (answering with the "
                     f"defaults, --yes, would take {options[0]!r}).", question="Which column is the target?",
                     options=options)


def _named_target(written: str, infos: list[ColumnInfo]) -> TargetChoice:
    """The column a name written in the request denotes; ask when none or several do."""
    hits = named_columns(written, infos)
    if len(hits) == 1:
        return TargetChoice(hits[0], "named in the request")
    if len(hits) > 1:
        raise NeedsInput(f"The target {written!r} matches several columns: {', '.join(hits)}.",
                         hint=f"Name the one to predict exactly as written, e.g. 'predict the {hits[0]} "
                         "column'.", question="Which column is the target?", options=hits)
    columns = [c.name for c in infos]
    close = difflib.get_close_matches(written, columns, n=3, cutoff=0.5)
    hint = f"Closest column names: {', '.join(close)}." if close else f"Columns: {', '.join(columns[:30])}."
    hint += f" Name the target as the data spells it, e.g. 'predict the {(close or columns)[0]} column'."
    raise NeedsInput(f"The target column {written!r} is not in the data.", hint=hint,
                     question="Which column is the target?", options=close or columns[:30])


def _fitting(phrase: str, matches: list[Match], infos: list[ColumnInfo], assume_yes: bool,
             n_rows: int | None) -> TargetChoice:
    """The column ``phrase`` fits best; when several fit equally, ask (or, with ``assume_yes``, take the most
    target-like of them and say so)."""
    tied = best_matches(matches)
    if len(tied) == 1:
        return TargetChoice(tied[0].column, f"the request asks for {phrase!r}, and {tied[0].why}")
    names = [m.column for m in tied]
    if not assume_yes:
        raise NeedsInput(f"The request asks for {phrase!r}, and that fits several columns equally: "
                         f"{', '.join(names)}.", hint=f"Name the one to predict, e.g. 'predict the {names[0]} "
                         "column'.", question="Which column is the target?", options=names)
    likeness = {c.name: score for c, score, _ in rank_targets(infos, n_rows)}
    best = max(names, key=lambda n: (likeness.get(n, 0.0), -names.index(n)))
    others = ", ".join(n for n in names if n != best)
    return TargetChoice(best, f"the request asks for {phrase!r}, which fits {best} and {others} equally; answering "
                        f"with the defaults (--yes) I took {best}, the more target-like", announce=True)


def resolve_target(spec: TaskSpec, columns: Sequence[str | Mapping[str, Any]], assume_yes: bool,
                   data_ref: str = "", **known: Any) -> str:
    """The target column's name (see :func:`choose_target`, which also says how it was found)."""
    return choose_target(spec, columns, assume_yes, data_ref, **known).column


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

    def gated_constraints(self, task: str) -> list[dict[str, Any]]:
        """The metric targets a feasibility probe can tell about (``[{"name", "op", "value"}]``)."""
        return [c.model_dump() for c in self.memory.spec.metric_constraints
                if c.op in (">=", ">") and c.name in ("accuracy", "roc_auc", "r2")
                and not (c.name == "roc_auc" and task != "classification")]

    def check_feasibility(self, task: str, *, probe_s: float,
                          cell: Callable[[list[dict[str, Any]], float], Any]) -> dict[str, Any]:
        """Probe the data before the search: refuse when there is no signal or a target is out of reach.

        ``cell`` writes the kind's probe: it must report ``no_signal``,
        ``score``, ``chance``, ``scoring``, ``p_value`` and ``gates`` as the tabular one does. Its permutation test
        may take ``probe_s`` seconds (the kind's budget split decides).
        """
        self.heading("is it feasible?")
        result = self.run("feasibility", cell(self.gated_constraints(task), probe_s))
        self.say(self.judge_feasibility(result))
        return result

    def judge_feasibility(self, result: dict[str, Any]) -> str:
        """What a feasibility probe's ``result`` says: :class:`Refused` when there is no signal or a target is out
        of reach, else the sentence saying it is feasible (the run's probe, and the plan's where it runs it)."""
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
        return (f"Feasible: the data has signal ({result['scoring']} {result['score']:.3f} vs chance "
                f"{result['chance']:.3f}).")

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
        """Choose the target column (the one the request means: :func:`choose_target`) and the task kind from the
        loaded data's columns; a target chosen rather than read is announced in a run note too."""
        spec = self.memory.spec
        renamed = load.get("renamed") or {}
        identifier = {original: new for new, original in renamed.items()}
        missing = [identifier.get(c, c) for c in (load.get("predict_file") or {}).get("missing_columns") or []]
        choice = choose_target(spec, load["columns"], assume_yes, spec.data[0] if spec.data else "",
                               n_rows=load.get("rows"), renamed=renamed, predict_missing=missing)
        target = choice.column
        column = next(c for c in load["columns"] if c["name"] == target)
        task = resolve_task(spec, column, load["rows"])
        self.memory.target, self.memory.task = target, task
        self.memory.done_steps.append("target")
        if choice.announce:
            self.memory.notes.append(f"Target {target}: {choice.reason}.")
        self.say(f"Target: {target} ({task}): {choice.reason}.")
        return target, task

    def decide_positive_class(self, profile: dict[str, Any], classes: list[str]) -> str | None:
        """For two classes: which one precision, recall and F1 are about."""
        if len(classes) < 2:
            raise DataError(f"The target {self.memory.target!r} has a single class ({classes[0] if classes else 'none'}"
                            "): there is nothing to tell apart.",
                            hint="Check the target column, or add rows of the other classes.")
        # classes of one or two rows were merged or dropped by the clean step (its notes say which): ``classes``
        # are the ones left, each with rows enough for a stratified split
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
                     "the work before that stays as it is.", level=3)
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

    def check_understood(self, assume_yes: bool = False) -> None:
        """Stop before any data work when the request was not understood as written.

        A request in a language the reader does not read stops with ``needs_input`` even with ``assume_yes`` (no
        default answer says what it asks for); one that asks for no model is refused (there is nothing to train).
        Clauses that read like requirements but map to nothing the agents know are asked about, quoted; with
        ``assume_yes`` the run goes on and they are noted as unchecked (the outcome lists them).
        """
        spec = self.memory.spec
        if spec.language == "other":
            raise NeedsInput("The request is in a language I do not read, so I cannot tell what it asks for.",
                             hint=WHAT_THE_READER_READS, question="Could you write the request in English or Chinese?")
        if "no_model" in spec.hints:
            words = " ".join(spec.request.split())
            raise Refused(f"“{words if len(words) <= 80 else words[:77] + '...'}” asks for no model, and models are "
                          "what I build: there is nothing to train.", hint=WHAT_THE_READER_READS + " For example: "
                          "'a classifier for data/x.csv with at least 90% accuracy'.")
        self.check_clauses(spec.not_understood, assume_yes)

    def check_follow_up(self, delta: TaskSpec, clauses: Sequence[str], assume_yes: bool = False) -> None:
        """A follow-up message read as ``delta`` is checked as a first request is: one in a language the reader does
        not read stops; its ``clauses`` nobody understood are asked about, quoted (noted as unchecked with
        ``assume_yes``)."""
        if delta.language == "other":
            raise NeedsInput("The message is in a language I do not read, so I cannot tell what it changes.",
                             hint=WHAT_THE_READER_READS, question="Could you write the change in English or Chinese?")
        self.check_clauses(clauses, assume_yes)

    def check_clauses(self, clauses: Sequence[str], assume_yes: bool = False) -> None:
        """Ask about ``clauses`` that read like requirements but map to nothing, quoted (``needs_input``); with
        ``assume_yes``, note them as unchecked and go on."""
        if not clauses:
            return
        quoted = "; ".join(f"“{clause}”" for clause in clauses)
        one = len(clauses) == 1
        part, it = ("this part", "it") if one else ("these parts", "them")
        if not assume_yes:
            raise NeedsInput(f"I did not understand {part} of the request, so I could not honour or check {it}: "
                             f"{quoted}.", hint=f"Rephrase {it} as something I can measure or act on (a metric "
                             "target, a size, a latency, which columns to use), or answer with the defaults (--yes) to "
                             f"go on without {it}: the outcome will list {it} as unchecked.",
                             question=f"Should I go on without {it}?",
                             options=[f"go on without {it}", "rephrase the request"])
        note = f"Not understood, so not checked: {quoted}."
        self.memory.notes.append(note)
        self.say(note)

    def check_capability(self) -> None:
        """Refuse, before any question about data, what no kind of the agents can train (video, speech,
        translation, ...: :mod:`~trainer_agent_lab.knowledge.capabilities`) and targets no model reaches (a
        lottery predictor, 99% on stock prices), with the reason and what could be done instead."""
        verdict = capabilities.check(self.memory.spec)
        if not verdict.allowed:
            raise Refused(verdict.reason)
