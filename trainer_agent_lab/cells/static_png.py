"""Static PNG copies of the notebook's plotly figures, so a shared notebook renders on GitHub and nbviewer.

The cell registers a plotly renderer, ``static_png``, that draws the same figure with matplotlib (its object API:
no pyplot, no backend switch, so a user's own inline plots are untouched) and makes ``plotly_mimetype+static_png``
the default: every ``fig.show()`` then displays one output carrying both ``application/vnd.plotly.v1+json``
(JupyterLab shows the interactive figure) and ``image/png`` (what GitHub and nbviewer show, and JupyterLab where
plotly cannot run). So that a figure keeps one look, the lab extension makes jupyterlab-plotly draw it interactively
at once and leave the output as written (``labextension/src/figures.ts``); without it, jupyterlab-plotly shows the
PNG until the first hover, then its own chart and PNG (the notebook then reads unsaved). It draws the trace
types the cells use (bar, histogram, scatter and scattergl, heatmap and image, grids of images drawn on one canvas)
on any subplot grid, with titles, axis titles, log, reversed and second y axes, line shapes and annotations; other
trace types are listed in the image instead of drawn. A figure it cannot draw, or a kernel without matplotlib, gets
no PNG and the cell goes on. Cost, measured on the wine and diabetes runs: matplotlib's import once (~1 s), then
~0.1-0.3 s per figure.
"""

# %% [context]
import re

import numpy as np
import plotly.io as pio


# isort: split
# %% [hidden] Static PNG copies of the interactive figures (drawn again with matplotlib), so that the notebook
# also renders where plotly's JavaScript does not run (GitHub, nbviewer). JupyterLab still shows plotly.
def _plotly_array(value):
    """A plotly figure value as a numpy array (plotly stores numeric arrays base64-encoded)."""
    import base64

    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value.get("dtype", "f8")))
        shape = value.get("shape")
        if shape:
            array = array.reshape([int(s) for s in str(shape).split(",")])
        return array
    return np.asarray(value if value is not None else [], dtype=object)


def _plotly_color(value, default):
    """A plotly colour string ('rgb(1,2,3)', '#abc', 'red') as a matplotlib colour."""
    if not isinstance(value, str):
        return default
    match = re.match(r"rgba?\(([^)]*)\)", value.replace(" ", ""))
    if match:
        parts = [float(p) for p in match.group(1).split(",")]
        return tuple([p / 255 for p in parts[:3]] + parts[3:4])
    return value


def _figure_png(fig, width=640, height=400):
    """PNG bytes of a plotly figure dict drawn with matplotlib, or None when it cannot be drawn."""
    import base64
    import io

    import matplotlib
    import matplotlib.colors as mcolors
    import matplotlib.transforms as mtransforms
    from matplotlib.figure import Figure

    layout = fig.get("layout", {}) or {}
    colorway = layout.get("colorway") or ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3",
                                          "#FF6692", "#B6E880", "#FF97FF", "#FECB52"]
    width, height = min(1400, layout.get("width") or width), min(1400, layout.get("height") or height)
    out = Figure(figsize=(width / 100, height / 100), dpi=100)
    area = (0.09, 0.12, 0.86, 0.74)  # the plotting area, in figure fractions (titles above, labels below)
    axes, skipped = {}, {}
    longest = [0]  # the longest category name on a y axis

    def axis_layout(ref):
        return layout.get(("xaxis" if ref[0] == "x" else "yaxis") + ref[1:], {}) or {}

    def axes_for(xref, yref):
        if (xref, yref) not in axes:
            over = axis_layout(yref).get("overlaying")
            if over and over != yref:  # a second y axis on the same plot (e.g. loss beside accuracy)
                ax = axes_for(xref, over).twinx()
            else:
                x0, x1 = axis_layout(xref).get("domain", [0, 1])
                y0, y1 = axis_layout(yref).get("domain", [0, 1])
                pad = 0.04 if (x1 - x0) < 1 else 0
                ax = out.add_axes([area[0] + area[2] * x0 + pad / 2, area[1] + area[3] * y0,
                                   area[2] * (x1 - x0) - pad, area[3] * (y1 - y0)])
            for ref, axis, set_label, set_scale in ((xref, ax.xaxis, ax.set_xlabel, ax.set_xscale),
                                                    (yref, ax.yaxis, ax.set_ylabel, ax.set_yscale)):
                spec = axis_layout(ref)
                title = spec.get("title")
                set_label((title.get("text") if isinstance(title, dict) else title) or "", fontsize=8)
                if spec.get("type") == "log":
                    set_scale("log")
                if spec.get("showticklabels") is False:
                    axis.set_ticks([])
            if axis_layout(yref).get("autorange") == "reversed":
                ax.invert_yaxis()
            if axis_layout(xref).get("autorange") == "reversed":
                ax.invert_xaxis()
            ax.tick_params(labelsize=7)
            axes[xref, yref] = ax
        return axes[xref, yref]

    def colorscale(trace):
        scale = trace.get("colorscale") or (layout.get(trace.get("coloraxis") or "", {}) or {}).get("colorscale")
        if isinstance(scale, str):
            return scale if scale in matplotlib.colormaps else "viridis"
        if scale:
            return mcolors.LinearSegmentedColormap.from_list(
                "plotly", [(float(p), _plotly_color(c, "k")) for p, c in scale])
        return "viridis"

    def pixels(trace):
        """An image trace's pixels, or a heatmap's values with its colour map and range."""
        source = trace.get("source")
        if isinstance(source, str) and source.startswith("data:image"):  # plotly's binary_string PNG/JPEG
            import matplotlib.image as mimage

            return mimage.imread(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))), {}
        if trace.get("type") == "image":
            return np.asarray(_plotly_array(trace.get("z")), dtype=np.uint8), {}
        scale = layout.get(trace.get("coloraxis") or "", {}) or {}
        return np.asarray(_plotly_array(trace.get("z")), dtype=float), {
            "cmap": colorscale(trace), "vmin": trace.get("zmin", scale.get("cmin")),
            "vmax": trace.get("zmax", scale.get("cmax"))}

    traces = fig.get("data", []) or []
    if len(traces) > 4 and all(t.get("type") in ("image", "heatmap")
                               and axis_layout(t.get("xaxis", "x")).get("showticklabels") is False for t in traces):
        # a grid of pictures (facets): one canvas for all of them is ten times faster than an axes each
        board = out.add_axes(area)
        board.set_axis_off()
        board.set_xlim(0, 1)
        board.set_ylim(0, 1)
        axes["x", "y"] = board
        for trace in traces:
            image, style = pixels(trace)
            x0, x1 = axis_layout(trace.get("xaxis", "x")).get("domain", [0, 1])
            y0, y1 = axis_layout(trace.get("yaxis", "y")).get("domain", [0, 1])
            box_w, box_h = (x1 - x0) * area[2] * width, (y1 - y0) * area[3] * height
            fit = min(box_w / image.shape[1], box_h / image.shape[0])
            w, h = image.shape[1] * fit / (area[2] * width), image.shape[0] * fit / (area[3] * height)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            board.imshow(image, extent=[cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2], aspect="auto",
                         interpolation="nearest", **style)
        traces = []

    for i, trace in enumerate(traces):
        kind = trace.get("type", "scatter")
        ax = axes_for(trace.get("xaxis", "x"), trace.get("yaxis", "y"))
        marker = trace.get("marker", {}) or {}
        color = _plotly_color(marker.get("color"), colorway[i % len(colorway)])
        alpha = trace.get("opacity", 1.0)
        name = trace.get("name") if trace.get("showlegend", True) is not False else None
        x, y = _plotly_array(trace.get("x")), _plotly_array(trace.get("y"))
        if kind == "bar":
            horizontal = trace.get("orientation") == "h"
            cats, vals = (y, x) if horizontal else (x, y)
            cats = [str(c) for c in cats] if cats.dtype == object else cats
            if horizontal and len(cats):
                longest[0] = max(longest[0], *(len(str(c)) for c in cats))
            (ax.barh if horizontal else ax.bar)(cats, np.asarray(vals, dtype=float), color=color, alpha=alpha,
                                                label=name)
        elif kind == "histogram":
            values = np.asarray(x if len(x) else y, dtype=float)
            values = values[np.isfinite(values)]
            ax.hist(values, bins=trace.get("nbinsx") or trace.get("nbinsy") or "auto", color=color,
                    alpha=min(alpha, 0.75) if len(fig["data"]) > 1 else alpha, label=name, histtype="stepfilled",
                    orientation="vertical" if len(x) else "horizontal")
        elif kind in ("scatter", "scattergl"):
            if not len(x) and len(y):
                x = np.arange(len(y))
            mode = trace.get("mode") or ("lines+markers" if len(x) < 20 else "lines")
            xs = [str(v) for v in x] if x.dtype == object and any(isinstance(v, str) for v in x) else x
            if "lines" in mode:
                line = trace.get("line", {}) or {}
                ax.plot(xs, y, color=_plotly_color(line.get("color"), color), alpha=alpha, label=name,
                        linestyle="--" if line.get("dash") in ("dash", "dot", "dashdot") else "-", linewidth=1.5)
                name = None
            if "markers" in mode:
                shades = marker.get("color")
                shades = _plotly_array(shades) if not isinstance(shades, str) and shades is not None else None
                numeric = shades is not None and len(shades) == len(y) and shades.dtype != object
                ax.scatter(xs, y, s=12, alpha=alpha, label=name, c=shades if numeric else color,
                           cmap=colorscale(marker) if numeric else None)
        elif kind == "heatmap":
            z, style = pixels(trace)
            image = ax.imshow(z, aspect="equal" if axis_layout(trace.get("yaxis", "y")).get("scaleanchor") else "auto",
                              **style)
            labels_x = [str(v) for v in x] if len(x) == z.shape[1] else None
            labels_y = [str(v) for v in y] if len(y) == z.shape[0] else None
            if labels_x and axis_layout(trace.get("xaxis", "x")).get("showticklabels") is not False:
                ax.set_xticks(range(len(labels_x)), labels_x)
            if labels_y and axis_layout(trace.get("yaxis", "y")).get("showticklabels") is not False:
                ax.set_yticks(range(len(labels_y)), labels_y)
                longest[0] = max(longest[0], *(len(label) for label in labels_y))
            if trace.get("texttemplate") and z.size <= 400:
                middle = np.nanmin(z) + (np.nanmax(z) - np.nanmin(z)) / 2
                for (r, c), v in np.ndenumerate(z):
                    ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=7,
                            color="white" if v > middle else "black")
            scale = layout.get(trace.get("coloraxis") or "", {}) or {}
            if trace.get("showscale", scale.get("showscale", True)) is not False and len(traces) == 1:
                out.colorbar(image, ax=ax, shrink=0.8)
        elif kind == "image":
            ax.imshow(pixels(trace)[0])
        else:
            skipped[kind] = skipped.get(kind, 0) + 1

    if not axes:
        axes_for("x", "y")
    first = next(iter(axes.values()))
    if longest[0] > 8:  # long category names on the y axis (feature importances): make room on the left
        extra = min(0.3, 0.0105 * (longest[0] - 8))
        shrink = 1 - extra / area[2]
        for ax in axes.values():
            x0, y0, w, h = ax.get_position().bounds
            ax.set_position([area[0] + extra + (x0 - area[0]) * shrink, y0, w * shrink, h])

    def transform(xref, yref):
        ax = axes.get((xref.split(" ")[0], yref.split(" ")[0]), first) if "paper" not in (xref, yref) else first
        tx = ax.transData if xref[:1] == "x" and "domain" not in xref else ax.transAxes
        ty = ax.transData if yref[:1] == "y" and "domain" not in yref else ax.transAxes
        return ax, mtransforms.blended_transform_factory(tx, ty)

    for shape in layout.get("shapes", []) or []:
        if shape.get("type", "line") != "line":
            continue
        ax, where = transform(shape.get("xref", "x"), shape.get("yref", "y"))
        line = shape.get("line", {}) or {}
        ax.plot([shape.get("x0", 0), shape.get("x1", 0)], [shape.get("y0", 0), shape.get("y1", 1)], transform=where,
                color=_plotly_color(line.get("color"), "#444"), linewidth=1.2,
                linestyle="--" if line.get("dash") in ("dash", "dot", "dashdot") else "-")
    for note in layout.get("annotations", []) or []:
        text = re.sub(r"<[^>]+>", "", str(note.get("text", "")))
        if note.get("xref") == "paper" and note.get("yref") == "paper":
            out.text(area[0] + area[2] * note.get("x", 0.5), area[1] + area[3] * note.get("y", 1.0) + 0.01, text,
                     ha="center", va="bottom", fontsize=8)
        else:
            ax, where = transform(note.get("xref", "x"), note.get("yref", "y"))
            ax.text(note.get("x", 0), note.get("y", 1), text, transform=where, fontsize=7, ha="left", va="bottom")
    for ax in axes.values():
        if len(ax.get_legend_handles_labels()[0]) > 1:
            ax.legend(fontsize=7)
    title = layout.get("title")
    title = (title.get("text") if isinstance(title, dict) else title) or ""
    if skipped:
        title += "  [" + ", ".join(f"{n} {k} trace(s) not drawn in this static copy" for k, n in skipped.items()) + "]"
    out.suptitle(re.sub(r"<[^>]+>", "", title), fontsize=10)
    buffer = io.BytesIO()
    out.savefig(buffer, format="png")
    return buffer.getvalue()


try:
    import base64 as _base64

    from plotly.io.base_renderers import MimetypeRenderer as _MimetypeRenderer

    class _StaticPng(_MimetypeRenderer):
        """A plotly renderer that adds a static PNG of the figure to the displayed output."""

        said = set()

        def to_mimebundle(self, fig_dict):
            try:
                png = _figure_png(fig_dict)
            except Exception as err:  # no matplotlib, or a figure it cannot draw: the interactive figure alone
                if type(err).__name__ not in self.said:  # say it once, not under every figure
                    self.said.add(type(err).__name__)
                    print(f"(no static PNG copy of this figure: {type(err).__name__}: {err})")
                return {}
            return {"image/png": _base64.b64encode(png).decode()} if png else {}

    pio.renderers["static_png"] = _StaticPng()
    pio.renderers.default = "plotly_mimetype+static_png"
except ImportError:  # an old plotly: interactive figures only
    pass
