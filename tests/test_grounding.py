"""Visual grounding (issue 17): the request reader, the capability check, the Data agent's checks and loaders, and
the cells end to end (a short training, the ONNX export with two inputs, parity and the bundle's server) on scenes
of another style than the ones the Data agent draws (other shapes, colours, sizes, image size, query wording and
file format), written by :func:`write_other_scenes`."""

from __future__ import annotations

import base64
import json
import math
import os
import random
from pathlib import Path

import numpy as np
import pytest

from trainer_agent_lab.cells.render import render, run_cells
from trainer_agent_lab.kinds import kind_for
from trainer_agent_lab.knowledge import capabilities
from trainer_agent_lab.llm.rule_reader import parse_request
from trainer_agent_lab.session import resolve_data
from trainer_agent_lab.spec import TaskType

PUBLIC = ("Build a visual grounding model: given an image of shapes and a text query such as 'the red circle', "
          "return the box of the object the query describes. Acc@0.5 of at least 0.75, under 500k parameters.")
COLOURS = {"orange": (255, 140, 0), "purple": (150, 50, 200), "cyan": (0, 210, 220), "white": (245, 245, 245)}


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    return [(cx + (r if i % 2 == 0 else r / 2.4) * math.sin(i * math.pi / 5),
             cy - (r if i % 2 == 0 else r / 2.4) * math.cos(i * math.pi / 5)) for i in range(10)]


def write_other_scenes(folder: Path, n_scenes: int, side: int = 80, seed: int = 3) -> Path:
    """Scenes of stars, diamonds and crosses (orange, purple, cyan, white; tiny or huge) on a gradient, 80x80
    pixels, with queries worded unlike the Data agent's ("find the huge cyan cross", "purple star", "the diamond
    that is above the white star"), as a CSV of image, query, x0, y0, x1, y1 beside an images/ folder."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    lines = ["image,query,x0,y0,x1,y1"]
    for n in range(n_scenes):
        grad = np.linspace(30, 110, side)[None, :, None] * np.ones((side, 1, 3))
        image = Image.fromarray(grad.astype(np.uint8))
        draw, objects = ImageDraw.Draw(image), []
        for _ in range(200):
            if len(objects) == rng.randint(2, 4) or len(objects) == 4:
                break
            size = rng.choice(["tiny", "huge"])
            r = rng.uniform(6, 8) if size == "tiny" else rng.uniform(14, 18)
            cx, cy = rng.uniform(r + 1, side - r - 1), rng.uniform(r + 1, side - r - 1)
            box = (cx - r, cy - r, cx + r, cy + r)
            if any(box[0] < b[2] + 2 and b[0] < box[2] + 2 and box[1] < b[3] + 2 and b[1] < box[3] + 2
                   for *_, b in objects):
                continue
            shape, colour = rng.choice(["star", "diamond", "cross"]), rng.choice(list(COLOURS))
            if shape == "star":
                draw.polygon(_star(cx, cy, r), fill=COLOURS[colour])
            elif shape == "diamond":
                draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=COLOURS[colour])
            else:
                w = r / 3
                draw.rectangle((cx - w, cy - r, cx + w, cy + r), fill=COLOURS[colour])
                draw.rectangle((cx - r, cy - w, cx + r, cy + w), fill=COLOURS[colour])
            objects.append((shape, colour, size, box))
        name = f"images/s{n:04d}.png"
        image.save(folder / name)
        for i, (shape, colour, size, box) in enumerate(objects):
            same = [o for o in objects if o[:2] == (shape, colour)]
            if len(same) == 1:
                query = rng.choice([f"find the {colour} {shape}", f"{colour} {shape}"])
            elif len([o for o in objects if o[:3] == (shape, colour, size)]) == 1:
                query = f"find the {size} {colour} {shape}"
            else:
                continue
            others = [o for o in objects if o is not objects[i] and sum(p[:2] == o[:2] for p in objects) == 1]
            if others and rng.random() < 0.3 and sum(o[0] == shape for o in objects) > 1:
                ref = others[0]
                above = (box[1] + box[3]) < (ref[3][1] + ref[3][3]) - 8
                below = (box[1] + box[3]) > (ref[3][1] + ref[3][3]) + 8
                fits = [o for o in objects if o[0] == shape and
                        (((o[3][1] + o[3][3]) < (ref[3][1] + ref[3][3]) - 8) if above else
                         ((o[3][1] + o[3][3]) > (ref[3][1] + ref[3][3]) + 8) if below else False)]
                if (above or below) and len(fits) == 1:
                    query = f"the {shape} that is {'above' if above else 'below'} the {ref[1]} {ref[0]}"
            x0, y0, x1, y1 = (round(v, 1) for v in box)
            lines.append(f"{name},{query},{x0},{y0},{x1},{y1}")
    (folder / "boxes.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_the_reader_knows_grounding_in_english_and_chinese():
    spec = parse_request(PUBLIC, data=["synthetic:grounding"])
    assert spec.task_type == TaskType.visual_grounding and not spec.not_understood
    assert [(c.name, c.op, c.value) for c in spec.constraints] == [("acc_iou50", ">=", 0.75),
                                                                    ("parameters", "<", 500000)]
    zh = parse_request("训练一个视觉定位模型：给定图片和一句描述，框出描述的物体，"
                       "定位准确率不低于80%，平均交并比至少0.6，参数少于50万。")
    assert zh.task_type == TaskType.visual_grounding
    assert {c.name: c.value for c in zh.constraints} == {"acc_iou50": 0.8, "mean_iou": 0.6, "parameters": 500000}
    located = parse_request("Locate the product a query describes in each frame with 90% accuracy, p99 under 20 ms")
    assert located.task_type == TaskType.visual_grounding
    assert {c.name for c in located.constraints} == {"acc_iou50", "p99_ms"}  # accuracy means Acc@0.5 here
    assert kind_for(TaskType.visual_grounding).name == "grounding"
    assert resolve_data("synthetic:grounding").ref == "synthetic:grounding"
    assert parse_request("a classifier of wine with 90% accuracy", data=["sklearn:wine"]).task_type != \
        TaskType.visual_grounding


def test_the_capability_check_builds_grounding_and_refuses_a_perfect_score():
    assert capabilities.check(parse_request(PUBLIC)).allowed
    boxed = parse_request("Return the bounding box of the object a referring expression describes, mean IoU 0.7")
    assert capabilities.check(boxed).allowed  # the detection words do not refuse a grounding request
    assert not capabilities.check(parse_request("Detect every car with YOLO bounding boxes")).allowed
    perfect = capabilities.check(parse_request("visual grounding at 100% accuracy from ten examples"))
    assert not perfect.allowed and perfect.rule == "perfect_grounding" and "perfect" in perfect.reason


def _run(names_and_values: list[tuple[tuple[str, ...], dict]], namespace: dict) -> None:
    for names, values in names_and_values:
        run_cells(render(*names, **values), namespace)


C = "kinds/grounding/cells/"


def test_the_checks_drop_missing_images_bad_boxes_empty_and_ambiguous_queries(tmp_path, monkeypatch):
    from PIL import Image

    (tmp_path / "data").mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (40, 20), (10, 20, 30)).save(tmp_path / "data" / name)
    (tmp_path / "data" / "boxes.csv").write_text(
        "file,text,xmin,ymin,xmax,ymax\n"
        "a.png,the red circle,2,2,10,10\n"       # kept (boxes scale with the image: 40x20 -> 40x40)
        "a.png,the red circle,2,2,10,10\n"       # an exact repeat
        "b.png,,1,1,5,5\n"                       # empty query
        "b.png,the square,30,10,20,15\n"         # inside out
        "b.png,the dot,-3,2,8,9\n"               # partly outside: clipped
        "b.png,the blue one,1,1,4,4\n"           # the same words with two boxes: ambiguous
        "b.png,the blue one,20,5,30,9\n"
        "gone.png,the cat,1,1,5,5\n")            # image missing
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    _run([(("cells/setup",), {}), ((C + "pillow", C + "load"), {"DATA_REF": "data"}), ((C + "checks",), {})], ns)
    checks = ns["summary"]
    assert ns["IMAGE_SIDE"] == 40 and ns["IMAGES"].shape == (2, 3, 40, 40)
    assert {k: int(v) for k, v in checks.items() if v} == {
        "image missing": 1, "empty query": 1, "box empty or inside out": 1, "duplicate": 1,
        "same query, another box": 2, "boxes partly outside, clipped": 1}
    kept = ns["QUERIES"]
    assert sorted(kept["query"]) == ["the dot", "the red circle"]
    assert kept.loc[kept["query"] == "the red circle", ["y0", "y1"]].values.tolist() == [[4.0, 20.0]]
    assert kept.loc[kept["query"] == "the dot", "x0"].item() == 0.0


def test_coco_style_referring_expressions_load(tmp_path, monkeypatch):
    from PIL import Image

    Image.new("RGB", (32, 32)).save(tmp_path / "p.png")
    (tmp_path / "refs.json").write_text(json.dumps({
        "images": [{"id": 7, "file_name": "p.png", "width": 32, "height": 32}],
        "annotations": [{"image_id": 7, "bbox": [4, 6, 10, 8],
                         "sentences": [{"sent": "the mug"}, "the cup on the left"]}]}))
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    _run([(("cells/setup",), {}), ((C + "pillow", C + "load"), {"DATA_REF": "refs.json"})], ns)
    rows = ns["QUERIES"]
    assert list(rows["query"]) == ["the mug", "the cup on the left"]
    assert rows[["x0", "y0", "x1", "y1"]].values.tolist() == [[4, 6, 14, 14]] * 2
    assert list(rows["type"]) == ["other", "position"]


@pytest.mark.needs("torch")
def test_scenes_of_another_style_train_export_and_serve(tmp_path, monkeypatch):
    """The cells, from load to the bundle's server, on scenes of the second style: the network learns (Acc@0.5
    far above the query-blind floor even after a 20 s training), ONNX gives its boxes, serve.py answers a base64
    image and a query with the box in that image's pixels."""
    write_other_scenes(tmp_path / "other", 360)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    from trainer_agent_lab.kinds.grounding import data_cells, model_cells, server_cells

    run_cells(render("cells/setup", REQUIREMENTS={"constraints": []}), ns)
    for cells in (data_cells.load_cell("other"), data_cells.profile_cell(), data_cells.checks_cell(),
                  data_cells.split_cell(),
                  model_cells.select_cell(100_000, 16), model_cells.feasibility_cell(),
                  model_cells.fit_cell(20.0, 100_000), model_cells.evaluate_cell(),
                  server_cells.export_onnx_cell(), server_cells.parity_cell(), server_cells.serving_app_cell()):
        run_cells(cells, ns)
    assert ns["IMAGE_SIDE"] == 64 and ns["N_PARAMETERS"] <= 100_000 and ns["WIDTH"] == 16
    assert ns["N_PARAMETERS"] == sum(p.numel() for p in ns["model"].parameters())
    floor = ns["chance"]["acc_iou50"]
    assert ns["METRICS"]["acc_iou50"] >= max(0.15, 5 * floor), (ns["METRICS"], floor)
    assert ns["PARITY"]["label_agreement"] >= 0.99
    import importlib.util

    from fastapi.testclient import TestClient

    spec = importlib.util.spec_from_file_location("grounding_serve", Path("bundle/serve.py"))
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)
    client = TestClient(serve.app)
    sample = json.loads(Path("bundle/sample_request.json").read_text())
    expected = json.loads(Path("bundle/sample_response.json").read_text())
    assert client.post("/predict", json=sample).json()["predictions"] == expected["predictions"]
    original = tmp_path / "other" / "images" / "s0000.png"  # 80x80: the box comes back in its pixels
    one = client.post("/predict", json={"image": base64.b64encode(original.read_bytes()).decode(),
                                        "query": "find the orange star"}).json()
    assert len(one["box"]) == 4 and all(0 <= v <= 80 for v in one["box"]) and 0 <= one["score"] <= 1
    assert client.post("/predict", json={"image": "not base64!", "query": "x"}).status_code == 422
    assert client.post("/predict", json={"image": one and sample["items"][0]["image"], "query": " "}).status_code == 422
    assert json.loads(Path("bundle/tokenizer.json").read_text())["vocab"]["<pad>"] == 0
    assert os.path.getsize("bundle/model.onnx") > 0
