"""The image Data agent's cells on small real files: synthetic shapes, folders, CSVs of paths, .npz, digits."""

from __future__ import annotations

import collections
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trainer_agent_lab.cells.render import Cell, run_cells
from trainer_agent_lab.errors import DataError
from trainer_agent_lab.kinds.images.data_cells import clean_cell, load_cell, shapes_cell
from trainer_agent_lab.knowledge.image_data import is_image_data
from trainer_agent_lab.llm import parse_request
from trainer_agent_lab.spec import TaskType


def run(cells: list[Cell], **names: Any) -> dict[str, Any]:
    """Execute generated cells in order in a fresh namespace: what the set-up cell defines, plus what earlier
    cells define (given as ``names``)."""
    code = [c.source for c in cells if c.kind == "code"]
    assert code and all(s.startswith("# ") and "trainer_agent_lab" not in s for s in code)
    reports: list[dict[str, Any]] = []
    ns = {"np": np, "pd": pd, "math": math, "json": json, "Path": Path, "SEED": 0,
          "_report": lambda **kw: reports.append(kw), "display": lambda *a, **k: None, "Markdown": str, **names}
    run_cells(cells, ns)
    assert len(reports) == 1
    ns["REPORT"] = reports[0]
    return ns


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data") / "shapes"
    ns = run(shapes_cell(str(folder), per_class=6, size=12))
    assert ns["REPORT"]["classes"] == ["circle", "square", "triangle"]
    return folder


def load(ref: str | Path) -> dict[str, Any]:
    return run(load_cell(str(ref)))


def test_shapes_folder(shapes: Path) -> None:
    assert sorted(p.name for p in shapes.iterdir()) == ["circle", "square", "triangle"]
    assert len(list(shapes.glob("*/*.png"))) == 18
    ns = load(shapes)
    assert ns["IMAGES"].shape == (18, 3, 12, 12) and ns["IMAGES"].dtype == np.float32
    assert sorted(set(ns["LABELS"])) == ["circle", "square", "triangle"] and ns["PIXEL_MAX"] == 255.0
    assert ns["REPORT"]["rows"] == 18 and ns["REPORT"]["shape"] == (3, 12, 12)


def test_shapes_are_drawn_the_same_on_a_rerun(shapes: Path, tmp_path: Path) -> None:
    run(shapes_cell(str(tmp_path / "again"), per_class=6, size=12))
    for a in sorted(shapes.glob("*/*.png")):
        assert (tmp_path / "again" / a.parent.name / a.name).read_bytes() == a.read_bytes()


def test_csv_of_paths(shapes: Path, tmp_path: Path) -> None:
    files = sorted(shapes.glob("*/*.png"))
    table = pd.DataFrame({"file": [str(p) for p in files], "class": [p.parent.name for p in files]})
    table.to_csv(tmp_path / "labels.csv", index=False)
    ns = load(tmp_path / "labels.csv")
    assert ns["IMAGES"].shape == (18, 3, 12, 12) and list(ns["LABELS"]) == list(table["class"])
    assert is_image_data(str(tmp_path / "labels.csv")) and is_image_data(str(tmp_path))  # a folder with one CSV


def test_grey_images_of_mixed_sizes_and_an_unreadable_file(tmp_path: Path) -> None:
    for label, value in (("dark", 20), ("light", 230)):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.new("L", (10, 10) if i < 2 else (20, 20), value + i).save(tmp_path / label / f"{i}.png")
    (tmp_path / "light" / "broken.png").write_bytes(b"not a png")
    ns = load(tmp_path)
    assert ns["IMAGES"].shape == (6, 1, 10, 10)  # grey, all at the most common size
    assert ns["REPORT"]["n_unreadable"] == 1 and ns["UNREADABLE"][0].endswith("broken.png")


def test_npz_channels_last_and_grey(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "rgb.npz", X=rng.integers(0, 256, (20, 10, 10, 3), dtype=np.uint8), y=np.arange(20) % 2)
    ns = load(tmp_path / "rgb.npz")
    assert ns["IMAGES"].shape == (20, 3, 10, 10) and ns["PIXEL_MAX"] == 255.0 and set(ns["LABELS"]) == {"0", "1"}
    np.savez(tmp_path / "grey.npz", X=rng.random((12, 6, 6)), y=np.array(["a", "b"] * 6))
    ns = load(tmp_path / "grey.npz")
    assert ns["IMAGES"].shape == (12, 1, 6, 6) and ns["PIXEL_MAX"] <= 1.0


def test_sklearn_digits() -> None:
    ns = load("sklearn:digits")
    assert ns["IMAGES"].shape == (1797, 1, 8, 8) and ns["PIXEL_MAX"] == 16.0 and len(set(ns["LABELS"])) == 10


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "no class sub-folders with images"),
    (lambda p: (p / "notes.txt").write_text("x") and p, "no class sub-folders with images"),
    (lambda p: np.savez(p / "a.npz", images=np.zeros((3, 4, 4))) or p / "a.npz", "must hold an array X"),
    (lambda p: np.savez(p / "b.npz", X=np.zeros((3, 4)), y=np.zeros(3)) or p / "b.npz", "X must be images"),
    (lambda p: np.savez(p / "c.npz", X=np.zeros((3, 4, 4)), y=np.zeros(3)) or p / "c.npz", "one class only"),
    (lambda p: pd.DataFrame({"a": [1]}).to_csv(p / "t.csv") or p / "t.csv", "needs a column of image paths"),
    (lambda p: p / "missing", "Data not found"),
    (lambda p: "sklearn:wine", "not an image set"),
])
def test_bad_image_data_says_what_is_wrong(tmp_path: Path, make, message: str) -> None:
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        load(make(tmp_path))


def test_clean_drops_blank_duplicate_and_conflicting_images() -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 16, (8, 1, 4, 4)).astype(np.float32)
    images[1] = images[0]  # a duplicate, same label
    images[3] = images[2]  # the same pixels under two labels
    images[4] = 7.0  # blank
    labels = np.array(["a", "a", "a", "b", "b", "b", "a", "b"])
    ns = run(clean_cell(), IMAGES=images, LABELS=labels, UNREADABLE=[], collections=collections)  # load imports it
    assert len(ns["IMAGES"]) == 4 and ns["REPORT"]["rows"] == 4
    notes = " ".join(ns["REPORT"]["notes"])
    assert "1 blank" in notes and "1 duplicate" in notes and "2 copies of images that carry different labels" in notes


def test_image_data_is_routed_to_image_classification(shapes: Path, tmp_path: Path) -> None:
    assert is_image_data(str(shapes)) and is_image_data("synthetic:shapes")
    assert not is_image_data("sklearn:digits") and not is_image_data(str(tmp_path / "nothing"))
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    assert not is_image_data(str(tmp_path / "t.csv"))
    spec = parse_request("Train a model that tells these apart with 90% accuracy.", data=[str(shapes)])
    assert spec.task_type == TaskType.image_classification
    assert parse_request("Digit classifier with 95% accuracy.", data=["sklearn:digits"]).task_type == \
        TaskType.classification  # plain words on the bundled digits stay tabular
    assert parse_request("手写数字识别，准确率不低于97%", data=["sklearn:digits"]).task_type == \
        TaskType.image_classification


def test_a_bad_folder_is_a_data_error_from_a_real_kernel(driver, tmp_path: Path) -> None:
    from trainer_agent_lab.agents.base import RunMemory
    from trainer_agent_lab.kinds.images.agents import ImageDataAgent
    from trainer_agent_lab.spec import TaskSpec

    (tmp_path / "empty").mkdir()
    agent = ImageDataAgent(driver, RunMemory(spec=TaskSpec(request="classify")), lambda event: None)
    agent.setup(0, {"constraints": []})
    with pytest.raises(DataError, match="no class sub-folders with images"):
        agent.load(str(tmp_path / "empty"))


def test_the_image_cells_import_each_module_once_and_define_every_name_they_use(tmp_path: Path) -> None:
    """The image notebook's cells, set-up to evaluation, as one script: no re-import (F811), no undefined name (F821),
    whether the shapes step (which imports Pillow) runs first or not."""
    import subprocess
    import sys

    from trainer_agent_lab.cells.render import render
    from trainer_agent_lab.kinds.images.data_cells import profile_cell, split_cell
    from trainer_agent_lab.kinds.images.model_cells import evaluate_cell, feasibility_cell, fit_cell, search_cell

    for shapes in (True, False):
        cells = render("cells/setup", SEED=0, REQUIREMENTS={})
        cells += (shapes_cell() if shapes else []) + load_cell("shapes", after_shapes=shapes) + profile_cell()
        cells += clean_cell() + split_cell(0.2, 0.15, False, 1, 10.0, 0.03) + feasibility_cell([], 1.0)
        cells += search_cell(candidates=[], objective="accuracy", metric_constraints=[], time_budget_s=1, margin=0.01)
        cells += fit_cell({"family": "cnn"}, {}, None) + evaluate_cell()
        script = tmp_path / f"notebook_{shapes}.py"
        script.write_text("\n\n".join(c.source for c in cells if c.kind == "code"))
        done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F811,F821",
                               str(script)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:]
