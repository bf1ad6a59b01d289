"""The Server agent: ONNX export, parity, measured capacity, and the deployment bundle."""

from __future__ import annotations

from typing import Any

from ..cells import server as cells
from .base import Agent


class ServerAgent(Agent):
    """Owns everything after training."""

    name = "Server"

    def export(self) -> dict[str, Any]:
        """Export the whole pipeline (preprocessing included) to ONNX; int8 where asked."""
        self.heading("convert, measure and package")
        result = self.run("export", cells.export_onnx_cell())
        self.say(f"Exported to ONNX: {result['onnx_bytes']:,} bytes"
                 + (f", int8 model {result['int8_bytes']:,} bytes" if result.get("int8_bytes") else "") + ".")
        return result

    def parity(self) -> dict[str, Any]:
        """Check the ONNX model gives the trained model's answers on the test split."""
        result = self.run("parity", cells.parity_cell())
        parity = result.get("parity", {})
        self.say(f"ONNX parity on the test split: {parity.get('label_agreement', 0):.2%} agreement.")
        return result

    def capacity(self) -> dict[str, Any]:
        """Measure latency, throughput and memory, and size the deployment."""
        result = self.run("capacity", cells.capacity_cell())
        cap = result.get("capacity", {})
        text = f"Single-row latency p50 {cap.get('p50_ms', 0):.3f} ms, p99 {cap.get('p99_ms', 0):.3f} ms"
        if cap.get("replicas_for_target"):
            text += f"; {cap['replicas_for_target']} replica(s) for {self.memory.spec.qps:g} QPS"
        self.say(text + ".")
        return result

    def bundle(self) -> dict[str, Any]:
        """Write the bundle folder and its zip."""
        result = self.run("bundle", cells.bundle_cell())
        self.say(f"Bundle written: {result.get('bundle_dir')} ({len(result.get('files', []))} files).")
        return result
