"""The image model zoo: its parameter counts are exactly those of the networks the notebook builds."""

from __future__ import annotations

import ast
import math

import numpy as np
import pytest

from trainer_agent_lab.kinds.images.model_cells import search_cell
from trainer_agent_lab.knowledge.vision_zoo import (
    DEFAULT_WIDTH,
    MAX_WIDTH,
    MIN_WIDTH,
    candidates,
    count_parameters,
    widest,
)

SHAPES = [(1, 8, 8), (3, 16, 16), (1, 28, 28), (3, 32, 32)]


def network_builder(shape: tuple[int, int, int], n_classes: int):
    """``make_network`` as the search cells define it: their imports, classes and functions, nothing run (``torch``
    comes from the split cell, ``math`` from the set-up cell)."""
    import torch

    cells = search_cell(candidates=[], objective="accuracy", metric_constraints=[], time_budget_s=1, margin=0.01)
    tree = ast.parse("\n".join(c.source for c in cells if c.kind == "code"))
    tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    ns = {"SEED": 0, "IMAGE_SHAPE": shape, "N_CLASSES": n_classes, "PIXEL_MEAN": np.zeros(shape[0]),
          "PIXEL_STD": np.ones(shape[0]), "math": math, "torch": torch}
    exec(compile(tree, "<search cell definitions>", "exec"), ns)
    return ns["make_network"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("n_classes", [2, 10])
def test_counts_equal_torch_parameters(shape, n_classes):
    make_network = network_builder(shape, n_classes)
    for family in ("cnn", "mlp"):
        for width in (MIN_WIDTH[family], 9, 27):
            net = make_network(family, width)
            assert sum(p.numel() for p in net.parameters()) == count_parameters(family, width, shape, n_classes)


def test_the_network_maps_images_to_logits():
    import torch

    make_network = network_builder((3, 16, 16), 4)
    for family in ("cnn", "mlp"):
        out = make_network(family, 8)(torch.zeros(5, 3, 16, 16))
        assert tuple(out.shape) == (5, 4)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("limit", [700, 5_000, 49_999, 300_000])
def test_widest_is_the_largest_width_within_the_limit(shape, limit):
    for family in ("cnn", "mlp"):
        width = widest(family, limit, shape, 10)
        if width is None:
            assert count_parameters(family, MIN_WIDTH[family], shape, 10) > limit
            continue
        assert count_parameters(family, width, shape, 10) <= limit
        assert width == MAX_WIDTH[family] or count_parameters(family, width + 1, shape, 10) > limit


def test_digits_under_50k_parameters():
    judged = {c.family: c for c in candidates((1, 8, 8), 10, 49_999)}
    assert judged["cnn"].kept and judged["cnn"].parameters < 50_000
    assert count_parameters("cnn", judged["cnn"].width + 1, (1, 8, 8), 10) >= 50_000


def test_nothing_fits_ten_parameters():
    judged = candidates((1, 8, 8), 10, 10)
    assert not any(c.kept for c in judged)
    assert all("over the budget of 10" in c.reason for c in judged)
    assert min(c.min_parameters for c in judged) > 10


def test_default_width_without_a_budget():
    judged = candidates((3, 32, 32), 3, None)
    assert [(c.family, c.width) for c in judged] == [(f, DEFAULT_WIDTH[f]) for f in ("cnn", "mlp")]


def test_unknown_family():
    with pytest.raises(KeyError, match="no image family"):
        count_parameters("transformer", 8, (1, 8, 8), 10)


def test_the_model_agent_refuses_a_budget_no_network_fits(tmp_path):
    from trainer_agent_lab.agents.base import RunMemory
    from trainer_agent_lab.errors import Refused
    from trainer_agent_lab.kinds.images.agents import ImageModelAgent
    from trainer_agent_lab.llm import parse_request

    from .markdown_driver import MarkdownOnlyDriver

    spec = parse_request("Handwritten digit recognizer with 99.9% accuracy using at most 10 parameters.",
                         data=["sklearn:digits"])
    assert spec.task_type.value == "image_classification"
    agent = ImageModelAgent(MarkdownOnlyDriver(tmp_path / "nb.ipynb"), RunMemory(spec=spec), lambda event: None)
    with pytest.raises(Refused, match="No network fits the budget of <= 10 parameters"):
        agent.select({"shape": [1, 8, 8], "classes": [str(i) for i in range(10)]})
