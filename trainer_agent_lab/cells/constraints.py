"""The closing constraint table: each requirement, its target, the measured value, and whether it is met."""

# %% [context]
import json
import re
from pathlib import Path

from IPython.display import Markdown, display

from .context import METRICS, N_PARAMETERS, REQUIREMENTS, _report

# %% [parameters]
CONSTRAINTS = [{"name": "accuracy", "op": ">=", "value": 0.9}]

# %% Check every requirement against what the cells above measured: the test metrics, the parameter count,
# the ONNX file's size and inputs (the bundle's feature schema lists each input of the exported model; a table's
# recipe, the raw columns a client sends, of which a date is one input) and the capacity the Server agent measured
# (read back from the bundle).
capacity_file = Path("bundle") / "capacity.json"
CAPACITY = json.loads(capacity_file.read_text()) if capacity_file.exists() else {}
onnx_file, schema_file = Path("bundle") / "model.onnx", Path("bundle") / "feature_schema.json"
schema = json.loads(schema_file.read_text()) if schema_file.exists() else {}
schema_inputs = schema["recipe"]["raw_inputs"] if schema.get("recipe") else schema.get("inputs")
model_inputs = None if schema_inputs is None else [str(i["name"]) for i in schema_inputs]


def input_key(name):
    """A column name with case, spaces, underscores and punctuation left out ("Zip Code" -> "zipcode")."""
    return re.sub(r"[\W_]+", "", str(name).lower())


# the inputs the request excluded that the exported model still reads (by name, case and underscores aside)
excluded = {input_key(n) for n in REQUIREMENTS.get("features", {}).get("never", [])}
measured = {**METRICS, "parameters": N_PARAMETERS,
            "onnx_bytes": onnx_file.stat().st_size if onnx_file.exists() else None,
            "n_inputs": None if model_inputs is None else len(model_inputs),
            "excluded_inputs": None if model_inputs is None or "features" not in REQUIREMENTS
            else sum(input_key(n) in excluded for n in model_inputs),
            **{k: CAPACITY.get(k) for k in ("p50_ms", "p99_ms", "replica_memory_mb")}}
ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}
CONSTRAINT_ROWS = []
for c in CONSTRAINTS:
    actual = measured.get(c["name"])
    met = actual is not None and bool(ops[c["op"]](actual, c["value"]))
    CONSTRAINT_ROWS.append({"name": c["name"], "target": f"{c['op']} {c['value']:g}", "actual": actual, "met": met})
display(Markdown("**Constraint table** (every figure measured above)\n\n"
                 + "| requirement | target | measured | met |\n|---|---|---|---|\n"
                 + "\n".join(f"| {r['name']} | {r['target']} | "
                             + ("n/a" if r["actual"] is None else f"{r['actual']:,.4g}")
                             + f" | {'yes' if r['met'] else '**no**'} |" for r in CONSTRAINT_ROWS)))
missed = [r["name"] for r in CONSTRAINT_ROWS if not r["met"]]
print("NOT met: " + ", ".join(missed) if missed else "all requirements met")
_report(constraints=CONSTRAINT_ROWS, metrics=METRICS, capacity=CAPACITY)
