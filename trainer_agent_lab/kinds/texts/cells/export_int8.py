"""Quantise the text student to int8 where asked or needed, and report the export."""

# %% [context]
import onnx

from ....cells.context import BUNDLE_DIR, ONNX_PATH, QUANTISE_REASONS, _report, float_checks
from .context import TEXT_INPUTS_ENTRY, onnx_bytes, vocabulary

# isort: split
# %% Quantise (dynamic int8, onnxruntime) when asked or when the float model missed a latency target; report the
# export.
from onnxruntime.quantization import QuantType, quantize_dynamic

int8_bytes, int8_quantised = None, None
if QUANTISE_REASONS:
    INT8_PATH = BUNDLE_DIR / "model.int8.onnx"
    quantize_dynamic(ONNX_PATH, INT8_PATH, weight_type=QuantType.QInt8)
    int8_quantised = any(n.op_type in ("MatMulInteger", "DynamicQuantizeLinear", "DynamicQuantizeMatMul")
                         for n in onnx.load(INT8_PATH).graph.node)
    int8_bytes = INT8_PATH.stat().st_size
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB over a vocabulary of {vocabulary:,}; {TEXT_INPUTS_ENTRY['file']} "
      f"{(BUNDLE_DIR / TEXT_INPUTS_ENTRY['file']).stat().st_size / 1024:.1f} KiB")
_report(onnx_path=str(ONNX_PATH), onnx_bytes=onnx_bytes, int8_path=str(INT8_PATH) if INT8_PATH else None,
        int8_bytes=int8_bytes, int8_quantised=int8_quantised, opset=17, quantise_reasons=QUANTISE_REASONS,
        float_checks=float_checks, vocabulary=vocabulary)
