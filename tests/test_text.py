"""Text classification: the bundle's preprocessing against scikit-learn, the text zoo's budget arithmetic, the
routing of text data, and (slow) whole runs on generated job adverts, a domain unlike the shared promo files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from trainer_agent_lab.bundle.text_features import TextFeatures, export_vectorizer, normalize_text
from trainer_agent_lab.cells.render import PACKAGE_ROOT, run_cells
from trainer_agent_lab.kinds.texts.cells.job_ads import make_job_ads
from trainer_agent_lab.knowledge.text_data import looks_like_text
from trainer_agent_lab.knowledge.text_zoo import (
    MINILM_PARAMETERS,
    TEXT_FAMILIES,
    TRANSFORMER,
    text_candidates,
    transformer_parameters,
)

TEXTS = ["Grab a 10% OFF coupon at checkout!! 🔥", "wool scarf: machine washable &amp; <br> soft",
         "a", "", "   spaced    out\ttext  ", "买一送一，限时优惠", "BPA-free; gift box included ✨✨",
         "x y z ab abc abcd abcde", "naïve café – ½ price", "ref 2231 (ref 2231)"]


@pytest.mark.parametrize("analyzer,ngrams", [("word", (1, 2)), ("word", (2, 3)), ("char_wb", (2, 5)),
                                             ("char_wb", (1, 3)), ("char", (1, 3)), ("char", (2, 4))])
def test_bundle_features_equal_sklearn(analyzer, ngrams):
    train = [normalize_text(t) for t in TEXTS * 3]
    vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True).fit(train)
    features = TextFeatures(**json.loads(json.dumps(export_vectorizer(vectorizer))))
    expected = vectorizer.transform([normalize_text(t) for t in TEXTS]).toarray()
    assert np.abs(features.transform(TEXTS) - expected).max() < 1e-6


def test_normalisation():
    assert normalize_text("  Grab&amp;GO <b>NOW</b> 🔥\n") == "grab&go now"
    assert normalize_text("ＡＢＣ１２") == "abc12"  # NFKC folds full-width forms
    assert normalize_text(normalize_text("Mixed <i>Case</i>")) == normalize_text("Mixed <i>Case</i>")


def test_zoo_counts_and_budget():
    linear, bag, transformer, minilm = (next(f for f in TEXT_FAMILIES if f.name == name) for name in
                                        ("tfidf_linear", "bag_of_embeddings", "small_transformer", "minilm"))
    assert linear.parameters(1000, 2) == 1000 + 1000 + 1
    assert linear.parameters(1000, 3) == 1000 + 3000 + 3
    assert bag.parameters(1000, 2, width=64) == 1000 + 64_000 + 2 * 65
    assert minilm.parameters(0, 2) == MINILM_PARAMETERS + 2 * 385
    for family, limit in ((linear, 30_000), (bag, 30_000), (transformer, 150_000)):  # below the vocabulary cap
        vocabulary = family.max_vocabulary(limit, 2)
        assert family.parameters(vocabulary, 2) <= limit < family.parameters(vocabulary + 1, 2)
    judged = {c.family.name: c for c in text_candidates(2, "en", 9_999_999, teacher_available=True)}
    assert judged["tfidf_linear"].kept and judged["bag_of_embeddings"].kept
    minilm_reason = judged["minilm"].reason
    assert judged["minilm"].kept and "teacher" in minilm_reason and "over the budget" in minilm_reason
    chinese = {c.family.name: c for c in text_candidates(2, "zh", None, teacher_available=True)}
    assert not chinese["minilm"].kept and "English" in chinese["minilm"].reason
    tiny = {c.family.name: c for c in text_candidates(2, "en", 300, teacher_available=True)}
    assert not tiny["tfidf_linear"].kept and not tiny["bag_of_embeddings"].kept


def test_transformer_count_is_exact_and_tokens_roundtrip():
    from transformers import BertConfig, BertForSequenceClassification

    from trainer_agent_lab.bundle.text_features import TokenIds, TokenInputs

    for vocabulary, classes in ((700, 2), (50, 4)):
        shape = TRANSFORMER
        bert = BertForSequenceClassification(BertConfig(
            vocab_size=vocabulary + 3, hidden_size=shape["width"], num_hidden_layers=shape["layers"],
            num_attention_heads=shape["heads"], intermediate_size=shape["ffn"],
            max_position_embeddings=shape["max_len"], num_labels=classes))
        assert sum(p.numel() for p in bert.parameters()) == transformer_parameters(vocabulary, classes)
    tokens = TokenIds.fit([normalize_text(t) for t in TEXTS], 5, 6)
    assert len(tokens.vocabulary) == 5 and min(tokens.vocabulary.values()) == 3
    inputs = TokenInputs(TokenIds(**json.loads(json.dumps(tokens.to_json()))))
    feed = inputs.feed(["Grab a 10% OFF coupon at checkout!! and more words than fit"])
    assert feed["input_ids"].shape == (1, 6) and feed["input_ids"][0, 0] == 1 and feed["attention_mask"].all()
    assert (feed["input_ids"] == tokens.encode([normalize_text("Grab a 10% OFF coupon at checkout!! and more "
                                                               "words than fit")])[0]).all()


def test_routing_by_columns():
    text_table = {"rows": 100, "columns": [{"name": "text", "dtype": "str", "n_unique": 98},
                                           {"name": "label", "dtype": "int64", "n_unique": 2}]}
    ids_and_numbers = {"rows": 100, "columns": [{"name": "id", "dtype": "str", "n_unique": 100},
                                                {"name": "x", "dtype": "float64", "n_unique": 90},
                                                {"name": "y", "dtype": "int64", "n_unique": 2}]}
    assert looks_like_text(text_table)
    assert not looks_like_text(ids_and_numbers)


class TextKernel:
    """A plain namespace that runs the text cells as a kernel does (``%%writefile`` cells included), collecting
    what they report; the same cell files the agents render into the notebook."""

    def __init__(self, folder) -> None:
        from IPython.display import display

        from trainer_agent_lab.cells.data import setup_cell

        self.folder = folder
        self.ns: dict = {"display": display, "__name__": "__main__"}
        self.reports: list[dict] = []
        self.run(setup_cell(7, {"constraints": []}))
        self.ns["_report"] = lambda **results: self.reports.append(self.ns["_plain"](results))

    def run(self, cells) -> dict:
        """Run a step's code cells in order; return their results merged, as the agents merge them."""
        before = len(self.reports)
        run_cells(cells, self.ns)  # running the generated cells is the test (%%writefile: in the working folder)
        merged: dict = {}
        for report in self.reports[before:]:
            merged.update(report)
        return merged


def test_the_text_cells_run_from_generated_adverts_to_the_table_of_steps(tmp_path, monkeypatch):
    """Every text cell but the teacher's, in order, in one namespace: the generator's folder is loaded, the texts
    normalised with the bundle's own code, labels checked, an LLM's answers applied, split, probed, a student
    trained, pseudo-labels (a stand-in for the teacher's probabilities) distilled, and every step tabulated."""
    from trainer_agent_lab.kinds.texts import data_cells, model_cells

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # where the notebook writes text_features.py
    monkeypatch.delitem(sys.modules, "text_features", raising=False)
    kernel = TextKernel(tmp_path)
    try:
        generated = kernel.run(data_cells.job_ads_cell("ads", labeled=160, unlabeled=120, test=80))
        load = kernel.run(data_cells.load_text_cell(generated["path"], None))
        assert (load["labeled"], load["unlabeled"], load["test"], load["language"]) == (160, 120, 80, "en")
        assert kernel.run(data_cells.normalise_cell())["changed"] > 0
        bundled = PACKAGE_ROOT / "bundle" / "text_features.py"
        assert (tmp_path / "text_features.py").read_text() == bundled.read_text()  # the bundle's file, verbatim
        clean = kernel.run(data_cells.dedupe_cell())
        assert clean["classes"] == ["0", "1"]
        suspects = kernel.run(data_cells.suspects_cell(pool_sample=4))
        assert len(suspects["pool_sample"]) == 4 and suspects["folds"] == 5
        pool = {row["index"]: "1" for row in suspects["pool_sample"][:3]}
        assert kernel.run(data_cells.llm_labels_cell("a test", {}, pool)) == {"corrected": 0, "annotated": 3}
        split = kernel.run(data_cells.text_split_cell(0.25, "1"))
        assert (split["n_train"], split["n_test"], split["n_unlabeled"]) == (160 + 3, 80, clean["unlabeled"] - 3)
        curve = kernel.run(model_cells.learning_curve_cell(0.8))
        assert curve["current"] > 0.7 and not curve["no_signal"] and len(curve["scores"]) == 4
        for _ in range(2):  # a re-run replaces its own row in the table of steps (checked at the end)
            alone = kernel.run(model_cells.student_cell("student alone", ["tfidf_linear"], {"tfidf_linear": 500}, 1))
        assert alone["family"] == "tfidf_linear" and alone["test_accuracy"] > 0.75
        n_pool, n_train = len(kernel.ns["texts_unlabeled"]), len(kernel.ns["texts_train"])
        kernel.ns["TEACHER_PROBA_UNLABELED"] = np.tile([0.05, 0.95], (n_pool, 1))  # a sure (stand-in) teacher
        kernel.ns["TEACHER_PROBA_TRAIN"] = np.tile([0.5, 0.5], (n_train, 1))
        pseudo = kernel.run(model_cells.pseudo_label_cell())
        assert pseudo["pseudo_labeled"] == n_pool and pseudo["training_texts"] == n_train + n_pool
        kernel.run(model_cells.student_cell("distilled student", ["tfidf_linear"], {"tfidf_linear": 500}, 1))
        result = kernel.run(model_cells.text_evaluate_cell())
    finally:
        sys.modules.pop("text_features", None)
    assert [s["step"] for s in result["steps"]] == ["student alone", "distilled student"]
    assert result["metrics"]["accuracy"] == pytest.approx(result["steps"][-1]["test accuracy"], abs=1e-4)
    assert "roc_auc" in result["metrics"]


def _run(request: str, data, out, budget: int) -> dict:
    subprocess.run([sys.executable, "-m", "trainer_agent_lab", "run", request, "--data", str(data), "--out", str(out),
                    "--time-budget", str(budget), "--yes"], capture_output=True, text=True, timeout=budget + 120)
    return json.loads((out / "report.json").read_text())


@pytest.mark.slow
def test_job_ads_paper_strategy(tmp_path):
    """Another domain, other words and templates: the student, the teacher, pseudo-labels, the bundle on raw text."""
    folder = make_job_ads(tmp_path / "ads", labeled=150, unlabeled=800, test=300)  # the paper's scale
    report = _run("Classify whether a job advert offers remote work, at least 90% accuracy, under 1 million "
                  "parameters.", folder, tmp_path / "run", 360)
    assert report["status"] == "succeeded", report["reason"]
    assert report["metrics"]["accuracy"] >= 0.9 and report["model"]["parameters"] < 1_000_000
    assert report["model"]["parity"]["label_agreement"] == 1.0
    bundle = tmp_path / "run" / "bundle"
    assert {"model.onnx", "text_features.py", "text_vectorizer.json", "serve.py"} <= {p.name for p in bundle.iterdir()}
    check = subprocess.run([sys.executable, "test_bundle.py"], cwd=bundle, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    notebook = json.loads((tmp_path / "run" / "notebook.ipynb").read_text())
    steps = [c["metadata"].get("trainer_agent", {}).get("step") for c in notebook["cells"]]
    assert {"normalise", "suspects", "search", "evaluate"} <= set(steps)


@pytest.mark.slow
def test_labels_with_no_signal_are_refused_before_any_training(tmp_path):
    folder = make_job_ads(tmp_path / "ads", labeled=150, unlabeled=800, test=300, noise=0.5)  # coin-flip labels
    report = _run("Classify whether a job advert offers remote work, at least 90% accuracy.", folder,
                  tmp_path / "run", 120)
    assert report["status"] == "refused", report["reason"]
    assert "no signal" in report["reason"] and "permutation p-value" in report["reason"]
    notebook = json.loads((tmp_path / "run" / "notebook.ipynb").read_text())
    steps = {c["metadata"].get("trainer_agent", {}).get("step") for c in notebook["cells"]}
    assert "feasibility" in steps and not steps & {"search", "student alone", "teacher"}


@pytest.mark.slow
def test_too_few_labels_asks_for_a_number(tmp_path):
    folder = make_job_ads(tmp_path / "ads", labeled=24, unlabeled=0, test=0)
    (folder / "unlabeled.csv").unlink()
    (folder / "test.csv").unlink()
    report = _run("Tell remote job adverts apart from the rest with at least 95% accuracy.",
                  folder / "labeled.csv", tmp_path / "run", 90)
    assert report["status"] == "needs_input", report["reason"]
    assert "labeled examples" in report["reason"] and any(ch.isdigit() for ch in report["question"])


@pytest.mark.slow
def test_a_small_transformer_student_serves_from_raw_strings(tmp_path, monkeypatch):
    """The zoo kept to the transformer alone: trained from a transformers config, exported with its tokenizer."""
    from trainer_agent_lab import api
    from trainer_agent_lab.kinds.texts import agents as text

    def transformer_only(*args, **kwargs):
        return [c for c in text_candidates(*args, **kwargs) if c.family.name in ("small_transformer", "minilm")]

    monkeypatch.setattr(text, "text_candidates", transformer_only)
    folder = make_job_ads(tmp_path / "ads", labeled=300, unlabeled=0, test=200)
    (folder / "unlabeled.csv").unlink()
    report = api.run("Classify whether a job advert offers remote work.", str(folder), out=tmp_path / "run",
                     time_budget_s=150)
    assert report.status == "succeeded", report.reason
    assert report.model["family"] == "small_transformer" and report.metrics["accuracy"] > 0.7
    assert report.model["parity"]["label_agreement"] == 1.0
    bundle = tmp_path / "run" / "bundle"
    assert (bundle / "text_tokenizer.json").exists() and not (bundle / "text_vectorizer.json").exists()
    check = subprocess.run([sys.executable, "test_bundle.py"], cwd=bundle, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def _chinese_reviews(folder, rows: int, seed: int):
    """Chinese product texts: does it offer a discount? Character n-grams must carry it (no word spaces)."""
    import csv
    import random

    rng = random.Random(seed)
    items = ["保温杯", "运动鞋", "蓝牙耳机", "电饭煲", "羊毛围巾", "台灯", "背包", "茶具"]
    offers = ["满100减20", "全场八折", "买一送一", "下单立减30元", "第二件半价", "领券再省15元"]
    plain = ["做工精细", "包装精美", "颜色很正", "物流很快", "尺码标准", "手感舒适", "适合送礼", "质量不错"]
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "reviews.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["文本", "label"])
        for _ in range(rows):
            offer = rng.random() < 0.5
            parts = rng.sample(plain, 2) + ([rng.choice(offers)] if offer else [])
            rng.shuffle(parts)
            writer.writerow([rng.choice(items) + "：" + "，".join(parts) + rng.choice(["", "！", "～"]),
                             "优惠" if offer else "无"])
    return folder / "reviews.csv"


@pytest.mark.slow
def test_chinese_texts_use_character_ngrams_and_skip_minilm(tmp_path):
    data = _chinese_reviews(tmp_path / "zh", 240, seed=3)
    report = _run("判断商品文本是否提供优惠，准确率不低于90%。", data, tmp_path / "run", 90)
    assert report["status"] == "succeeded", report["reason"]
    assert report["spec"]["task_type"] == "text_classification" and report["metrics"]["accuracy"] >= 0.9
    assert report["model"]["hyperparameters"]["analyzer"] == "char"
    notebook = json.loads((tmp_path / "run" / "notebook.ipynb").read_text())
    zoo = next(c for c in notebook["cells"] if c["cell_type"] == "markdown" and "text zoo" in "".join(c["source"]))
    assert "English" in "".join(zoo["source"])  # MiniLM is skipped, and the zoo says why
