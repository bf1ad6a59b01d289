"""Choose the model file the bundle serves: the int8 one where it was asked for or kept the trained model's answers."""

# %% [context]
from .context import INT8_PATH, ONNX_PATH, REQUIREMENTS, parity_int8

# %% [parameters]
ITEMS = "rows"

# %% Serve the int8 model when it was asked for, or when it was made to meet a target and kept its answers.
SERVING_MODEL_PATH = ONNX_PATH
if INT8_PATH is not None:
    if REQUIREMENTS.get("quantize_int8") or parity_int8["label_agreement"] >= 0.99:
        SERVING_MODEL_PATH = INT8_PATH
    else:
        print(f"The int8 model agrees with the trained one on {parity_int8['label_agreement']:.1%} of the test "
              f"{ITEMS} only, so the bundle serves the float model.")
