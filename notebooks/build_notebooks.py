"""Writes the demo notebooks (clean, without outputs): ``python notebooks/build_notebooks.py``.

Each notebook reads ``TRAINER_AGENT_FAST=1`` (set by CI and tests/test_demo_notebooks.py) to use a short budget.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
BINDER = ("[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/trainer-agent/"
          "trainer-agent-lab/HEAD?urlpath=lab/tree/notebooks/{name})")
BUDGET = '''import os

# CI sets TRAINER_AGENT_FAST=1 so this notebook runs in well under a minute of model search.
FAST = os.environ.get("TRAINER_AGENT_FAST") == "1"
BUDGET = 30 if FAST else 120'''


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def quickstart() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell("# TrainerAgent quickstart: `%%traineragent` on tabular data\n\n"
                          + BINDER.format(name="quickstart.ipynb") + "\n\n"
                          "Load the extension, write a request in plain words, and the four agents (Task, Data, "
                          "Model, Server) write and run the cells **in this kernel**: afterwards the data, the model "
                          "and the metrics are ordinary variables here, and the deployment bundle is on disk."),
        new_code_cell(BUDGET),
        new_code_cell("%load_ext trainer_agent_lab"),
        new_markdown_cell("The request is the cell body. `--data` takes a file, a folder or a scikit-learn data set; "
                          "`--budget` is the time budget in seconds; `--out` the run folder (its `notebook.ipynb` "
                          "keeps every generated cell with its outputs)."),
        new_code_cell("%%traineragent --data sklearn:wine --budget $BUDGET --out runs/quickstart\n"
                      "Train a classifier on the wine data with at least 90% accuracy; serve it at 100 requests "
                      "per second."),
        new_markdown_cell("## What the run left in this kernel"),
        new_code_cell("TRAINER_AGENT_REPORT.status, METRICS"),
        new_code_cell("df.head()"),
        new_code_cell("model.predict(X_test.head())"),
        new_code_cell("%traineragent plan"),
        new_code_cell("%traineragent bundle"),
        new_markdown_cell("## Change a requirement\n\nA follow-up re-runs only the agents it concerns: here the "
                          "Server agent sizes the deployment again."),
        new_code_cell('%traineragent ask "now also deploy on 512 MB containers at 200 QPS"'),
        new_code_cell("TRAINER_AGENT_REPORT.status, TRAINER_AGENT_REPORT.capacity.get('replicas_for_target')"),
    ])


def deployment_bundle() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell("# The deployment bundle, step by step\n\n" + BINDER.format(name="deployment_bundle.ipynb")
                          + "\n\nA run ends with `bundle/`: the ONNX model, a FastAPI server (`serve.py`), its "
                          "OpenAPI description, a Dockerfile, a model card and the measured capacity. Here we make "
                          "one with the Python API, then use it two ways: ONNX Runtime directly, and the server app "
                          "in process (FastAPI's `TestClient`)."),
        new_code_cell(BUDGET),
        new_code_cell("from pathlib import Path\n\nfrom trainer_agent_lab import run\n\n"
                      'report = run("wine classifier with at least 90% accuracy", "sklearn:wine",\n'
                      '             out="runs/bundle-demo", time_budget_s=BUDGET, assume_yes=True)\n'
                      "BUNDLE = Path(report.paths['bundle'])\n"
                      "report.status, report.metrics['accuracy'], report.model['family']"),
        new_code_cell("sorted(p.name for p in BUNDLE.iterdir())"),
        new_code_cell("print((BUNDLE / 'model_card.md').read_text()[:1500])"),
        new_markdown_cell("## 1. The ONNX model with ONNX Runtime\n\nEvery feature is one named input of shape "
                          "`[rows, 1]`; `feature_schema.json` lists them."),
        new_code_cell("import json\n\nimport numpy as np\nimport onnxruntime as ort\n\n"
                      "schema = json.loads((BUNDLE / 'feature_schema.json').read_text())\n"
                      "sample = json.loads((BUNDLE / 'sample_request.json').read_text())['rows']\n"
                      "session = ort.InferenceSession(str(BUNDLE / 'model.onnx'), providers=['CPUExecutionProvider'])\n"
                      "feed = {}\n"
                      "for item in schema['inputs']:\n"
                      "    column = [row[item['name']] for row in sample]\n"
                      "    numeric = item['dtype'] != 'string'\n"
                      "    feed[item['onnx_name']] = np.array(column, dtype=np.float32 if numeric else object"
                      ").reshape(-1, 1)\n"
                      "labels, probabilities = session.run(None, feed)\n"
                      "labels, probabilities.round(3)"),
        new_markdown_cell("## 2. The server app, in process\n\n`serve.py` defines a FastAPI `app`; "
                          "`python bundle/serve.py --port 8000` serves it, and `TestClient` calls it without a "
                          "network."),
        new_code_cell("import importlib.util\n\nfrom fastapi.testclient import TestClient\n\n"
                      "spec = importlib.util.spec_from_file_location('bundle_serve', BUNDLE / 'serve.py')\n"
                      "serve = importlib.util.module_from_spec(spec)\n"
                      "spec.loader.exec_module(serve)\n"
                      "client = TestClient(serve.app)\n"
                      "client.get('/health').json()"),
        new_code_cell("answer = client.post('/predict', json={'rows': sample}).json()\n"
                      "expected = json.loads((BUNDLE / 'sample_response.json').read_text())\n"
                      "assert answer['predictions'] == expected['predictions']\n"
                      "answer['predictions']"),
        new_code_cell("client.post('/predict', json={'rows': [{'alcohol': 'lots'}]}).json()  # a clear 4xx message"),
        new_markdown_cell("## 3. Capacity\n\nMeasured in the run, not guessed: latency of the model alone and over "
                          "HTTP, requests per second per replica, and memory."),
        new_code_cell("json.loads((BUNDLE / 'capacity.json').read_text())"),
    ])


def text_classification() -> nbformat.NotebookNode:
    return notebook([
        new_markdown_cell("# The paper's text experiment: a small student, a big teacher, pseudo-labels\n\n"
                          + BINDER.format(name="text_classification.ipynb") + "\n\n"
                          "TrainerAgent's paper trains a classifier of texts with few, noisy labels and many "
                          "unlabeled texts: the small model alone falls short, so a large pretrained teacher labels "
                          "the unlabeled pool and the small student learns from those labels too. Here the Data agent "
                          "generates job adverts (does the advert offer remote work?) with wrong labels, HTML, emoji "
                          "and shouting; the agents clean them, flag suspect labels, check that the labels can reach "
                          "the target, and follow the same strategy with the pretrained MiniLM encoder as teacher."),
        new_code_cell(BUDGET + "\nTEXT_BUDGET = 75 if FAST else 420  # the teacher needs a few minutes; "
                      "the fast setting skips it"),
        new_code_cell("%load_ext trainer_agent_lab"),
        new_code_cell("%%traineragent --data synthetic:job-ads --budget $TEXT_BUDGET --out runs/text-demo\n"
                      "Classify whether a job advert offers remote work, with at least 90% accuracy and fewer than "
                      "1 million parameters; serve it at 50 requests per second."),
        new_markdown_cell("## Every step of the strategy\n\nTest accuracy and parameters of the student alone, the "
                          "teacher (not deployed: it is over the budget) and the student trained again on the "
                          "teacher's pseudo-labels."),
        new_code_cell("import pandas as pd\n\npd.DataFrame(STEPS)"),
        new_code_cell("TRAINER_AGENT_REPORT.status, METRICS"),
        new_markdown_cell("The suspect labels the Data agent found (row -> proposed label); the teacher corrects the "
                          "ones it agrees with."),
        new_code_cell("labeled.loc[list(SUSPECTS)].assign(proposed=list(SUSPECTS.values())).head(10)"),
        new_markdown_cell("## The student on new texts, and the bundle on raw strings\n\nThe bundle ships the "
                          "student as ONNX with its preprocessing (`text_features.py` and its vocabulary): it takes "
                          "raw strings."),
        new_code_cell('new = ["Senior data engineer wanted - fully remote role, async culture 🚀",\n'
                      '       "Chef wanted; on-site canteen and gym; office hours 9 to 5"]\n'
                      "dict(zip(new, (CLASSES[k] for k in model.predict(new))))"),
        new_code_cell("import importlib.util\nfrom pathlib import Path\n\nfrom fastapi.testclient import "
                      "TestClient\n\nBUNDLE = Path(TRAINER_AGENT_REPORT.paths['bundle'])\n"
                      "spec = importlib.util.spec_from_file_location('bundle_serve', BUNDLE / 'serve.py')\n"
                      "serve = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(serve)\n"
                      "TestClient(serve.app).post('/predict', json={'texts': new}).json()"),
    ])



def grounding() -> nbformat.NotebookNode:
    """The grounding walkthrough: one run of the paper's grounding task, its figures and its bundle."""
    return notebook([
        new_markdown_cell(('# Visual grounding: find the object a query describes\n'
                           '\n')
                          + BINDER.format(name="grounding.ipynb")
                          + ('\n'
                             '\n'
                             "The paper's first showcase (section 3.1) locates, from a text query, the product in a "
                             'live-stream frame. Here the same four agents do it at CPU size: the Data agent draws '
                             'scenes of coloured shapes with queries such as *the small red triangle* or *the '
                             'circle left of the blue square* (with distractors of the same shape or colour), the '
                             'Model agent trains a small CNN + GRU network from scratch within the parameter '
                             'budget, and the Server agent exports it to ONNX with two inputs (pixels and token '
                             'ids) and packages a server that takes a base64 image and a query and answers the box.')),
        new_code_cell('import os\n'
                       '\n'
                       '# CI sets TRAINER_AGENT_FAST=1 so this notebook trains for about a minute only.\n'
                       'FAST = os.environ.get("TRAINER_AGENT_FAST") == "1"\n'
                       'BUDGET = 60 if FAST else 600'),
        new_code_cell('from pathlib import Path\n'
                       '\n'
                       'from trainer_agent_lab import run\n'
                       '\n'
                       'report = run("Build a visual grounding model: given an image of shapes and a query such as '
                       "'the red circle', return the box of the object the query describes. Acc@0.5 of at least "
                       '0.75, under 500k parameters.",\n'
                       '             "synthetic:grounding", out="runs/grounding-demo", time_budget_s=BUDGET, '
                       'assume_yes=True)\n'
                       "report.status, report.metrics, report.model.get('parameters')"),
        new_markdown_cell('The run folder holds the executed notebook (sample grids with the boxes drawn, learning '
                           'curves, hits and misses, all as static PNGs too), `report.json` and the bundle. The '
                           'constraint table:'),
        new_code_cell('[(c.name, c.target, c.actual, c.met) for c in report.constraints]'),
        new_markdown_cell("## Ask the bundle's server\n"
                           '\n'
                           '`serve.py` is a FastAPI app; `TestClient` calls it in this process. A request is a '
                           "base64 PNG (any size) and a query; the answer is the box in the image's own pixels and "
                           'a score.'),
        new_code_cell('import base64\n'
                       'import importlib.util\n'
                       'import json\n'
                       '\n'
                       'from fastapi.testclient import TestClient\n'
                       '\n'
                       'BUNDLE = Path("runs/grounding-demo/bundle")\n'
                       'spec = importlib.util.spec_from_file_location("bundle_serve", BUNDLE / "serve.py")\n'
                       'serve = importlib.util.module_from_spec(spec)\n'
                       'spec.loader.exec_module(serve)\n'
                       'client = TestClient(serve.app)\n'
                       'image = Path("runs/grounding-demo/grounding_scenes/images/scene_00000.png")\n'
                       'scene = '
                       'json.loads(Path("runs/grounding-demo/grounding_scenes/annotations.jsonl")'
                       '.read_text().splitlines()[0])\n'
                       'body = {"image": base64.b64encode(image.read_bytes()).decode(), "query": scene["query"]}\n'
                       'answer = client.post("/predict", json=body).json()\n'
                       'scene["query"], answer["box"], answer["score"], [scene[k] for k in ("x0", "y0", "x1", "y1")]'),
        new_code_cell('client.post("/predict", json={"image": "not base64!", "query": "the red circle"}).json()  # '
                       'a clear 4xx message'),
        new_code_cell('json.loads((BUNDLE / "capacity.json").read_text())["p50_ms"]'),
    ])


def generation() -> nbformat.NotebookNode:
    """The generation walkthrough: one run of the paper's generation task, its figures and its bundle."""
    return notebook([
        new_markdown_cell(('# Image generation: ask for a digit, get a picture of it\n'
                           '\n')
                          + BINDER.format(name="generation.ipynb")
                          + ('\n'
                             '\n'
                             "The paper's appendix shows TrainerAgent building an image generator. Here the four "
                             "agents do it on CPU: the Data agent loads scikit-learn's handwritten digits, the "
                             'Model agent sizes a class-conditional VAE to the parameter budget and trains it '
                             'within the time budget, a judge (a classifier trained on the real digits) scores what '
                             'it draws, and the Server agent exports the decoder to ONNX and writes a bundle whose '
                             '`serve.py` answers PNG images.')),
        new_code_cell('import os\n'
                       '\n'
                       '# CI sets TRAINER_AGENT_FAST=1 so this notebook trains for seconds, not minutes.\n'
                       'FAST = os.environ.get("TRAINER_AGENT_FAST") == "1"\n'
                       'BUDGET = 40 if FAST else 600'),
        new_code_cell('from pathlib import Path\n'
                       '\n'
                       'from trainer_agent_lab import run\n'
                       '\n'
                       'report = run("Train a model that generates images of handwritten digits on request. A '
                       'classifier "\n'
                       '             "must recognise at least 80% of the generated images as the digit asked for. '
                       'Under 1M "\n'
                       '             "parameters.", "sklearn:digits", out="runs/generation-demo", '
                       'time_budget_s=BUDGET,\n'
                       '             assume_yes=True)\n'
                       "report.status, report.model['parameters']"),
        new_markdown_cell('## How a user can trust it\n'
                           '\n'
                           '`generated_class_accuracy` is the share of generated digits the judge recognises as the '
                           "digit asked for; `frechet_distance` compares real and generated digits in the judge's "
                           'features, beside `frechet_floor`, the distance between two sets of real digits; '
                           '`nearest_neighbour_ratio` well under 1 would mean the generator copies its training '
                           "images. The run's notebook (`runs/generation-demo/notebook.ipynb`) shows the sample "
                           'grids.'),
        new_code_cell('{name: round(value, 3) for name, value in report.metrics.items() if value is not None}'),
        new_code_cell('[(row.name, row.target, row.actual, row.met) for row in report.constraints]'),
        new_markdown_cell('## Ask the bundle for a 7\n'
                           '\n'
                           "The bundle's app, loaded in this process (FastAPI's test client): a class, a count and "
                           'a seed in, base64 PNG images out.'),
        new_code_cell('import base64\n'
                       'import importlib.util\n'
                       '\n'
                       'from fastapi.testclient import TestClient\n'
                       'from IPython.display import HTML\n'
                       '\n'
                       "BUNDLE = Path(report.paths['bundle'])\n"
                       'spec = importlib.util.spec_from_file_location("generator_app", BUNDLE / "serve.py")\n'
                       'app = importlib.util.module_from_spec(spec)\n'
                       'spec.loader.exec_module(app)\n'
                       'with TestClient(app.app) as client:\n'
                       '    answer = client.post("/predict", json={"class": "7", "n": 8, "seed": 0}).json()\n'
                       'HTML("".join(f\'<img src="data:image/png;base64,{png}" width="64" style="image-rendering: '
                       'pixelated; margin: 2px">\' for png in answer[\'images\']))'),
        new_code_cell("report.capacity['p50_ms'], report.capacity['qps_per_replica']"),
    ])

if __name__ == "__main__":
    for name, make in [("quickstart.ipynb", quickstart), ("deployment_bundle.ipynb", deployment_bundle),
                       ("text_classification.ipynb", text_classification), ("grounding.ipynb", grounding),
                       ("generation.ipynb", generation)]:
        nb = make()
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)
