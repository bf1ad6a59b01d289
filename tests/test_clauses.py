"""Every clause of a request is accounted for, a request the reader cannot read stops before any work, and the
request stays quoted wherever it is shown.

Pure Python and fast: the reader, the Task agent's check and the orchestrator's opening and closing cells over a
notebook driver that runs no code.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import mistune
import pytest
import yaml

from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.cells.render import render
from trainer_agent_lab.cells.task import quote_markdown, requirements_markdown
from trainer_agent_lab.errors import NeedsInput
from trainer_agent_lab.llm.chat_planner import merge_specs
from trainer_agent_lab.llm.clauses import fragments, language_of
from trainer_agent_lab.llm.rule_reader import normalize, parse_request
from trainer_agent_lab.notebook.driver import FileNotebookDriver
from trainer_agent_lab.orchestrator import Orchestrator, _closing_markdown
from trainer_agent_lab.report import RunReport
from trainer_agent_lab.spec import TaskSpec

from .markdown_driver import MarkdownOnlyDriver

ROOT = Path(__file__).resolve().parents[1]
TASK_FILES = [ROOT.parent / "shared" / "benchmarks" / "tasks.yaml", ROOT / "benchmarks" / "tasks.yaml"]
#: Public tasks whose request holds a requirement of a kind the reader has no words for (their runs are refused, or
#: belong to kinds that read their own targets): not asserted either way here.
UNSUPPORTED = {"refuse-unsupported-kind", "grounding-synthetic", "generation-digits"}


def public_tasks() -> list:
    tasks = []
    for path in TASK_FILES:
        if path.exists():
            tasks += [pytest.param(t["request"], id=f"{path.parent.parent.name}:{t['id']}")
                      for t in yaml.safe_load(path.read_text()) if t["id"] not in UNSUPPORTED]
    return tasks


@pytest.mark.parametrize("request_text", public_tasks())
def test_every_public_request_is_understood(request_text: str) -> None:
    spec = parse_request(request_text)
    assert spec.not_understood == [] and spec.language in ("en", "zh") and "no_model" not in spec.hints


#: Requests as people write them, each clause a constraint, a hint or plain context.
UNDERSTOOD = [
    "Predict insurance claim costs from the policy data with R2 of at least 0.7.",
    "Predict which loan applicants will default so we can review risky applications.",
    "Classify tumours as malignant or benign to help doctors prioritise follow-up.",
    "Detect weapons in airport x-ray scans with at least 95% recall.",
    "Forecast hospital admissions per week from last year's data.",
    "Build a spam filter that rejects junk email with 99% precision.",
    "Monitor machine temperature sensors and flag failing pumps.",
    "Classify newsgroup posts into topics such as religion, politics and sport.",
    "I have a CSV of customer data at data/customers.csv. Can you predict who will churn? Accuracy should be at "
    "least 85%.",
    "We want a small, fast model for the iris data.",
    "Please build me a classifier for data/x.csv. It should be accurate and quick to serve.",
    "Train a regression model on data/house.csv to predict price; the model needs to be under 1 MB and answer "
    "within 10 ms.",
    "The model should be small enough to fit in 500 KB.",
    "Make sure the latency stays below 5 ms at p99.",
    "Use data/sales.csv. The target is revenue. R2 must be at least 0.8.",
    "Train a model on the wine data and export it to ONNX.",
    "It has to be deployed as a REST API in a Docker container.",
    "Predict churn from data/churn.csv with at least 80% recall on churners, and keep it under 100k parameters.",
    "Train a sentiment classifier for the reviews in data/reviews.csv; it must reach 90% accuracy.",
    "Build a digit classifier; accuracy must be above 95% and it needs to serve 100 requests per second on 1 GB "
    "containers.",
    "Train within 10 minutes a classifier with at least 90% F1.",
    "The labels may contain mistakes; train a robust classifier on data/noisy.csv.",
    "There are missing values and duplicates in data/raw.csv, so clean it first, then predict the label column.",
    "Train a classifier on data/x.csv. The dataset has 500 rows and 20 columns.",
    "Predict house prices from data/house.csv. Some prices are outliers.",
    "Build a model for data/loans.csv that predicts default. Don't quantize it.",
    "Train a model that must have fewer than 1000 parameters and that answers in under 2 ms.",
    "Build a fraud detector on data/fraud.parquet with ROC AUC above 0.9; it will run on 512 MB pods at 50 QPS.",
    "The model must be fast and small.",
    "Train it in under 5 minutes, with at least 90% accuracy on the test set.",
    "Use the breast cancer data; recall must be at least 0.95 for malignant cases because missing one is costly.",
    "Build a classifier for the wine data, deploy it on CPU, and make sure the model is exported as ONNX.",
    "Build a classifier for data/x.csv where each row is a customer and the label column says whether they churned.",
    "Train a model on data/x.csv that uses only age and income.",
    "Predict default from data/loans.csv and never use gender or race.",
    "Predict sale_price from data/h.csv with R2 at least 0.8.",
    "Train for 10 epochs with at least 0.9 accuracy over 10 classes",
    "now also deploy on 2 GB containers at 100 QPS",
    "Only the wine data is available, so train a classifier on it.",
    "I only have 200 rows, so keep the model small.",
    "Train a classifier on data/x.csv without the zip code column.",
    "We don't know which column is the target.",
    "The model should answer quickly; p99 under 10 ms.",
    "Can you train a model on the iris data? It should be at least 90% accurate.",
    "Build a regression model for data/cars.csv; the target column is mpg; MAE must not exceed 2.",
    "Predict house prices in data/house.csv, but the model must not use the owner's ethnicity.",
    "The training must finish within 5 minutes.",
    "Please keep the model file below 2 MB and the memory under 300 MB.",
    "用 data/house.csv 训练一个回归模型预测房价，RMSE 不超过 5，模型文件小于 1MB。",
    "训练一个识别手写数字的模型，只能用CPU，准确率不低于97%。",
    "请在10分钟内训练完，模型要小，延迟要低。",
    "请用鸢尾花数据训练一个分类器，准确率至少95%，延迟低于5毫秒。",
    "训练一个模型，必须达到95%的准确率。",
    "预测 price 列，数据在 data/house.csv，要求R2不低于0.8",
    "清洗数据，注意异常值，标签有错误，还有一些未标注的数据",
]


@pytest.mark.parametrize("request_text", UNDERSTOOD)
def test_context_and_hints_are_not_flagged(request_text: str) -> None:
    spec = parse_request(request_text)
    assert spec.not_understood == [], spec.not_understood
    assert "no_model" not in spec.hints


#: Requests with a requirement the agents cannot honour or check: (request, the clause reported).
NOT_UNDERSTOOD = [
    ("It must run on a Raspberry Pi", "It must run on a Raspberry Pi"),
    ("Train a wine classifier. It must run on a Raspberry Pi.", "It must run on a Raspberry Pi"),
    ("Train a wine classifier. Never retrain on weekends.", "Never retrain on weekends"),
    ("Train a wine classifier with explanations for every prediction.", "with explanations for every prediction"),
    ("Train a classifier on data/loans.csv; the model must be fair to women.", "the model must be fair to women"),
    ("Train a wine classifier that runs on a GPU.", "that runs on a GPU"),
    ("Train a classifier on data/x.csv; it must be retrained every week.", "it must be retrained every week"),
    ("Train a classifier on data/x.csv. The probabilities must be calibrated.",
     "The probabilities must be calibrated"),
    ("Train a classifier on data/x.csv. The model must beat our current model.",
     "The model must beat our current model"),
    ("Train a classifier on data/x.csv. Training data must stay in the EU.", "Training data must stay in the EU"),
    ("Train a classifier on data/x.csv. I need the results by Friday.", "I need the results by Friday"),
    ("Train a classifier on data/x.csv and keep the false positive rate under 5%.",
     "keep the false positive rate under 5%"),
    ("Train a classifier on data/x.csv with fewer than 3 hidden layers.", "with fewer than 3 hidden layers"),
    ("Train a speech model with 99% word accuracy.", "with 99% word accuracy"),
    ("用葡萄酒数据训练分类器，模型必须在手机上运行。", "模型必须在手机上运行"),
    ("用葡萄酒数据训练分类器，每周重新训练一次。", "每周重新训练一次"),
    ("用葡萄酒数据训练分类器，模型必须公平。", "模型必须公平"),
]


@pytest.mark.parametrize(("request_text", "clause"), NOT_UNDERSTOOD)
def test_requirements_nothing_reads_are_flagged(request_text: str, clause: str) -> None:
    spec = parse_request(request_text)
    assert spec.not_understood == [clause]
    assert spec.constraints == parse_request(request_text.replace(clause, "")).constraints  # nothing else changed


def test_clauses_split_before_subordinate_words_and_join_bare_modal_words() -> None:
    norm = normalize("Make sure that accuracy is at least 0.9, with explanations (see data/x.csv) so doctors can "
                     "check. I need, please, at least 90% recall")
    parts = [norm[lo:hi] for lo, hi in fragments(norm)]
    assert parts == ["Make sure that accuracy is at least 0.9", "with explanations", "see data/x.csv",
                     "so doctors can check", "I need, please, at least 90% recall"]


@pytest.mark.parametrize(("text", "language"), [
    ("Обучи классификатор на данных wine с точностью не ниже 95%", "other"),
    ("درب مصنفا على بيانات النبيذ بدقة 95%", "other"),
    ("ワインのデータで分類モデルを訓練して", "other"),
    ("와인 데이터로 분류기를 학습해", "other"),
    ("Entraîne un classifieur sur les données wine avec au moins 95% de précision", "other"),
    ("Trainiere einen Klassifikator auf den Weindaten mit mindestens 95% Genauigkeit", "other"),
    ("Entrena un clasificador con los datos de vino con al menos 95% de precisión", "other"),
    ("Train a classifier on the wine data with 95% accuracy (model name: «le vin»)", "en"),
    ("用葡萄酒数据训练一个分类模型，准确率不低于95%，并导出ONNX部署包。", "zh"),
    ("p99 latency under 5 μs", "en"),
])
def test_languages_the_reader_does_not_read_are_recognised(text: str, language: str) -> None:
    assert language_of(normalize(text)) == language
    spec = parse_request(text)
    assert spec.language == language
    if language == "other":
        assert spec.not_understood == [] and "no_model" not in spec.hints  # not read at all, so nothing flagged


@pytest.mark.parametrize("text", ["write me a poem", "What's the weather like in Paris tomorrow?",
                                  "Tell me a joke about cats.", "给我写一首诗"])
def test_requests_for_no_model_are_marked(text: str) -> None:
    assert "no_model" in parse_request(text, data=["sklearn:wine"]).hints


@pytest.mark.parametrize("text", ["Just train something good.", "Tell the apple variety from the fruit measurements",
                                  "at 50 req/s", "Clean the data first.", "accuracy 93"])
def test_anything_read_is_a_request_for_a_model(text: str) -> None:
    assert "no_model" not in parse_request(text).hints


def test_only_clear_or_existing_paths_are_data(tmp_path: Path) -> None:
    assert parse_request("Use /script to train a classifier and/or a regressor").data == []
    assert parse_request("Train on input/output pairs with TCP/IP features").data == []
    assert parse_request(f"Classify the images in {tmp_path}").data == [str(tmp_path)]
    assert parse_request("Train on ./x and ~/d.jsonl and data/b/ and /tmp/no/such.csv").data == [
        "./x", "~/d.jsonl", "data/b/", "/tmp/no/such.csv"]


# ------------------------------------------------------------------------------- the agents act on it
def run(tmp_path: Path, request: str, *, assume_yes: bool = False, driver=None) -> tuple[RunReport, list[str]]:
    """A run of ``request`` over a driver that runs no code; the report and the notebook's markdown."""
    driver = driver or MarkdownOnlyDriver(tmp_path / "nb.ipynb")
    report = Orchestrator(driver, tmp_path, assume_yes=assume_yes).run(request, data="sklearn:wine")
    return report, [c.source for c in driver.nb.cells if c.cell_type == "markdown"]


def test_a_foreign_language_stops_before_any_work_with_what_the_reader_reads(tmp_path: Path) -> None:
    """Even with --yes: no default answer says what the request asks for."""
    report, markdown = run(tmp_path, "Обучи классификатор вина с точностью не ниже 95%", assume_yes=True)
    assert report.status == "needs_input" and report.question == "Could you write the request in English or Chinese?"
    assert "I read requests in English and Chinese" in report.reason and report.spec["language"] == "other"
    assert markdown[-1].startswith("## Outcome: **needs_input**")


def test_a_request_for_no_model_is_refused_before_any_work(tmp_path: Path) -> None:
    report, _ = run(tmp_path, "What's the weather like in Paris tomorrow?", assume_yes=True)
    assert report.status == "refused" and "asks for no model" in report.reason and "sklearn:NAME" in report.reason


def test_a_clause_not_understood_is_asked_about_quoted(tmp_path: Path) -> None:
    report, markdown = run(tmp_path, "Train a wine classifier with at least 90% accuracy. It must run on a GPU.")
    assert report.status == "needs_input" and "“It must run on a GPU”" in report.reason
    assert report.question == "Should I go on without it?" and report.options[0] == "go on without it"
    assert "| not understood | “It must run on a GPU” — not checked |" in markdown[0]
    assert "| accuracy | >= 0.9 |" in markdown[0]


class StopAtFirstCode(FileNotebookDriver):
    """A driver that stops the run (needs_input) when the first code cell is about to run: the data work."""

    def _execute(self, cell, index):
        raise NeedsInput("The data work started.")

    def interrupt(self):
        pass

    def close(self):
        pass


def test_with_yes_the_run_goes_on_and_notes_the_clause_as_unchecked(tmp_path: Path) -> None:
    driver = StopAtFirstCode(tmp_path / "nb.ipynb")
    report, _ = run(tmp_path, "Train a wine classifier. It must run on a GPU.", assume_yes=True, driver=driver)
    assert report.reason == "The data work started."
    assert "Not understood, so not checked: “It must run on a GPU”." in report.notes
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["spec"]["not_understood"] == ["It must run on a GPU"]


def test_the_outcome_never_says_every_requirement_is_met_with_a_clause_unchecked(tmp_path: Path) -> None:
    orchestrator = Orchestrator(MarkdownOnlyDriver(tmp_path / "nb.ipynb"), tmp_path)
    met = {"conclude": {"constraints": [{"name": "accuracy", "target": ">= 0.9", "actual": 0.95, "met": True}]}}
    plain = RunMemory(spec=TaskSpec(request="r"), results=met)
    assert orchestrator._succeeded_or_missed(plain).reason == "Every requirement is met."
    memory = RunMemory(spec=TaskSpec(request="r", not_understood=["it must run on a GPU"]), results=met)
    report = orchestrator._succeeded_or_missed(memory)
    assert report.status == "succeeded" and "Every requirement is met" not in report.reason
    assert report.reason == ("Every requirement I could measure is met. Not checked, because I did not understand "
                             "it: “it must run on a GPU”.")
    memory.results = {}
    assert orchestrator._succeeded_or_missed(memory).reason.startswith(
        "Trained, evaluated and packaged; the request set no targets I could measure. Not checked")
    report.spec = memory.spec.model_dump(mode="json")
    closing = _closing_markdown(report)
    assert "**Not checked**" in closing and "- it must run on a GPU" in closing


def test_the_llm_path_keeps_the_rules_not_understood_clauses_and_language() -> None:
    rules = parse_request("Train a wine classifier. It must run on a GPU.")
    llm = TaskSpec(request=rules.request, task_type="classification", data=["sklearn:wine"])
    merged, _ = merge_specs(llm, rules, rules.request)
    assert merged.not_understood == ["It must run on a GPU"]  # the model did not say: the rules' clauses stand
    read = llm.model_copy(update={"not_understood": ["it must run on a GPU", "a clause it made up"]})
    assert merge_specs(read, rules, rules.request, clauses_read=True)[0].not_understood == ["it must run on a GPU"]
    foreign = parse_request("Обучи классификатор вина")
    assert merge_specs(TaskSpec(request=foreign.request), foreign, foreign.request)[0].language == "other"


# ------------------------------------------------------------------------------------- quoted text
NASTY = ("Train a classifier <script>alert('x')</script>\n# not a heading\n- not a list\n1. not a list either\n\n"
         "| a | b |\n|---|---|\n```\ncode?\n```\n<img src=x onerror=alert(1)> **bold?** [link](http://x) $x^2$ ===")


def _blockquote_only(html: str, title: bool) -> None:
    """The rendered request is one blockquote of paragraphs: no tag, heading, list, table or code of its own."""
    body = html.split("<blockquote>", 1)[1].rsplit("</blockquote>", 1)[0]
    for tag in ("<script", "<img", "<h1", "<h2", "<ul", "<ol", "<table", "<pre", "<code", "<strong", "<a ", "<hr"):
        assert tag not in body, tag
    assert html.count("<blockquote>") == 1 and "&lt;script&gt;" in body and "# not a heading" in body
    assert (html.count("<h1>") == 1) is title


def test_the_request_stays_quoted_in_the_notebook() -> None:
    markdown = requirements_markdown(TaskSpec(request=NASTY, not_understood=["a | b <b>c</b>"]), [])
    quote = markdown.split("\n\n## Requirements")[0].split("\n", 2)[2]
    assert all(line == ">" or line.startswith("> ") for line in quote.split("\n"))
    assert quote.count("\n") == NASTY.count("\n")
    _blockquote_only(mistune.html(markdown.split("## Requirements")[0]), title=True)
    assert "| not understood | “a \\| b &lt;b&gt;c&lt;/b&gt;” — not checked |" in markdown
    assert quote_markdown("a\r\nb") == "> a\n> b"


def test_the_request_stays_quoted_in_the_model_card() -> None:
    """The model card cell's own quoting function (cells/bundle_documents.py), run as the notebook runs it."""
    cell = next(c.source for c in render("cells/bundle_documents", REQUEST=NASTY) if "model_card.md" in c.source
                and "def quoted" in c.source)
    function = next(node for node in ast.parse(cell).body if isinstance(node, ast.FunctionDef)
                    and node.name == "quoted")
    namespace: dict = {}
    exec("import html\nimport re\n" + ast.unparse(function), namespace)
    card = namespace["quoted"](NASTY)
    assert card == quote_markdown(NASTY)
    _blockquote_only(mistune.html("Built for this request:\n\n" + card), title=False)


# ------------------------------------------------------------------------------------- a follow-up too
def prepared(tmp_path: Path, driver=None, *, assume_yes: bool = False) -> Orchestrator:
    """An orchestrator whose last run prepared the data (the state a follow-up revises), over ``driver``."""
    orchestrator = Orchestrator(driver or MarkdownOnlyDriver(tmp_path / "nb.ipynb"), tmp_path, assume_yes=assume_yes)
    spec = parse_request("Train a wine classifier with at least 90% accuracy.", data=["sklearn:wine"])
    orchestrator.memory = RunMemory(spec=spec, results={"split": {"n_train": 100}})
    return orchestrator


def test_a_follow_up_clause_not_understood_is_asked_about_before_any_cell(tmp_path: Path) -> None:
    driver = StopAtFirstCode(tmp_path / "nb.ipynb")
    report = prepared(tmp_path, driver).revise("The accuracy must now be at least 95%. It must run on a GPU.")
    assert report.status == "needs_input" and "“It must run on a GPU”" in report.reason
    assert report.question == "Should I go on without it?" and "data work" not in report.reason
    report = prepared(tmp_path, driver).revise("It must run on a GPU.")  # nothing else: asked, not "no change"
    assert report.status == "needs_input" and "“It must run on a GPU”" in report.reason
    report = prepared(tmp_path, driver).revise("Теперь точность не ниже 95%")
    assert report.status == "needs_input" and report.question == "Could you write the change in English or Chinese?"


def test_with_yes_a_follow_up_clause_is_noted_and_reported_unchecked(tmp_path: Path) -> None:
    driver = StopAtFirstCode(tmp_path / "nb.ipynb")
    orchestrator = prepared(tmp_path, driver, assume_yes=True)
    report = orchestrator.revise("The accuracy must now be at least 95%. It must run on a GPU.")
    assert report.reason == "The data work started."  # it went on to the follow-up's cells
    assert "Not understood, so not checked: “It must run on a GPU”." in report.notes
    assert orchestrator.memory.spec.not_understood == ["It must run on a GPU"]
    done = RunMemory(spec=orchestrator.memory.spec, results={"conclude": {"constraints": [
        {"name": "accuracy", "target": ">= 0.95", "actual": 0.97, "met": True}]}})
    assert "Not checked, because I did not understand it: “It must run on a GPU”." in (
        orchestrator._succeeded_or_missed(done).reason)
