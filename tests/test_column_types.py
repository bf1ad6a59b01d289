"""Column types (dates, booleans, numbers written as text, capped categories, free text), rare classes, the
chronological split, and the bundle's raw -> model columns code (``bundle/table_features.py``): the Data agent's
cells run for real without a kernel on small generated tables, then the served path of a raw row checked against
what the notebook trained on."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn import metrics as skm
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from tests.test_cells_data import Kernel
from tests.test_cells_server import load_serve_module
from trainer_agent_lab.bundle import table_features
from trainer_agent_lab.cells.render import render
from trainer_agent_lab.kinds.tables.data_cells import clean_cell, column_types_cell, load_cell, split_cell
from trainer_agent_lab.kinds.tables.server_cells import export_onnx_cell, parity_cell, serving_app_cell


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A kernel in a fresh folder, which (as Jupyter's) imports modules the notebook writes there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "table_features", raising=False)
    return Kernel()


def daily_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A daily table where season and weekends drive the target, with the messy types people's files have."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2021-03-01", periods=n, freq="D")
    season = np.sin(2 * np.pi * days.dayofyear.to_numpy() / 365.25)
    member = rng.choice(["Y", "N"], n)
    frame = pd.DataFrame({
        "Day": days.strftime("%d/%m/%Y"),
        "opened": [d.strftime("%b %d %Y") for d in days],
        "created_at": (days - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1) + 3600 * rng.integers(0, 23, n),
        "Member?": member,
        "Price": [f"${p:,.2f}" for p in rng.uniform(5, 2500, n)],
        "share": [f"{p:.0f}%" for p in rng.uniform(0, 100, n)],
        "shop": rng.choice([f"shop {i}" for i in range(60)], n),
        "comment": [f"a customer wrote comment number {i} today" for i in range(n)],
        "temp": rng.normal(15, 5, n),
    })
    frame["sales"] = 100 + 40 * season + 25 * (days.dayofweek >= 5) + 5 * (member == "Y") + rng.normal(0, 3, n)
    return frame


def test_column_types_reads_dates_booleans_currency_and_text(kernel, tmp_path):
    frame = daily_table()
    frame["temp"] = frame["temp"].where(frame.index != 5, np.inf)
    frame.to_csv(tmp_path / "daily.csv", index=False)
    kernel.run(load_cell("daily.csv"))
    result = kernel.run(column_types_cell("sales"))

    decisions = {row["column"]: row["decision"] for row in result["column_types"]}
    assert decisions == {"Day": "calendar features", "opened": "calendar features", "created_at": "calendar features",
                         "Member?": "0/1", "Price": "number", "share": "number", "shop": "one-hot, capped",
                         "comment": "drop", "temp": "number"}
    assert any("temp" in note and "infinite" in note for note in result["notes"])
    df = kernel["df"]
    assert {"Day_year", "Day_dayofweek", "Day_weekend", "Day_doy_sin", "Day_doy_cos"} <= set(df.columns)
    assert "Day_hour" not in df and "created_at_hour" in df  # the hour only where the values carry a time
    assert df["Day_dayofyear"].tolist() == df["opened_dayofyear"].tolist()
    assert df.loc[0, "Price"] == float(frame.loc[0, "Price"].strip("$").replace(",", ""))
    assert set(df["Member"]) == {0.0, 1.0} and df.loc[0, "share"] == float(frame.loc[0, "share"].strip("%"))
    assert df["shop"].nunique() <= 31 and "comment" not in df
    assert np.isnan(df.loc[5, "temp"])  # an infinity is read as missing
    steps = {step["raw"]: step for step in kernel["RECIPE"]["columns"]}
    assert steps["Day"]["format"] == "%d/%m/%Y" and steps["created_at"]["unit"] == "s"
    assert [i["name"] for i in kernel["RECIPE"]["raw_inputs"]][:4] == ["Day", "opened", "created_at", "Member?"]


def test_periods_as_time_series_write_them_are_dates_and_codes_are_not_numbers(kernel, tmp_path):
    """R's time series and tsibbles write their periods as decimal years (1980.0833 is February 1980), "1970 Q1"
    and "1939 Jan": each is read as a date, so the month (the season) is a feature; whole years, durations named
    ``time`` and codes that start with three capitals stay what they are."""
    n = 48
    months = pd.period_range("1979-01", periods=n, freq="M")
    frame = pd.DataFrame({
        "time": [round(p.year + (p.month - 1) / 12, 4) for p in months],  # 4 places, as files round them
        "Quarter": [f"{p.year} Q{p.quarter}" for p in months],
        "Month": [p.strftime("%Y %b") for p in months],
        "Week": [f"{p.year} W{4 * p.month:02d}" for p in months],  # ISO weeks, as tsibble writes them
        "year": [p.year for p in months],
        "survival_time": np.linspace(1000.3, 2400.9, n),  # a duration in days, not a date
        "Series_ID": [f"CEU05000000{i % 3:02d}" for i in range(n)],
        "cost": [f"USD {100 + i}.50" for i in range(n)],
    })
    frame["value"] = 10 + 5 * np.sin(2 * np.pi * np.arange(n) / 12)
    frame.to_csv(tmp_path / "series.csv", index=False)
    kernel.run(load_cell("series.csv"))
    result = kernel.run(column_types_cell("value"))

    read = {row["column"]: (row["type read"], row["decision"]) for row in result["column_types"]}
    assert read["time"] == ("decimal year", "calendar features")
    assert read["Quarter"][1] == read["Month"][1] == read["Week"][1] == "calendar features"
    assert read["year"][1] == read["survival_time"][1] == "number"
    assert read["Series_ID"][1] == "one-hot" and read["cost"][1] == "number"
    df = kernel["df"]
    assert df["time_month"].tolist() == [float(p.month) for p in months]  # 1979.0833 is February, not January
    assert df["time_year"].tolist() == df["Month_year"].tolist() == [float(p.year) for p in months]
    assert df["Quarter_month"].tolist() == [float(3 * p.quarter - 2) for p in months]
    assert df["Week_dayofweek"].eq(0).all() and df.loc[0, "Week_dayofyear"] == 22  # 1979 W04's Monday: 22 January
    assert df["Month_month"].tolist() == df["time_month"].tolist() and "time_hour" not in df
    assert not {"time_day", "time_dayofweek", "Quarter_weekend"} & set(df)  # the weekday of a month's 1st is noise
    assert df["cost"].tolist() == [100.5 + i for i in range(n)]

    steps = {step["raw"]: step for step in kernel["RECIPE"]["columns"]}
    assert steps["time"]["unit"] == "year" and steps["Quarter"]["format"] == "quarter"
    inputs = {item["name"]: item for item in kernel["RECIPE"]["raw_inputs"]}
    assert "decimal year" in inputs["time"]["description"] and "quarter" in inputs["Quarter"]["description"]
    # the bundle computes the same columns from the raw values a client sends: numbers, or the same text
    sent = pd.DataFrame({"time": [1980.0833, "1980.9167"], "Quarter": ["Q2 1980", "1980-Q4"],
                         "Month": ["1980 Feb", "1980 Dec"], "Week": ["1980-W06", "1980W50"], "year": [1980, 1980],
                         "survival_time": [1, 2],
                         "Series_ID": ["CEU0500000000"] * 2, "cost": ["USD 1", "2 USD"]})
    served = table_features.to_model_frame(sent, kernel["RECIPE"])
    assert served["time_month"].tolist() == served["Month_month"].tolist() == [2.0, 12.0]
    assert served["Quarter_month"].tolist() == [4.0, 10.0] and served["cost"].tolist() == [1.0, 2.0]
    assert served["Week_month"].tolist() == [2.0, 12.0]


def test_rare_classes_merge_and_the_stratified_split_works(kernel, tmp_path):
    rng = np.random.default_rng(1)
    n = 60
    frame = pd.DataFrame({"x": rng.normal(size=n + 3), "flag": rng.choice(["yes", "no"], n + 3),
                          "kind": ["a"] * 30 + ["b"] * 30 + ["rare1", "rare2", "rare3"]})
    frame.to_csv(tmp_path / "rare.csv", index=False)
    kernel.run(load_cell("rare.csv"))
    kernel.run(column_types_cell("kind"))
    clean = kernel.run(clean_cell("kind", "classification", 6.0))
    assert clean["classes"] == ["a", "b", "other"]
    assert any("Merged 3 classes" in note for note in clean["notes"])
    split = kernel.run(split_cell("kind", "classification", None, 0.25, raw_rows=True))
    assert split["n_train"] + split["n_test"] == n + 3
    assert len(kernel["X_test_raw"]) == split["n_test"] and "flag" in kernel["X_test_raw"]

    frame = frame.iloc[:61]  # one class of one row: dropped, with a note
    frame.to_csv(tmp_path / "rare.csv", index=False)
    kernel.run(load_cell("rare.csv"))
    kernel.run(column_types_cell("kind"))
    clean = kernel.run(clean_cell("kind", "classification", 6.0))
    assert clean["classes"] == ["a", "b"] and any("Dropped 1 rows of 1 class" in note for note in clean["notes"])


def test_chronological_split_tests_on_the_newest_rows(kernel, tmp_path):
    frame = daily_table(n=120).sample(frac=1.0, random_state=0)  # rows shuffled, as files often are
    frame.to_csv(tmp_path / "daily.csv", index=False)
    kernel.run(load_cell("daily.csv"))
    kernel.run(column_types_cell("sales"))
    kernel.run(clean_cell("sales", "regression", 6.0))
    kernel.run(split_cell("sales", "regression", None, 0.25, "Day", "the request asks to forecast", raw_rows=True))
    train_days = pd.to_datetime(kernel["RAW"].loc[~kernel["RAW"].index.isin(kernel["TEST_ROWS"]), "Day"],
                                format="%d/%m/%Y")
    test_days = pd.to_datetime(kernel["X_test_raw"]["Day"], format="%d/%m/%Y")
    assert len(test_days) == 30 and test_days.min() > train_days.max()
    how = json.loads((tmp_path / "split" / "split.json").read_text())
    assert how["chronological"] and "time order by Day" in how["how"]


def _served_namespace(kernel: Kernel) -> dict[str, Any]:
    """Train a small dense-input model on the split, as the Model agent's fit cell does, and add what the Server
    agent's cells read."""
    ns = kernel.ns
    model = Pipeline([("prep", ns["make_preprocessor"](scale=False)),
                      ("est", HistGradientBoostingRegressor(max_iter=40, random_state=0))])
    model.fit(ns["X_train"], ns["y_train"])  # HistGradientBoosting refuses sparse input: the one-hot is dense
    ns.update(model=model, skm=skm, THRESHOLD=None, PARAMS={"family": "hist_gradient_boosting"}, METRICS={},
              N_PARAMETERS=0, CONSTRAINT_ROWS=[], _report=lambda **kw: None,
              ORDINAL=False, ORDERED_VALUES=None, cut=None)  # the metrics cell's: not an ordinal target
    return ns


def test_a_raw_row_is_served_as_the_notebook_trained_on_it(kernel, tmp_path):
    daily_table().to_csv(tmp_path / "daily.csv", index=False)
    kernel.run(load_cell("daily.csv"))
    kernel.run(column_types_cell("sales"))
    kernel.run(clean_cell("sales", "regression", 6.0))
    kernel.run(split_cell("sales", "regression", None, 0.25, raw_rows=True))
    ns = _served_namespace(kernel)
    kernel.run(render("kinds/tables/cells/fold_bags"))  # the zoo's bagged models, which the export registers
    for step in (export_onnx_cell(), parity_cell(), serving_app_cell()):
        kernel.run(step)

    schema = json.loads((tmp_path / "bundle" / "feature_schema.json").read_text())
    assert [i["name"] for i in schema["recipe"]["raw_inputs"]][:2] == ["Day", "opened"]
    assert "comment" not in table_features.raw_names(schema["recipe"])
    # the exported model's inputs (report.json's model.inputs) are the raw columns: a date is one, not its parts
    assert ns["EXPORTED_INPUTS"] == table_features.raw_names(schema["recipe"]) and "Day" in ns["EXPORTED_INPUTS"]
    served = table_features.to_model_frame(ns["X_test_raw"], schema["recipe"])
    feed = table_features.onnx_feed(served, schema)
    trained = ns["to_onnx_feed"](ns["X_test"])  # what the parity cell fed the ONNX model: the notebook's inputs
    assert feed.keys() == trained.keys()
    for name, array in trained.items():
        np.testing.assert_array_equal(feed[name], array, err_msg=name)

    client = TestClient(load_serve_module(tmp_path / "bundle").app)
    request = json.loads((tmp_path / "bundle" / "sample_request.json").read_text())
    assert request["rows"][0]["Day"].count("/") == 2 and request["rows"][0]["Price"].startswith("$")
    reply = client.post("/predict", json=request)
    assert reply.status_code == 200, reply.text
    expected = ns["model"].predict(ns["X_test"].head(3))
    assert np.allclose(reply.json()["predictions"], expected, rtol=1e-4)
    row = dict(request["rows"][0], Day="not a date", Price=None)  # unreadable or missing: imputed, as in training
    assert client.post("/predict", json={"row": row}).status_code == 200
    assert client.post("/predict", json={"row": {"Day": "01/02/2022"}}).status_code == 422
