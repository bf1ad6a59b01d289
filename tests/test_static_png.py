"""Static PNG copies of the interactive plots: generated notebooks render on GitHub and nbviewer too."""

from __future__ import annotations

import base64
import functools
import re
import time

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from trainer_agent_lab.agents.base import RunMemory
from trainer_agent_lab.cells.render import render, source
from trainer_agent_lab.kinds.tables.data_agent import TableDataAgent
from trainer_agent_lab.spec import TaskSpec

PLOTLY = "application/vnd.plotly.v1+json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@functools.cache
def _figures() -> dict[str, go.Figure]:
    """One figure of each kind the generated cells draw (made once)."""
    rng = np.random.default_rng(0)
    trials = pd.DataFrame({"parameters": rng.integers(10, 10_000, 30), "accuracy": rng.uniform(0.8, 1, 30),
                           "family": rng.choice(["rf", "lr"], 30)})
    search = px.scatter(trials, x="parameters", y="accuracy", color="family", log_x=True, title="Search")
    search.add_vline(x=5000, line_dash="dash", annotation_text="parameter budget")
    latency = make_subplots(rows=1, cols=2, subplot_titles=("single row", "under load"))
    latency.add_trace(go.Histogram(x=rng.gamma(2, 0.1, 500), nbinsx=40, name="onnxruntime"), row=1, col=1)
    latency.add_trace(go.Histogram(x=rng.gamma(2, 0.3, 500), nbinsx=40, name="load", opacity=0.6), row=1, col=2)
    truth = rng.normal(size=80)
    fit = px.scatter(x=truth, y=truth + rng.normal(scale=0.3, size=80), title="Predicted vs actual")
    fit.add_shape(type="line", x0=truth.min(), y0=truth.min(), x1=truth.max(), y1=truth.max())
    classes = ["a", "b"]
    twin = go.Figure([go.Scatter(x=[1, 2, 3], y=[0.5, 0.7, 0.8], name="accuracy"),
                      go.Scatter(x=[1, 2, 3], y=[2.0, 1.0, 0.5], name="loss", yaxis="y2")])
    twin.update_layout(yaxis2={"title": "loss", "overlaying": "y", "side": "right"})
    pictures = rng.integers(0, 255, (12, 16, 16, 3)).astype(np.uint8)
    grid = px.imshow(pictures, facet_col=0, facet_col_wrap=6)  # RGB: PNG data URIs, one facet each
    grid.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    gray = px.imshow(rng.integers(0, 16, (8, 8, 8)), facet_col=0, facet_col_wrap=4, color_continuous_scale="gray")
    gray.update_xaxes(showticklabels=False).update_yaxes(showticklabels=False)
    return {
        "bar": px.bar(x=["x", "y"], y=[3, 1], title="Missing values per column"),
        "histogram": px.histogram(pd.Series(rng.normal(size=300)), nbins=30, title="Distribution"),
        "scatter-search": search,
        "heatmap": px.imshow(np.array([[5, 1], [0, 7]]), x=classes, y=classes, text_auto=True,
                             color_continuous_scale="Blues", title="Confusion matrix (test)"),
        "curves": go.Figure([go.Scatter(x=[0, 0.5, 1], y=[0, 0.8, 1], name="ROC"),
                             go.Scatter(x=[0, 1], y=[1, 0.5], name="PR")]),
        "horizontal-bar": px.bar(x=[0.1, 0.3], y=["f1", "f2"], orientation="h").update_yaxes(autorange="reversed"),
        "subplots": latency,
        "line-shape": fit,
        "twin-axes": twin,
        "image-grid": grid,
        "gray-grid": gray,
        "unsupported": px.pie(values=[1, 2], names=["a", "b"]),
    }


@pytest.fixture(scope="module")
def renderer():
    """The set-up's PNG helper (cells/static_png), run here as the cell runs it (with the names the set-up cell
    defines)."""
    before = pio.renderers.default
    namespace = {"np": np, "re": re, "pio": pio}
    exec(source("cells/static_png"), namespace)  # noqa: S102 (our own cell code)
    yield namespace
    pio.renderers.default = before


def test_the_renderer_is_one_collapsed_cell():
    cells = render("cells/static_png")
    assert [(c.kind, c.hidden) for c in cells] == [("code", True)]


@pytest.mark.parametrize("kind", list(_figures()))
def test_each_kind_of_figure_gets_a_png_quickly(renderer, kind):
    figure = _figures()[kind]
    renderer["_figure_png"](figure.to_dict())  # warm: the first figure pays for importing matplotlib
    started = time.perf_counter()
    bundle = pio.renderers["static_png"].to_mimebundle(figure.to_plotly_json())
    seconds = time.perf_counter() - started
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG_MAGIC) and 3_000 < len(png) < 200_000
    assert seconds < 1.5, f"{kind}: {seconds:.2f} s"  # ~0.1 s here; a PNG is drawn for every figure of a run


def test_the_default_renderer_shows_both_the_interactive_figure_and_the_png(renderer):
    assert pio.renderers.default == "plotly_mimetype+static_png"
    bundle = pio.renderers._build_mime_bundle(_figures()["bar"].to_dict())
    assert set(bundle) == {PLOTLY, "image/png"}


def test_a_figure_that_cannot_be_drawn_keeps_its_interactive_output(renderer, capsys):
    broken = {"data": [{"type": "heatmap", "z": "not a matrix"}], "layout": {}}
    assert pio.renderers["static_png"].to_mimebundle(broken) == {}
    assert "no static PNG copy" in capsys.readouterr().out
    bundle = pio.renderers._build_mime_bundle(broken)
    assert PLOTLY in bundle and "image/png" not in bundle


def test_generated_plot_outputs_carry_a_png(driver):
    """The Data agent's real cells in a real kernel: every plotly output of the notebook also has image/png."""
    agent = TableDataAgent(driver, RunMemory(spec=TaskSpec(request="classify wine", data=["sklearn:wine"])),
                      lambda event: None)
    agent.setup(42, {"constraints": []})
    agent.load("sklearn:wine")
    agent.profile("target", "classification")
    plots = [o for cell in driver.cells for o in getattr(cell, "outputs", []) if PLOTLY in o.get("data", {})]
    assert plots  # the class balance (and the correlations, when the target is numeric)
    for output in plots:
        png = base64.b64decode(output["data"]["image/png"])
        assert png.startswith(PNG_MAGIC)
    assert "Class balance of target" in str(plots[0]["data"][PLOTLY])
