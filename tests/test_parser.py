"""The rule-based request reader (``--llm offline``).

Every case lists the fields it expects to differ from :class:`TaskSpec`'s defaults; the test compares the
whole parsed spec (less the verbatim ``request``) with those fields over the defaults, so a field that is
set by mistake fails as surely as one that is missed.
"""

from __future__ import annotations

import pytest

from trainer_agent_lab.llm.rule_reader import normalize, parse_request
from trainer_agent_lab.spec import TaskSpec

DEFAULTS = TaskSpec(request="").model_dump(mode="json")
OPS = (">=", "<=", ">", "<")


def cons(*rows: str) -> list[dict]:
    """``cons("accuracy >= 0.95", "parameters < 500")`` -> constraint dicts as ``model_dump`` writes them."""
    out = []
    for row in rows:
        name, op, value = row.split()
        assert op in OPS
        out.append({"name": name, "op": op, "value": float(value)})
    return out


def case(request: str, data_arg: list[str] | None = None, /, *, budget: float | None = None, id: str,
         **fields):
    """One parametrised case: the request, the ``--data`` argument and the fields expected."""
    return pytest.param(request, data_arg, budget, fields, id=id)


CLS, REG = "classification", "regression"
TEXT, IMAGE = "text_classification", "image_classification"

ACCEPTANCE = [
    case("Train a classifier on the wine data. I need at least 95% accuracy and the model must have fewer "
         "than 500 parameters.", id="wine-small-model", task_type=CLS, data=["sklearn:wine"],
         constraints=cons("accuracy >= 0.95", "parameters < 500")),
    case("Train a classifier on the wine data. I need at least 95% accuracy and the model must have fewer "
         "than 500 parameters.", ["sklearn:wine"], id="wine-small-model-data-arg-deduped", task_type=CLS,
         data=["sklearn:wine"], constraints=cons("accuracy >= 0.95", "parameters < 500")),
    case("Build a handwritten digit recognizer with at least 97% accuracy, under 50k parameters, quantized "
         "to int8 for CPU serving.", id="digits-int8", task_type=IMAGE, data=["sklearn:digits"],
         constraints=cons("accuracy >= 0.97", "parameters < 50000"), quantize_int8=True),
    case("Screening model for the breast cancer data: recall on malignant cases must be at least 0.97 while "
         "precision stays above 0.9.", id="breast-cancer-recall", task_type=CLS, positive_label="malignant",
         data=["sklearn:breast_cancer"], constraints=cons("recall >= 0.97", "precision > 0.9")),
    case("Predict disease progression from the diabetes data; report MAE and R2, and serve it at 200 "
         "requests per second on 512 MB containers.", id="diabetes-regression", task_type=REG,
         data=["sklearn:diabetes"], report_metrics=["mae", "r2"], qps=200.0, container_memory_mb=512.0,
         hints=["asked_target:disease progression"]),
    case("data/churn.csv: predict the churned column. Clean the data first. Optimise for F1 on the churners; "
         "p99 latency must stay under 5 ms.", ["data/churn.csv"], id="churn-messy", target="churned",
         positive_label="churners", data=["data/churn.csv"], constraints=cons("p99_ms < 5"),
         optimize="f1", hints=["clean"]),
    case("Fit a price model on data/house.csv (target: price). Watch out for outliers. Model file must be "
         "under 1 MB.", id="house-price", task_type=REG, target="price", data=["data/house.csv"],
         constraints=cons("onnx_bytes < 1000000"), hints=["outliers"]),
    case("I need a classifier that decides whether a product promotion text offers the shopper a benefit "
         "(coupon, discount, gift...). Accuracy at least 90%, fewer than 10 million parameters. The data "
         "folder has labeled.csv (labels may contain mistakes), unlabeled.csv with extra unlabeled texts, "
         "and test.csv to evaluate on. Deploy on 2 GB containers for 100 QPS.", ["data/promo/"],
         id="promo-paper", task_type=TEXT, data=["data/promo/"],
         constraints=cons("accuracy >= 0.9", "parameters < 10000000"), qps=100.0,
         container_memory_mb=2048.0, hints=["noisy_labels", "unlabeled"]),
    case("Train a benefit-detection classifier on this labeled file with at least 90% accuracy.",
         ["data/promo/labeled_small.csv"], id="promo-too-few", task_type=CLS,
         data=["data/promo/labeled_small.csv"], constraints=cons("accuracy >= 0.9")),
    case("Digit classifier with 99.9% accuracy using at most 10 parameters.", id="refuse-impossible-accuracy",
         task_type=CLS, data=["sklearn:digits"], constraints=cons("accuracy >= 0.999", "parameters <= 10")),
    case("Predict target from data/nosignal.csv with R2 of at least 0.8.", id="refuse-no-signal",
         task_type=REG, target="target", data=["data/nosignal.csv"], constraints=cons("r2 >= 0.8")),
    case("Use the breast cancer data to build a model that flags applicants so we can deny them health "
         "insurance.", id="refuse-unethical", data=["sklearn:breast_cancer"]),
    case("Predict the writer's age from the handwritten digits.", ["sklearn:digits"],
         id="refuse-missing-label", task_type=REG, data=["sklearn:digits"],
         hints=["asked_target:writer's age"]),
    case("用葡萄酒数据训练一个分类模型，准确率不低于95%，并导出ONNX部署包。", id="chinese-request",
         language="zh", task_type=CLS, data=["sklearn:wine"], constraints=cons("accuracy >= 0.95")),
]

METRICS = [
    case("Train a model with accuracy of at least 95%.", id="metric-after-of-at-least", task_type=CLS,
         constraints=cons("accuracy >= 0.95")),
    case("accuracy >= 0.95 on data/x.csv", id="metric-symbol", task_type=CLS, data=["data/x.csv"],
         constraints=cons("accuracy >= 0.95")),
    case("Get 95%+ accuracy on iris.", id="metric-percent-plus", task_type=CLS, data=["sklearn:iris"],
         constraints=cons("accuracy >= 0.95")),
    case("We need 90 percent accuracy on data/x.csv", id="metric-percent-word-bare", task_type=CLS,
         data=["data/x.csv"], constraints=cons("accuracy >= 0.9")),
    case("accuracy 93", id="metric-bare-percent-number", task_type=CLS, constraints=cons("accuracy >= 0.93")),
    case("at least 97% test accuracy", id="metric-adjective", task_type=CLS,
         constraints=cons("accuracy >= 0.97")),
    case("a minimum of 90% accuracy", id="metric-minimum", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("accuracy must exceed 0.9", id="metric-exceed", task_type=CLS, constraints=cons("accuracy > 0.9")),
    case("accuracy should be 0.9 or better", id="metric-postfix-or-better", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("recall no less than 0.9", id="metric-no-less-than", task_type=CLS,
         constraints=cons("recall >= 0.9")),
    case("ROC AUC above 0.85 on data/fraud.parquet", id="metric-roc-auc", task_type=CLS,
         data=["data/fraud.parquet"], constraints=cons("roc_auc > 0.85")),
    case("AUC > 0.9, and F1-score no less than 0.8", id="metric-auc-and-f1", task_type=CLS,
         constraints=cons("roc_auc > 0.9", "f1 >= 0.8")),
    case("precision>0.9 recall>0.8", id="metric-two-adjacent", task_type=CLS,
         constraints=cons("precision > 0.9", "recall > 0.8")),
    case("recall 0.9 precision 0.8", id="metric-two-bare", task_type=CLS,
         constraints=cons("recall >= 0.9", "precision >= 0.8")),
    case("MAE under 3.5 on ./houses.parquet", id="metric-mae-under", task_type=REG,
         data=["./houses.parquet"], constraints=cons("mae < 3.5")),
    case("RMSE 10 is fine for the forecast", id="metric-rmse-bare-defaults-le", task_type=REG, hints=["forecast"],
         constraints=cons("rmse <= 10")),
    case("MAE ≤ 2.5 and RMSE below 4", id="metric-mae-rmse", task_type=REG,
         constraints=cons("mae <= 2.5", "rmse < 4")),
    case("Regression on ~/d.jsonl with R² ≥ 0.9", id="metric-r-squared-symbol", task_type=REG,
         data=["~/d.jsonl"], constraints=cons("r2 >= 0.9")),
    case("r-squared of 0.7 or higher", id="metric-r-squared-words", task_type=REG,
         constraints=cons("r2 >= 0.7")),
    case("coefficient of determination greater than 0.6", id="metric-coefficient-of-determination",
         task_type=REG, constraints=cons("r2 > 0.6")),
    case("准确率至少达到0.9", id="zh-metric-at-least-reach", language="zh", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("鸢尾花分类，准确率95%", id="zh-metric-bare", language="zh", task_type=CLS, data=["sklearn:iris"],
         constraints=cons("accuracy >= 0.95")),
    case("准确率不低于百分之九十", id="zh-metric-chinese-percent", language="zh", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("准确率≥０．９２", id="zh-metric-full-width-digits", language="zh", task_type=CLS,
         constraints=cons("accuracy >= 0.92")),
    case("90%以上的准确率", id="zh-metric-number-first", language="zh", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("准确率高于0.9，召回率超过80%", id="zh-metric-above", language="zh", task_type=CLS,
         constraints=cons("accuracy > 0.9", "recall > 0.8")),
    case("F1大于0.7", id="zh-metric-f1", language="zh", task_type=CLS, constraints=cons("f1 > 0.7")),
    case("AUC小于0.99", id="zh-metric-less-than", language="zh", task_type=CLS,
         constraints=cons("roc_auc < 0.99")),
    case("决定系数不低于0.85，平均绝对误差小于5", id="zh-metric-r2-mae", language="zh", task_type=REG,
         constraints=cons("r2 >= 0.85", "mae < 5")),
    case("RMSE在5以下", id="zh-metric-postfix-below", language="zh", task_type=REG,
         constraints=cons("rmse <= 5")),
    case("MAE在3以内", id="zh-metric-postfix-within", language="zh", task_type=REG,
         constraints=cons("mae <= 3")),
]

RESOURCES = [
    case("fewer than 10 million parameters", id="params-million", constraints=cons("parameters < 10000000")),
    case("under 2M params", id="params-M", constraints=cons("parameters < 2000000")),
    case("<500 params", id="params-symbol", constraints=cons("parameters < 500")),
    case("no more than 1,000,000 trainable parameters", id="params-thousands-separator",
         constraints=cons("parameters <= 1000000")),
    case("The model needs under 5 million weights", id="params-weights",
         constraints=cons("parameters < 5000000")),
    case("parameter count below 5k", id="params-noun-first", constraints=cons("parameters < 5000")),
    case("a model of at most 1.5 billion params", id="params-billion",
         constraints=cons("parameters <= 1500000000")),
    case("1000万参数以内", id="zh-params-wan-within", language="zh",
         constraints=cons("parameters <= 10000000")),
    case("参数量不超过5万", id="zh-params-noun-first", language="zh",
         constraints=cons("parameters <= 50000")),
    case("参数少于1亿", id="zh-params-yi", language="zh", constraints=cons("parameters < 100000000")),
    case("少于500个参数", id="zh-params-ge", language="zh", constraints=cons("parameters < 500")),
    case("model must be smaller than 500KB", id="size-kb", constraints=cons("onnx_bytes < 500000")),
    case("model file under 2 MiB", id="size-mib", constraints=cons("onnx_bytes < 2097152")),
    case("Keep it under 1MB", id="size-no-noun", constraints=cons("onnx_bytes < 1000000")),
    case("模型文件小于1MB", id="zh-size", language="zh", constraints=cons("onnx_bytes < 1000000")),
    case("模型文件不超过500KB", id="zh-size-at-most", language="zh",
         constraints=cons("onnx_bytes <= 500000")),
    case("The model must use less than 300 MB of memory", id="replica-memory",
         constraints=cons("replica_memory_mb < 300")),
    case("median latency below 2ms", id="latency-median", constraints=cons("p50_ms < 2")),
    case("latency under 10 ms", id="latency-no-percentile", constraints=cons("p99_ms < 10")),
    case("p99 latency under 0.5 s", id="latency-seconds", constraints=cons("p99_ms < 500")),
    case("p50 under 2 ms and p99 under 5 ms", id="latency-both",
         constraints=cons("p50_ms < 2", "p99_ms < 5")),
    case("under 5 ms p99 latency", id="latency-value-first", constraints=cons("p99_ms < 5")),
    case("p95 latency at most 20 ms", id="latency-p95-as-p99", constraints=cons("p99_ms <= 20")),
    case("延迟低于5毫秒", id="zh-latency", language="zh", constraints=cons("p99_ms < 5")),
    case("推理延迟不超过0.2秒", id="zh-latency-seconds", language="zh", constraints=cons("p99_ms <= 200")),
    case("200 requests per second", id="qps-requests-per-second", qps=200.0),
    case("100 qps", id="qps-lower", qps=100.0),
    case("at 50 req/s", id="qps-req-s", qps=50.0),
    case("QPS 100", id="qps-noun-first", qps=100.0),
    case("serve 1k QPS", id="qps-k", qps=1000.0),
    case("throughput of 300 predictions per second", id="qps-throughput", qps=300.0),
    case("每秒100个请求", id="zh-qps", language="zh", qps=100.0),
    case("QPS达到300", id="zh-qps-reach", language="zh", qps=300.0),
    case("on 1GiB replicas", id="memory-gib", container_memory_mb=1024.0),
    case("512MB pods", id="memory-pods", container_memory_mb=512.0),
    case("containers with 4 GB of RAM", id="memory-noun-first", container_memory_mb=4096.0),
    case("2G内存的容器", id="zh-memory-g", language="zh", container_memory_mb=2048.0),
    case("容器内存512MB", id="zh-memory-noun-first", language="zh", container_memory_mb=512.0),
    case("8-bit quantization and 100 QPS on 2 GB containers", id="quantize-8-bit", qps=100.0,
         container_memory_mb=2048.0, quantize_int8=True),
    case("量化到int8，部署在512MB的容器上", id="zh-quantize", language="zh", quantize_int8=True,
         container_memory_mb=512.0),
    case("Don't quantize the model; accuracy 90%", id="quantize-negated", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
]

TIME = [
    case("train within 5 minutes", id="time-within-minutes", time_budget_s=300.0),
    case("in 10 min", id="time-in-min", time_budget_s=600.0),
    case("time budget 300 s", id="time-budget-seconds", time_budget_s=300.0),
    case("under an hour of training", id="time-an-hour", time_budget_s=3600.0),
    case("half an hour time budget", id="time-half-an-hour", time_budget_s=1800.0),
    case("5-minute budget", id="time-hyphenated", time_budget_s=300.0),
    case("10分钟内完成训练", id="zh-time-minutes", language="zh", time_budget_s=600.0),
    case("训练时间不超过1小时", id="zh-time-hour", language="zh", time_budget_s=3600.0),
    case("半小时内训练完", id="zh-time-half-hour", language="zh", time_budget_s=1800.0),
    case("在30分钟内训练一个分类器", id="zh-time-classifier", language="zh", task_type=CLS,
         time_budget_s=1800.0),
    case("train within 5 minutes", budget=60.0, id="time-argument-wins", time_budget_s=60.0),
]

WORDS = [
    case("optimize for recall", id="optimize-recall", optimize="recall"),
    case("maximize ROC AUC", id="optimize-roc-auc", optimize="roc_auc"),
    case("优化F1", id="zh-optimize", language="zh", optimize="f1"),
    case("precision for the positive class above 0.85", id="positive-class", task_type=CLS,
         positive_label="positive", constraints=cons("precision > 0.85")),
    case("Detect whether an email is spam, at least 98% precision on spam", id="positive-spam",
         task_type=TEXT, positive_label="spam", constraints=cons("precision >= 0.98")),
    case("recall of class 1 at least 0.8", id="positive-class-number", task_type=CLS, positive_label="1",
         constraints=cons("recall >= 0.8")),
    case("recall on the test set above 0.9", id="positive-not-test-set", task_type=CLS,
         constraints=cons("recall > 0.9")),
    case("对恶性样本的召回率不低于0.97", id="zh-positive", language="zh", task_type=CLS,
         positive_label="恶性", constraints=cons("recall >= 0.97")),
    case("清洗数据，注意异常值，标签有错误，还有一些未标注的数据", id="zh-hints", language="zh",
         hints=["clean", "outliers", "noisy_labels", "unlabeled"]),
    case("Noisy labels, plus unlabeled data in data/u.csv", id="hints-noisy-unlabeled", data=["data/u.csv"],
         hints=["noisy_labels", "unlabeled"]),
    case("Remove duplicates and handle missing values in data/raw.csv", id="hints-clean-implied",
         data=["data/raw.csv"], hints=["clean"]),
    case("label column `label` in data/x.csv", id="target-label-column-backticks", target="label",
         data=["data/x.csv"]),
    case("Build a regressor for data/cars.csv; the target column is mpg", id="target-column-is",
         task_type=REG, target="mpg", data=["data/cars.csv"]),
    case("Use the y column as the target", id="target-use-as", target="y"),
    case("Classify the outcome column with at least 80% accuracy.", id="target-outcome-column-with",
         task_type=CLS, target="outcome", constraints=cons("accuracy >= 0.8")),
    case("Fit a regression model for the colour column with R2 of at least 0.5", id="target-model-for-column",
         task_type=REG, target="colour", constraints=cons("r2 >= 0.5")),
    case("predict sale_price", id="target-snake-case", target="sale_price"),
    case('Predict "SalePrice" from data/h.csv', id="target-quoted", target="SalePrice", data=["data/h.csv"]),
    case("预测 price 列，数据在 data/house.csv", id="zh-target-column", language="zh", target="price",
         data=["data/house.csv"]),
    case("目标列为 label", id="zh-target-is", language="zh", target="label"),
    case("Predict house prices", id="target-free-words-hint", task_type=REG,
         hints=["asked_target:house prices"]),
    case("predict whether customers churn", id="target-whether-is-not-a-target", task_type=CLS),
    case("训练一个回归模型预测房价，RMSE不超过5", id="zh-regression-hint", language="zh", task_type=REG,
         constraints=cons("rmse <= 5"), hints=["asked_target:房价"]),
    case("Classify photos of cats and dogs in data/pets/ with 90% accuracy", id="task-image",
         task_type=IMAGE, data=["data/pets/"], constraints=cons("accuracy >= 0.9")),
    case("Sentiment classifier for product reviews in data/reviews.csv", id="task-text", task_type=TEXT,
         data=["data/reviews.csv"]),
    case("Use logistic regression to classify iris", id="task-logistic-regression-is-classification",
         task_type=CLS, data=["sklearn:iris"]),
    case("识别图片中的手写数字", id="zh-task-image", language="zh", task_type=IMAGE, data=["sklearn:digits"]),
    case("Classify the shapes in synthetic:shapes with at least 80% accuracy.", id="data-synthetic-shapes",
         task_type=IMAGE, data=["synthetic:shapes"], constraints=cons("accuracy >= 0.8")),
    case("Classify the job adverts in synthetic:job_ads", id="data-synthetic-job-ads-underscore",
         task_type=TEXT, data=["synthetic:job-ads"]),
    case("对评论文本进行情感分类", id="zh-task-text", language="zh", task_type=TEXT),
    case("用 sklearn:wine 训练分类器", id="zh-sklearn-ref", language="zh", task_type=CLS,
         data=["sklearn:wine"]),
    case("Train on data/b.csv", ["data/a.csv"], id="data-argument-first", data=["data/a.csv", "data/b.csv"]),
    case("Train on ./data/a.csv", ["data/a.csv"], id="data-dedupe-normalised", data=["data/a.csv"]),
    case("Classify iris species", ["data/flowers.csv"], id="data-words-skipped-with-path", task_type=CLS,
         data=["data/flowers.csv"]),
    case("Train on churn.csv with 0.85 accuracy", id="data-bare-file", task_type=CLS, data=["churn.csv"],
         constraints=cons("accuracy >= 0.85")),
    case("Train on data/a.csv and data/b/; MAE/RMSE please", id="data-two-paths-not-metric-slash",
         task_type=REG, data=["data/a.csv", "data/b/"], report_metrics=["mae", "rmse"]),
]

NEGATIVES = [
    case("The table has 500 rows; get 90% accuracy", id="neg-rows-not-parameters", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("Use the 2024 export at data/sales_2024.csv and predict revenue", id="neg-year-not-metric",
         task_type=REG, data=["data/sales_2024.csv"], hints=["asked_target:revenue"]),
    case("Report the 2024 accuracy", id="neg-year-before-metric", report_metrics=["accuracy"]),
    case("a 5 ms p99 latency budget", id="neg-latency-not-time-budget", constraints=cons("p99_ms <= 5")),
    case("p99 of 5 ms; train within 2 minutes", id="neg-latency-and-time", constraints=cons("p99_ms <= 5"),
         time_budget_s=120.0),
    case("Train for 10 epochs with at least 0.9 accuracy over 10 classes", id="neg-counts-not-metric",
         task_type=CLS, constraints=cons("accuracy >= 0.9")),
    case("accuracy on the 10 classes must be at least 0.9", id="neg-count-between-metric-and-value",
         task_type=CLS, constraints=cons("accuracy >= 0.9")),
    case("top-5 accuracy at least 90%", id="neg-top-k-not-value", task_type=CLS,
         constraints=cons("accuracy >= 0.9")),
    case("Train on 2 GB of data", id="neg-data-size-not-model-size"),
    case("Just train something good.", id="neg-nothing"),
]

ALL_CASES = ACCEPTANCE + METRICS + RESOURCES + TIME + WORDS + NEGATIVES


@pytest.mark.parametrize(("request_text", "data", "budget", "expected"), ALL_CASES)
def test_parse_request(request_text: str, data: list[str] | None, budget: float | None,
                       expected: dict) -> None:
    spec = parse_request(request_text, data=data, time_budget_s=budget)
    got = spec.model_dump(mode="json")
    assert got.pop("request") == request_text
    want = {**DEFAULTS, **expected}
    want.pop("request")
    assert got == want


def test_enough_phrasings() -> None:
    assert len(ALL_CASES) >= 60
    assert sum(1 for p in ALL_CASES if any("\u4e00" <= ch <= "\u9fff" for ch in p.values[0])) >= 20


def test_export_onnx_always_true_and_spec_round_trips() -> None:
    spec = parse_request("Digit classifier with 99.9% accuracy using at most 10 parameters.")
    assert spec.export_onnx is True
    assert TaskSpec.model_validate_json(spec.model_dump_json()) == spec
    assert [c.target for c in spec.constraints] == [">= 0.999", "<= 10"]


def test_data_argument_as_a_string_is_accepted() -> None:
    assert parse_request("Train a classifier", data="sklearn:iris").data == ["sklearn:iris"]  # type: ignore[arg-type]


def test_normalize_reads_full_width_and_chinese_percentages() -> None:
    assert normalize("准确率≥０．９２，百分之九十五") == "准确率≥0.92,95%"
    assert normalize("R² ’quoted’") == "R2 'quoted'"


def test_a_path_in_the_text_and_the_same_file_given_as_data_are_one_reference(tmp_path, monkeypatch):
    """`--data` holds the absolute path, the request the path as written from the folder it was run in."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "noise.csv").write_text("x,target\n1,2\n")
    monkeypatch.chdir(tmp_path)
    spec = parse_request("Predict target from data/noise.csv with R2 of at least 0.8.",
                         data=[str(tmp_path / "data" / "noise.csv")])
    assert spec.data == [str(tmp_path / "data" / "noise.csv")]
