"""The image Data agent's cells on small real files: synthetic shapes, folders, CSVs of paths, .npz, digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trainer_agent_lab.cells.vision import clean_cell, load_cell, shapes_cell
from trainer_agent_lab.errors import DataError
from trainer_agent_lab.knowledge.image_data import is_image_data
from trainer_agent_lab.llm.offline import parse_request
from trainer_agent_lab.spec import TaskType


def run(source: str, **names: Any) -> dict[str, Any]:
    """Execute a generated cell in a fresh namespace (what earlier cells define, given as ``names``)."""
    assert source.startswith("# ") and "trainer_agent_lab" not in source
    reports: list[dict[str, Any]] = []
    ns = {"np": np, "pd": pd, "SEED": 0, "_report": lambda **kw: reports.append(kw),
          "display": lambda *a, **k: None, "Markdown": str, **names}
    exec(compile(source, "<cell>", "exec"), ns)
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
    ns = run(clean_cell(), IMAGES=images, LABELS=labels, UNREADABLE=[])
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
