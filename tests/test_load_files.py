"""The tables' load cell on files as people have them, run for real without a kernel on tiny files: encodings,
delimiters, quoted newlines, JSON, Parquet, Excel, train/test folders, colliding and single column names; and how
a request's file to predict is found."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.kinds.tables.data_cells import load_cell
from trainer_agent_lab.kinds.tables.predictions import file_to_predict, prediction_column
from trainer_agent_lab.knowledge.text_data import is_text_folder
from trainer_agent_lab.llm.rule_reader import parse_request


def load(ref: Path | str, predict: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the set-up and load cells on ``ref`` in a notebook folder of their own (the load step writes
    table_files.py there and imports it, as a kernel does); return the namespace and what the load cell reported."""
    ns: dict[str, Any] = {"__name__": "__main__"}
    run_cells(render("cells/setup", SEED=0, REQUIREMENTS={"constraints": []}), ns)
    reports: list[dict[str, Any]] = []
    ns["_report"] = lambda **kw: reports.append(kw)
    with in_notebook_folder():
        run_cells(load_cell(str(ref), str(predict) if predict else None), ns)
    return ns, reports[-1]


@contextlib.contextmanager
def in_notebook_folder() -> Iterator[Path]:
    """A fresh folder as the working directory and the first place imports look, as a kernel's notebook folder."""
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        sys.path.insert(0, folder)
        sys.modules.pop("table_files", None)
        try:
            yield Path(folder)
        finally:
            sys.path.remove(folder)
            os.chdir(cwd)


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


# ----------------------------------------------------------------------------------- encodings and delimiters
@pytest.mark.parametrize("name, content, columns, first", [
    ("bom.csv", b"\xef\xbb\xbfname,value\nJos\xc3\xa9,1\nAnn,2\n", ["name", "value"], "José"),
    ("latin1.csv", b"name,value\nJos\xe9,1\nZo\xeb,2\n", ["name", "value"], "José"),
    ("cp1252.csv", b"name,value\n\x80uro,1\nplain,2\n", ["name", "value"], "€uro"),
    ("semicolon.csv", "price;area;town\n1,5;20;Lyon\n2,25;30;Nice\n", ["price", "area", "town"], "1,5"),
    ("tabs.txt", "a\tb\tc\n1\t2\tx\n3\t4\ty\n", ["a", "b", "c"], 1),
    ("tabs.tsv", "a\tb\n1\t2\n3\t4\n", ["a", "b"], 1),
    ("pipes.csv", "a|b|c\n1|2|x\n3|4|y\n", ["a", "b", "c"], 1),
    # RFC 4180: a quoted newline in the header and in a value
    ("quoted.csv", '"first\nname",age,"note"\n"Ann",30,"two\nlines"\nBob,41,plain\n',
     ["first_name", "age", "note"], "Ann"),
    ("quoted_semicolon.csv", '"first\nname";"age";x\n"Ann";30;a,b\nBob;41;c,d\n', ["first_name", "age", "x"],
     "Ann"),
])
def test_text_files(tmp_path, name, content, columns, first):
    ns, report = load(write(tmp_path / name, content))
    assert list(ns["df"].columns) == columns
    assert ns["df"].iloc[0, 0] == first
    assert report["rows"] == 2 and report["source"] == name


def test_json_records_lines_and_wrapped(tmp_path):
    records = write(tmp_path / "records.json", '[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]')
    lines = write(tmp_path / "lines.jsonl", '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n')
    lines_as_json = write(tmp_path / "lines.json", '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n')
    wrapped = write(tmp_path / "wrapped.json", '{"data": [{"a": 1, "b": {"c": 2}}, {"a": 3, "b": {"c": 4}}]}')
    columns = write(tmp_path / "columns.json", '{"a": [1, 2], "b": ["x", "y"]}')
    for path in (records, lines, lines_as_json, columns):
        ns, _ = load(path)
        assert list(ns["df"].columns) == ["a", "b"] and ns["df"]["a"].tolist() == [1, 2], path.name
    ns, report = load(wrapped)
    assert list(ns["df"].columns) == ["a", "b_c"] and report["renamed"] == {"b_c": "b.c"}


def test_parquet_and_excel(tmp_path):
    pytest.importorskip("openpyxl")
    frame = pd.DataFrame({"unit price": [1.5, 2.5, 3.5], "town": ["a", "b", "c"]})
    frame.to_parquet(tmp_path / "t.parquet")
    ns, _ = load(tmp_path / "t.parquet")
    assert list(ns["df"].columns) == ["unit_price", "town"] and ns["ORIGINAL_NAMES"]["unit_price"] == "unit price"
    with pd.ExcelWriter(tmp_path / "t.xlsx") as writer:
        frame.to_excel(writer, sheet_name="rows", index=False)
        frame.head(1).to_excel(writer, sheet_name="notes", index=False)
    ns, _ = load(tmp_path / "t.xlsx")
    assert ns["df"].shape == (3, 2) and ns["df"]["unit_price"].tolist() == [1.5, 2.5, 3.5]


# ------------------------------------------------------------------------------------------------- column names
def test_colliding_names_are_made_unique_and_keep_their_originals(tmp_path):
    ns, report = load(write(tmp_path / "c.csv", "a b,a_b,a-b,y\n1,2,3,x\n4,5,6,z\n"))
    df = ns["df"]
    assert list(df.columns) == ["a_b_2", "a_b", "a_b_3", "y"]  # a name that is already an identifier keeps it
    assert ns["ORIGINAL_NAMES"] == {"a_b_2": "a b", "a_b": "a_b", "a_b_3": "a-b", "y": "y"}
    assert [df[c].dtype.kind for c in df.columns[:3]] == ["i", "i", "i"]  # one column per name, not a frame
    assert [c["name"] for c in report["columns"]] == list(df.columns)


@pytest.mark.parametrize("content, hint", [("abe\n1\n2\n3\n", False), ("a b\n1\n2\n", True)])
def test_one_column_file_says_a_model_needs_an_input_column(tmp_path, content, hint):
    with pytest.raises(ValueError) as err:
        load(write(tmp_path / "one.csv", content))
    message = str(err.value)
    assert message.startswith("one.csv has 1 column (") and "a model needs an input column besides the target" \
        in message
    assert "Closest" not in message
    assert ("delimiter was not recognised" in message) == hint


def test_header_without_rows(tmp_path):
    with pytest.raises(ValueError, match=r"head.csv has a header \(2 columns\) but no rows"):
        load(write(tmp_path / "head.csv", "a,b\n"))


@pytest.mark.parametrize("content, expected", [
    (bytes(range(256)) * 8, "it holds NUL bytes, so it is a binary file"),
    (b'churned,age,plan\nyes,30,a\nno,40,b,extra,fields\n"yes,50,a\n', "Expected 3 fields in line 3"),
])
def test_unparseable_files_say_which_file_and_what_to_do(tmp_path, content, expected):
    with pytest.raises(ValueError) as err:
        load(write(tmp_path / "broken.csv", content))
    message = str(err.value)
    assert message.startswith("Could not parse broken.csv as a CSV table") and expected in message
    assert "Check the delimiter and quoting, or export it as CSV/Parquet" in message and "\n" not in message


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        load(write(tmp_path / "empty.csv", ""))
    with pytest.raises(FileNotFoundError, match="Check the path given with --data"):
        load(tmp_path / "nope.csv")


# ------------------------------------------------------------------------------------------ the file to predict
def test_train_test_folder(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder / "train.csv", "id,unit price,town,sold\n1,2.5,a,yes\n2,3.5,b,no\n3,1.5,a,yes\n")
    write(folder / "test.csv", "id,unit price,town\n7,2.0,a\n8,9.0,c\n")
    write(folder / "sample_submission.csv", "id,sold\n7,yes\n")
    ns, report = load(folder)
    assert report["source"] == "train.csv" and len(ns["df"]) == 3
    predict = report["predict_file"]
    assert predict["path"] == str(folder / "test.csv") and predict["rows"] == 2
    assert predict["missing_columns"] == ["sold"] and predict["columns"] == ["id", "unit price", "town"]
    assert not is_text_folder(str(folder))  # an ordinary table: the tables kind reads it


def test_folder_whose_names_do_not_say_which_file(tmp_path):
    write(tmp_path / "x.csv", "a,b\n1,2\n")
    write(tmp_path / "z.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"holds 2 table files \(x.csv, z.csv\).*Name the training file train.csv"):
        load(tmp_path)


def test_the_request_names_the_file_to_predict(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train = write(tmp_path / "train.csv", "a,b,y\n1,2,x\n3,4,z\n")
    write(tmp_path / "new.csv", "a,b\n5,6\n")
    spec = parse_request("predict the y column, then predict for new.csv", data=[str(train)])
    assert spec.data == [str(train), "new.csv"]
    assert file_to_predict(spec) == str(tmp_path / "new.csv")
    _, report = load(train, Path(file_to_predict(spec)))
    assert report["predict_file"]["missing_columns"] == ["y"]
    with pytest.raises(FileNotFoundError, match="The file to predict, .*gone.csv, is not there"):
        load(train, tmp_path / "gone.csv")
    # the file to predict comes after the training data whatever the order of the words
    assert parse_request("predict for data/test.csv from data/train.csv").data == ["data/train.csv",
                                                                                  "data/test.csv"]
    assert parse_request("a wine classifier; score ./new.csv").data == ["sklearn:wine", "./new.csv"]
    assert parse_request("predict y and write predictions.csv", data=[str(train)]).data == [str(train)]


def test_the_training_file_named_in_the_request_is_not_a_file_to_predict(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the request writes the path as its author sees it, not as --data gives it
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "data").mkdir()
    train = write(tmp_path / "elsewhere" / "loans.csv", "a,b,default\n1,2,0\n3,4,1\n")
    for request in ("Predict the default column of data/loans.csv and optimise F1",
                    "predict default from data/loans.csv", "score loans.csv's default column: predict it"):
        assert file_to_predict(parse_request(request, data=[str(train)])) is None, request
    write(tmp_path / "data" / "new.csv", "a,b\n5,6\n")
    spec = parse_request("Predict the default column of data/loans.csv, then predict for data/new.csv",
                         data=[str(train)])
    assert file_to_predict(spec) == str(tmp_path / "data" / "new.csv")


def test_text_folders_stay_texts(tmp_path):
    write(tmp_path / "labeled.csv", "text,label\nsome words here,1\n")
    assert is_text_folder(str(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    write(other / "train.csv", "text,label\n" + "a long sentence of free text about a product,1\n" * 5)
    write(other / "test.csv", "text\nanother long sentence of free text here\n")
    assert is_text_folder(str(other))


@pytest.mark.parametrize("request_text, expected", [
    ("predict churn for test.csv and write predictions.csv with a column named label", "label"),
    ("name the prediction column `churn_pred`.", "churn_pred"),
    ("predict for test.csv; the predictions column is Survived", "Survived"),
    ("write predictions for test.csv", "the target"),
])
def test_prediction_column(request_text, expected):
    assert prediction_column(request_text, "the target") == expected
