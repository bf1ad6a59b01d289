"""Cell templates for text classification: :mod:`.data` (Data agent), :mod:`.model` (Model agent and the Task
agent's learning-curve check), :mod:`.server` (Server agent: ONNX + preprocessing files, parity on raw strings)."""
