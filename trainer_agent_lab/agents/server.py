"""The Server agent: ONNX export and parity, the serving app, measured capacity, and the deployment bundle.

Steps (each a cell, results read back from it): ``export`` (ONNX, int8 when asked or when the float model
misses a latency or memory target), ``parity`` (float and int8 against the trained model on the test split),
``serving`` (``serve.py`` and the files it reads) and ``capacity`` (the real app under a bounded load test on
127.0.0.1), then, after the Task agent's constraint table, ``bundle`` (docs, Dockerfile, model card, zip) and,
when the data came with a file to predict, ``predictions`` (``predictions.csv``, by the bundle's ``predict.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from ..cells.render import Cell
from .base import Agent


class ServerCells(Protocol):
    """What a kind's ``server_cells`` module offers the Server agent: one function per step, each returning the
    step's rendered cells."""

    def export_onnx_cell(self) -> list[Cell]: ...  # a kind's may take ``seconds`` (its latency check)
    def parity_cell(self) -> list[Cell]: ...
    def serving_app_cell(self) -> list[Cell]: ...
    def capacity_cell(self) -> list[Cell]: ...  # a kind's may take ``seconds`` (how long it measures)
    def bundle_cell(self, request: str | None = None, data_refs: Any = ()) -> list[Cell]: ...
    # optional: ``predictions_cell(memory) -> list[Cell]``, the cell that predicts the file to predict (none: no cell)


class ServerAgent(Agent):
    """Owns everything after training."""

    name = "Server"
    #: The kind's module of cell wrappers (``kinds/<kind>/server_cells.py``); each kind's Server agent sets it.
    cells: ClassVar[ServerCells]

    def export(self, seconds: float | None = None) -> dict[str, Any]:
        """Export the whole pipeline (preprocessing included) to ONNX; int8 where asked or needed. With
        ``seconds``, the kind's export cell (which must then take ``seconds``) times the float model for that
        long at most."""
        self.heading("export the model to ONNX and check it")
        timed = {} if seconds is None else {"seconds": seconds}
        result = self.run("export", self.cells.export_onnx_cell(**timed))
        text = f"Exported to ONNX: {result['onnx_bytes']:,} bytes"
        if result.get("int8_bytes"):
            text += (f"; int8 model {result['int8_bytes']:,} bytes, because "
                     + "; ".join(result.get("quantise_reasons") or ["it was asked for"]))
            if result.get("int8_quantised") is False:
                text += " (this model has no weights int8 compresses, so it behaves as the float one)"
        self.say(text + ".")
        return result

    def parity(self) -> dict[str, Any]:
        """Check the ONNX model(s) give the trained model's answers on the test split."""
        result = self.run("parity", self.cells.parity_cell())
        parity = result.get("parity") or {}
        text = f"ONNX parity on the test split: {parity.get('label_agreement', 0):.2%} agreement"
        if "max_prob_diff" in parity:
            text += f", largest probability difference {parity['max_prob_diff']:.2g}"
        int8 = result.get("parity_int8")
        if int8:
            text += f"; int8 model {int8.get('label_agreement', 0):.2%} agreement"
            if result.get("int8_metrics"):
                text += " (" + ", ".join(f"{k} {v:.4g}" for k, v in result["int8_metrics"].items()) + " on test)"
        if parity.get("label_agreement", 0) < 0.999:
            self.memory.notes.append(f"ONNX parity below 99.9%: {parity.get('label_agreement', 0):.2%}")
        self.say(text + ".")
        return result

    def capacity(self, seconds: float | None = None) -> dict[str, Any]:
        """Write the serving app, then measure it: latency, throughput, memory; size the deployment. With
        ``seconds``, the kind's capacity cell (which must then take ``seconds``) measures for that long at most."""
        serving = self.run("serving", self.cells.serving_app_cell())
        timed = {} if seconds is None else {"seconds": seconds}
        result = self.run("capacity", self.cells.capacity_cell(**timed))
        cap = result.get("capacity", {})
        text = (f"Serving {serving.get('serving_model', 'model.onnx')}: model alone p50 {cap.get('p50_ms', 0):.3f} ms, "
                f"p99 {cap.get('p99_ms', 0):.3f} ms; over HTTP {cap.get('qps_per_replica', 0):g} requests/s per "
                f"replica, peak {cap.get('replica_memory_mb', 0):g} MB")
        if cap.get("replicas_for_target"):
            text += f"; {cap['replicas_for_target']} replica(s) for {self.memory.spec.qps:g} QPS"
        self.say(text + ".")
        if cap.get("capacity_advice"):
            self.say(cap["capacity_advice"])
        if cap.get("fits_container") is False:
            self.memory.notes.append(cap.get("capacity_advice", "One replica does not fit the container."))
        return result

    def bundle(self) -> dict[str, Any]:
        """Write the docs, Dockerfile, model card and test of the bundle, and zip it."""
        spec = self.memory.spec
        result = self.run("bundle", self.cells.bundle_cell(request=spec.request, data_refs=list(spec.data)))
        self.say(f"Bundle written: {result.get('bundle_dir')} ({len(result.get('files', []))} files); "
                 f"it answers the sample request as the trained model does: {result.get('bundle_check')}.")
        self.predictions()
        return result

    def predictions(self) -> dict[str, Any] | None:
        """Predict the file the data came with (a train/test folder's test file, or the request's "predict for
        FILE") into ``predictions.csv`` with the bundle's own ``predict.py``; None when there is no such file."""
        make = getattr(self.cells, "predictions_cell", None)
        cells = make(self.memory) if make is not None else []
        if not cells:
            return None
        self.heading("predict the file handed over")
        result = self.run("predictions", cells)
        written = result.get("predictions", {})
        self.say(f"Predictions written to predictions.csv: {written.get('rows', 0):,} rows, the prediction in "
                 f"column {written.get('column')!r}.")
        return result
