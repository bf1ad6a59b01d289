"""What the agents can train (knowledge/capabilities.py) and ``trainer-agent plan``: the verdict a run would reach,
decided by the Task agent's own checks on a peek at the data, without a kernel or training."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainer_agent_lab import Plan, plan
from trainer_agent_lab.kinds import KIND_PACKAGES, registry
from trainer_agent_lab.knowledge import capabilities
from trainer_agent_lab.llm.rule_reader import parse_request
from trainer_agent_lab.orchestrator import Orchestrator
from trainer_agent_lab.planning import BUNDLED_SHAPES, peek_data

from .markdown_driver import MarkdownOnlyDriver
from .shared_runs import ACCEPTANCE_TASKS, load_tasks

SPEECH = "Train a speech recognition model for our call-centre recordings with 99% word accuracy."


def cli_plan(*args: str, cwd: Path) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "trainer_agent_lab", "plan", *args, "--json"], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def churn_csv(tmp_path: Path) -> Path:
    rows = ["customer_id,tenure,plan,monthly_fee,churned"]
    rows += [f"C{i:04d},{i * 7 % 60},{'basic' if i % 3 else 'pro'},{20 + i % 50}.5,"
             f"{'yes' if i * 7 % 60 < 15 or i % 9 == 0 else 'no'}" for i in range(200)]  # short tenure churns
    path = tmp_path / "churn.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


# -- the table of kinds -------------------------------------------------------------------------------------
def test_the_table_of_kinds_agrees_with_the_registry():
    built = capabilities.built()
    assert {c.kind for c in built} == set(KIND_PACKAGES)
    handled = {t.value for t in registry() if t is not None}
    assert {t for c in built for t in c.task_types} == handled
    for cap in built:
        assert {registry()[t].name for t in registry() if t is not None and t.value in cap.task_types} == {cap.kind}
    assert all(c.pattern is not None for c in capabilities.CAPABILITIES if not c.built)
    assert "| Tables |" in capabilities.table_markdown()


@pytest.mark.parametrize(("request_text", "rule"), [
    (SPEECH, "speech"),
    ("A video question-answering model, 99% accuracy, no data", "video"),
    ("Translate our English product descriptions into German.", "translation"),
    ("Build a QA system that answers customers' questions from our manuals.", "question_answering"),
    ("Train a reinforcement learning agent to play chess.", "reinforcement_learning"),
    ("Object detection: find every car in the photos with bounding boxes.", "detection"),
    ("Semantic segmentation of road scenes.", "detection"),
    ("Build a chatbot for customer support.", "text_generation"),
    ("A recommender system for the products in our shop.", "recommendation"),
    ("Customer segmentation of our buyers into groups.", "clustering"),
    ("训练一个语音识别模型，准确率99%。", "speech"),
    ("做一个视频问答模型。", "video"),
    ("把中文合同翻译成英文。", "translation"),
    ("用强化学习训练一个下棋的智能体。", "reinforcement_learning"),
    ("目标检测模型，找出图片中的汽车。", "detection"),
    ("做一个聊天机器人。", "text_generation"),
    ("给用户推荐商品的推荐系统。", "recommendation"),
])
def test_unsupported_kinds_are_refused_with_what_could_be_done_instead(request_text, rule):
    verdict = capabilities.check(parse_request(request_text))
    assert not verdict.allowed and verdict.rule == rule
    assert "not a kind of task the agents can train" in verdict.reason
    assert "What could be done instead" in verdict.reason and "tables" in verdict.reason


@pytest.mark.parametrize(("request_text", "rule", "why"), [
    ("Build a model that predicts next week's lottery numbers.", "random_draws", "random by design"),
    ("预测下一期彩票号码。", "random_draws", "random by design"),
    ("Predict stock prices from data/prices.csv with 99% accuracy.", "markets", "random walk"),
    ("Classify the reviews with 100% accuracy; the labels are noisy.", "perfect_on_noise", "perfect score"),
])
def test_fantastical_targets_are_refused_with_the_reason(request_text, rule, why):
    verdict = capabilities.check(parse_request(request_text))
    assert not verdict.allowed and verdict.rule == rule and why in verdict.reason


def test_an_out_of_reach_target_for_an_unsupported_kind_says_so_too():
    assert "out of reach as well" in capabilities.check(parse_request(SPEECH)).reason


@pytest.mark.parametrize("request_text", [
    "Detect hate speech against religious or ethnic groups in user comments.",
    "Classify video game reviews as positive or negative.",
    "Classify call transcripts by the reason for the call, 85% accuracy.",
    "Detect weapons in airport x-ray scans with at least 95% recall.",
    "Predict whether an item will be out of stock next week.",
    "Classify customer questions into billing, shipping and returns.",
    "Predict which users click a recommended product from data/clicks.csv.",
    "Detect fraud in transactions with 99% recall.",
    "Predict house prices; the data has a caption column.",
    "Classify the promo texts with 90% accuracy; labels may contain mistakes.",
    "用葡萄酒数据训练一个分类模型，准确率不低于95%。",
])
def test_look_alikes_of_unsupported_kinds_go_through(request_text):
    verdict = capabilities.check(parse_request(request_text))
    assert verdict.allowed, verdict.reason


def test_the_run_refuses_an_unsupported_kind_before_asking_for_data(tmp_path):
    for request in (SPEECH, "A video question-answering model, 99% accuracy, no data"):
        driver = MarkdownOnlyDriver(tmp_path / "nb.ipynb")
        report = Orchestrator(driver, tmp_path / "run").run(request, time_budget_s=60)
        assert report.status == "refused", report.reason
        assert "Which data" not in (report.question or "") and "not a kind of task" in report.reason


# -- the plan -----------------------------------------------------------------------------------------------
def test_cli_plan_refuses_the_public_unsupported_kind_task(tmp_path):
    code, out = cli_plan(SPEECH, "--time-budget", "60", "--yes", cwd=tmp_path)
    assert code == 3 and out["verdict"] == "refuse"
    assert {"verdict", "reason", "spec", "plan", "not_understood"} <= set(out)
    assert "Speech" in out["reason"] and out["spec"]["request"] == SPEECH
    assert not list(tmp_path.iterdir())  # a plan writes nothing


def test_cli_plan_peeks_at_a_csv_and_says_run(churn_csv):
    code, out = cli_plan("Predict the churned column with F1 of at least 0.6.", "--data", str(churn_csv),
                         cwd=churn_csv.parent)
    assert code == 0 and out["verdict"] == "run", out["reason"]
    assert (out["target"], out["task"], out["kind"]) == ("churned", "classification", "tables")
    assert out["data"]["rows"] == 200 and [c["name"] for c in out["data"]["columns"]][-1] == "churned"
    assert [s["step"] for s in out["plan"]][:2] == ["understand", "target"]
    assert any("feasibility probe" in u for u in out["unknown_until_run"])


def test_cli_plan_needs_input_for_a_clause_not_understood_unless_yes(churn_csv):
    request = "Predict the churned column; the model must be blessed by the moon."
    spec = parse_request(request, data=[str(churn_csv)])
    if not spec.not_understood:
        pytest.skip("the reader accounts for this clause")
    code, out = cli_plan(request, "--data", str(churn_csv), cwd=churn_csv.parent)
    assert code == 3 and out["verdict"] == "needs_input" and out["not_understood"] == spec.not_understood
    assert plan(request, str(churn_csv), assume_yes=True).verdict == "run"


@pytest.mark.parametrize(("request_text", "data", "verdict", "needle"), [
    ("Use the breast cancer data to build a model that flags applicants so we can deny them health insurance.",
     "sklearn:breast_cancer", "refuse", "Refused"),
    ("Digit classifier with 99.9% accuracy using at most 10 parameters.", "sklearn:digits", "refuse", "budget"),
    ("Predict the writer's age from the handwritten digits.", "sklearn:digits", "refuse", "no label"),
    ("Train a classifier on the wine data with at least 95% accuracy.", "sklearn:wine", "run", "tables"),
    ("A classifier for our customers with 95% accuracy.", None, "needs_input", "names no data"),
])
def test_plan_reaches_the_verdict_the_run_reaches(request_text, data, verdict, needle):
    result = plan(request_text, data, time_budget_s=60, assume_yes=True)
    assert isinstance(result, Plan)
    assert result.verdict == verdict and needle in result.reason, result.reason
    assert result.exit_code == (0 if verdict == "run" else 3)


def test_plan_of_a_table_whose_target_is_not_obvious_asks_which_column(churn_csv):
    result = plan("A model for this data.", str(churn_csv))
    assert result.verdict == "needs_input" and result.question == "Which column is the target?"
    assert "churned" in result.options


def test_bundled_shapes_are_what_scikit_learn_ships():
    import sklearn.datasets as bundled

    for name, (rows, features, classes, _) in BUNDLED_SHAPES.items():
        frame = getattr(bundled, f"load_{name}")(as_frame=True).frame
        assert frame.shape == (rows, len(features) + 1) and list(frame.columns)[:-1] == features
        assert frame["target"].nunique() == classes
    assert peek_data("sklearn:wine")["columns"][-1]["name"] == "target"


def test_magic_plan_prints_the_plan_and_returns_it(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "trainer_agent_lab")
    result = shell.run_line_magic("traineragent", f'plan "{SPEECH}"')
    assert isinstance(result, Plan) and result.verdict == "refuse"
    assert "verdict: refuse" in capsys.readouterr().out


# ------------------------------------------------------------------------- the public tasks, plan vs run
BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
PUBLIC = load_tasks(BENCHMARKS)
#: The run statuses each verdict stands for: a plan that says ``run`` cannot tell a met target from a missed one.
STATUSES = {"run": {"succeeded", "failed"}, "refuse": {"refused"}, "needs_input": {"needs_input"}}


def plan_of_task(task_id: str) -> Plan:
    """``plan`` of a public task as ``make bench`` runs it: its request, data and budget, with --yes."""
    task = PUBLIC[task_id]
    data = task["data"]
    ref = None if data == "none" else data if data.startswith(("sklearn:", "synthetic:")) else str(BENCHMARKS / data)
    result = plan(task["request"], ref, time_budget_s=task["budget"], assume_yes=True)
    if result.verdict == "refuse" and "not built yet" in result.reason and task["expect"] != "refused":
        pytest.skip(f"{task_id}: its kind is not registered yet, so plan refuses it ({result.reason})")
    return result


def assert_matches(result: Plan, status: str) -> None:
    """``result`` says the ``status`` a run ended with (a run that trains and fails is still a ``run`` verdict)."""
    assert status in STATUSES[result.verdict], (result.verdict, result.reason, status)


@pytest.mark.parametrize("task_id", list(PUBLIC) or [pytest.param("-", marks=pytest.mark.skip(
    reason=f"{BENCHMARKS / 'tasks.yaml'} is not present in this checkout"))])
def test_plan_gives_every_public_task_the_status_its_run_must_end_with(task_id):
    result = plan_of_task(task_id)
    assert_matches(result, PUBLIC[task_id]["expect"])


@pytest.mark.slow
@pytest.mark.parametrize("task", [pytest.param(task_id, marks=pytest.mark.needs(*extras), id=task_id)
                                  for task_id, extras in ACCEPTANCE_TASKS.items()])
def test_plan_verdict_matches_the_full_runs_status(task, shared_runs):
    """The acceptance runs ``make test`` does anyway (tests/shared_runs.py): their report.json status."""
    if task not in PUBLIC:
        pytest.skip(f"{BENCHMARKS / 'tasks.yaml'} is not present in this checkout or has no {task}")
    result = plan_of_task(task)
    assert_matches(result, json.loads((shared_runs.task(task)["dir"] / "report.json").read_text())["status"])
