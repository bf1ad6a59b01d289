"""Text classification: the Data, Model and Server agents' steps for texts.

The Model agent follows the paper's strategy (the kind's plan in :mod:`.`): the best student within the budget; if its
cross-validated accuracy misses the target and there is an unlabeled pool, a teacher (the packaged MiniLM
encoder, fine-tuned), pseudo-labels, and the student again on labeled + pseudo-labeled texts. Before any of it,
the Task agent checks with a learning curve that the labels can reach the target, or asks for more.
"""

from __future__ import annotations

from typing import Any

from ...agents.data import DataAgent
from ...agents.model import MARGIN, ModelAgent, inclusive_limit
from ...agents.server import ServerAgent
from ...agents.task import TaskAgent
from ...errors import CellExecutionFailed, DataError, NeedsInput, Refused
from ...knowledge.text_data import SYNTHETIC_JOB_ADS, unconfirmable
from ...knowledge.text_zoo import teacher_available, text_candidates
from ..base import Run
from . import data_cells, model_cells, server_cells

#: An unlabeled pool this many times the labeled texts (and at least MIN_POOL) lets a teacher make up for labels.
POOL_FACTOR, MIN_POOL = 2.0, 200
#: Unlabeled texts the LLM annotator (when one is configured) is asked to label.
LLM_POOL_SAMPLE = 100
#: Seconds kept back after the teacher: the distilled student's search, evaluation and the Server agent.
RESERVE_AFTER_TEACHER_S = 150.0
#: Seconds each student search may take (at most), and its share of the budget.
SEARCH_S, SEARCH_SHARE = 90.0, 0.12


class TextDataAgent(DataAgent):
    """The Data agent, for texts."""

    def load_texts(self, ref: str) -> dict[str, Any]:
        """Load the labeled, unlabeled and test texts (generating the job adverts first for ``synthetic:job-ads``)."""
        if ref == SYNTHETIC_JOB_ADS:
            self.markdown("The request asks for the generated job adverts: the Data agent writes them first.")
            ref = self.run("generate", data_cells.job_ads_cell())["path"]
        try:
            result = self.run("load", data_cells.load_text_cell(ref, self.memory.spec.target))
        except CellExecutionFailed as exc:
            raise DataError(f"Could not load the texts {ref!r}: {exc.error['evalue']}") from exc
        extra = [f"{result[k]:,} {k}" for k in ("unlabeled", "test") if result[k]]
        self.say(f"Loaded {result['labeled']:,} labeled texts" + (f", {', '.join(extra)}" if extra else "")
                 + f"; text column {result['text_column']!r}, label column {result['label_column']!r} "
                 f"({len(result['classes'])} classes, language {result['language']}).")
        return result

    def prepare(self) -> dict[str, Any]:
        """Normalise, de-duplicate, profile and check the labels."""
        self.heading("clean the texts")
        norm = self.run("normalise", data_cells.normalise_cell())
        self.say(f"Normalised the texts ({norm['changed']} labeled texts changed: "
                 + ", ".join(f"{k} {v}" for k, v in norm["counts"].items() if v) + ").")
        clean = self.run("clean", data_cells.dedupe_cell())
        self.memory.notes.extend(clean.get("notes", []))
        for note in clean.get("notes", []):
            self.say(note)
        llm = self.memory.llm
        has_llm = llm is not None and getattr(llm, "name", "offline") != "offline"
        suspects = self.run("suspects", data_cells.suspects_cell(LLM_POOL_SAMPLE if has_llm else 0))
        if suspects["suspects"]:
            self.say(f"{suspects['suspects']} labels look wrong to a cross-validated model; they are shown with the "
                     "proposed correction and corrected only if " + ("the LLM annotator or " if has_llm else "")
                     + "the teacher agrees.")
        if has_llm:
            self.annotate(clean["classes"], suspects)
        return clean

    def annotate(self, classes: list[str], suspects: dict[str, Any]) -> None:
        """The paper's LLM annotator and corrector: label the suspect texts and a sample of the unlabeled pool."""
        rows, pool = suspects.get("suspect_rows", []), suspects.get("pool_sample", [])
        texts = [r["text"] for r in rows] + [r["text"] for r in pool]
        if not texts:
            return
        labels = self.consult(lambda llm: llm.annotate(self.memory.spec.request, classes, texts))
        if not labels:
            return
        corrections = {r["index"]: label for r, label in zip(rows, labels[:len(rows)], strict=True)
                       if label and label != r["given"]}
        annotations = {r["index"]: label for r, label in zip(pool, labels[len(rows):], strict=True) if label}
        name = getattr(self.memory.llm, "description", "the language model")
        result = self.run("annotate", data_cells.llm_labels_cell(name, corrections, annotations))
        self.say(f"The LLM annotator corrected {result['corrected']} suspect labels and labeled "
                 f"{result['annotated']} unlabeled texts.", llm=getattr(self.memory.llm, "name", "llm"))
        if result["corrected"]:
            self.memory.notes.append(f"{result['corrected']} suspect labels corrected by the LLM annotator")

    def split_texts(self, positive: str | None, has_test_file: bool) -> dict[str, Any]:
        """Train on the labeled texts; test on the test file or a stratified share."""
        self.heading("split")
        rows = self.memory.results["clean"]["rows"]
        result = self.run("split", data_cells.text_split_cell(0.2 if rows >= 500 else 0.25, positive))
        self.say(f"{result['n_train']:,} labeled texts to train, {result['n_test']:,} to test ({result['test_source']})"
                 + (f", {result['n_unlabeled']:,} unlabeled" if result["n_unlabeled"] else "") + ".")
        return result


class TextModelAgent(ModelAgent):
    """The Model agent, for texts: students within the budget, the teacher, pseudo-labels, distillation."""

    def select(self, classes: list[str], language: str) -> tuple[list[str], dict[str, int], bool]:
        """Judge the text zoo; return the students kept, their vocabulary sizes, and whether a teacher can help."""
        self.heading("candidates within the budget, and a teacher")
        limit = inclusive_limit(self.memory.spec.constraint("parameters"))
        judged = text_candidates(len(classes), language, limit, teacher_available())
        rows = "\n".join(f"| {c.family.title} | {c.family.role} | {c.family.counting} | {c.parameters:,} | "
                         f"{'yes' if c.kept else 'no'} | {c.reason} |" for c in judged)
        self.markdown("Candidates from the text zoo (parameters counted exactly, embeddings included):\n\n"
                      "| family | role | parameters counted | at the largest vocabulary | kept | why |\n"
                      "|---|---|---|---|---|---|\n" + rows)
        students = [c for c in judged if c.kept and c.family.role == "student"]
        if not students:
            raise Refused(f"No text model fits the budget of {self.memory.spec.constraint('parameters').target} "
                          "parameters: even a linear model over a few hundred terms needs more.",
                          hint="Allow at least a few thousand parameters.")
        teacher = any(c.kept and c.family.role == "teacher" for c in judged)
        self.say("Students within budget: " + ", ".join(c.family.name for c in students)
                 + ("; MiniLM can teach them." if teacher else "; no teacher can be used here."))
        self.memory.done_steps.append("select")
        return [c.family.name for c in students], {c.family.name: c.vocabulary for c in students}, teacher

    def student(self, stage: str, families: list[str], vocabulary: dict[str, int], seconds: float
                ) -> dict[str, Any]:
        """One student search and fit (``student alone`` or ``distilled student``)."""
        self.heading(f"train the {stage}")
        step = "search" if stage == "student alone" else "fit"
        result = self.run(step, model_cells.student_cell(stage, families, vocabulary, seconds))
        self.say(f"{stage.capitalize()}: {result['family']} with {result['parameters']:,} parameters, cross-validated "
                 f"accuracy {result['cv_accuracy']:.3f}, test accuracy {result['test_accuracy']:.3f}.")
        return result

    def teach(self, seconds: float) -> dict[str, Any]:
        """Fine-tune the teacher and pseudo-label the pool."""
        self.say(f"The student alone falls short: fine-tuning the MiniLM teacher for up to {seconds:.0f} s.")
        teacher = self.run("teacher", model_cells.teacher_cell(seconds))
        self.say(f"Teacher ({teacher['parameters']:,} parameters, {teacher['epochs']} epochs): test accuracy "
                 f"{teacher['test_accuracy']:.3f}.")
        pseudo = self.run("pseudo", model_cells.pseudo_label_cell())
        self.say(f"Pseudo-labeled {pseudo['pseudo_labeled']:,} of {pseudo['pool']:,} unlabeled texts; corrected "
                 f"{pseudo['corrected']} labels.")
        if pseudo["corrected"]:
            self.memory.notes.append(f"{pseudo['corrected']} suspect labels corrected where the teacher agreed")
        return teacher

    def evaluate(self) -> dict[str, Any]:
        """Test metrics and the table of every step."""
        result = self.run("evaluate", model_cells.text_evaluate_cell())
        self.say("Steps: " + model_cells.steps_summary(result["steps"]) + ".")
        return result


class TextServerAgent(ServerAgent):
    """The Server agent with the text cells (ONNX + the preprocessing files the bundle ships)."""

    cells = server_cells


def data_phase(run: Run, setup: bool = True) -> None:
    """Load, normalise, de-duplicate, check labels, split."""
    task, memory = run.task, run.memory
    if not memory.spec.data:
        raise NeedsInput("The request names no texts.", hint="Pass --data with a CSV/JSON lines file of texts and "
                         "labels, or a folder with labeled, unlabeled and test files.",
                         question="Which texts should the model learn from?")
    data = TextDataAgent(run.driver, memory, run.emit)
    if setup:
        data.setup(run.seed, run.requirements())
    load = data.load_texts(memory.spec.data[0])
    memory.target, memory.task = load["label_column"], "classification"
    memory.done_steps.append("target")
    memory.results["language"] = {"language": load["language"]}
    clean = data.prepare()
    positive = task.decide_positive_class(clean, clean["classes"])
    data.split_texts(positive, bool(load["test"]))


def check_labels(task: TaskAgent, teacher: bool) -> dict[str, Any]:
    """The Task agent's feasibility check for texts: can these labels reach the target, or can a teacher help?"""
    spec = task.memory.spec
    target = spec.constraint("accuracy")
    split = task.memory.results["split"]
    if target is not None:  # a target no split of the labels could confirm: asked before any training
        question = unconfirmable(split["n_train"] + split["n_test"], target.value)
        if question is not None:
            raise question
    task.heading("is it feasible?")
    curve = task.run("feasibility", model_cells.learning_curve_cell(target.value if target else None))
    if curve.get("no_signal"):
        raise Refused(f"The labels show no signal in the texts: a quick TF-IDF probe scores {curve['signal_scoring']} "
                      f"{curve['signal']:.3f} against {curve['chance']:.3f} for chance"
                      + (f", and shuffled labels do as well (permutation p-value {curve['p_value']:.2f})"
                         if curve["p_value"] is not None else "") + ".",
                      hint="Check that the label column belongs to these texts (a shifted or shuffled file?), or "
                           "label a sample by hand and compare.")
    if target is None or curve["current"] is None or curve["current"] >= target.value + MARGIN:
        task.say("Feasible: " + (f"the labeled texts already reach {curve['current']:.3f} cross-validated accuracy."
                                 if curve["current"] is not None else "no accuracy target to check."))
        return curve
    pool = curve["n_unlabeled"]
    if teacher and pool >= max(MIN_POOL, POOL_FACTOR * curve["n_train"]):
        task.say(f"{curve['n_train']} labeled texts reach {curve['current']:.3f} cross-validated accuracy, short of "
                 f"{target.value:g}" + (f" (about {curve['needed']:,} would be needed)" if curve["needed"] else "")
                 + f"; the {pool:,} unlabeled texts and a teacher can make up for it (the paper's strategy).")
        return curve
    needed = curve["needed"] or max(10 * curve["n_train"], curve["min_test"] + curve["n_train"])
    estimate = (f"the learning curve of the labeled examples extrapolates to about {needed:,} labeled examples"
                if curve["needed"] else f"the learning curve flattens below the target, so at least {needed:,} "
                "labeled examples (likely more) would be needed")
    short_test = curve["n_test"] < curve["min_test"]
    checkable = ("" if not short_test else
                 f" Also, {curve['n_test']} test examples cannot confirm {target.value:.0%} accuracy: that takes "
                 f"about {curve['min_test']} held-out labeled examples.")
    total = needed + (curve["min_test"] if short_test else curve["n_test"])
    helper = ("" if teacher else " (no pretrained teacher can be used for these texts)")
    raise NeedsInput(f"{curve['n_train']} labeled examples are too few for {target.value:.0%} accuracy: they reach "
                     f"{curve['current']:.3f} (cross-validated), and {estimate}.{checkable}",
                     hint=f"Label about {total:,} examples in all ({needed:,} to train, the rest to test), or add a "
                     f"pool of unlabeled texts (a few hundred or more) for a teacher to pseudo-label{helper}, or lower "
                     "the target.",
                     question=f"Can you provide about {total:,} labeled examples (or unlabeled texts)?",
                     options=["provide more labeled examples", "provide unlabeled texts", "lower the target"])


def model_phase(run: Run) -> None:
    """Student; if short and possible, teacher + pseudo-labels + distilled student; evaluate."""
    task, memory, budget = run.task, run.memory, run.budget
    model = TextModelAgent(run.driver, memory, run.emit)
    split = memory.results["split"]
    language = memory.results.get("language", {}).get("language", "en")
    families, vocabulary, teacher = model.select(split["classes"], language)
    curve = check_labels(task, teacher)
    target = memory.spec.constraint("accuracy")

    def left() -> float:
        return budget.left_s(reserve=False)

    search_s = budget.share_s(SEARCH_SHARE, SEARCH_S)
    alone = model.student("student alone", families, vocabulary, search_s)
    memory.results["fit"] = alone
    short = target is not None and alone["cv_accuracy"] < target.value + MARGIN
    if short and teacher and curve["n_unlabeled"] > 0:
        seconds = left() - RESERVE_AFTER_TEACHER_S
        if seconds < 30:
            model.say(f"Only {max(seconds, 0):.0f} s would be left for the teacher: keeping the student alone.")
        else:
            model.teach(seconds)
            model.student("distilled student", families, vocabulary, min(search_s, max(20.0, left() - 100.0)))
    model.evaluate()
