"""The bundle's deploy/ folder: the Kubernetes Deployment, Service and HPA and the KServe InferenceService that the
Server agent's cells write, sized from capacity.json and validated offline against their published schemas
(kubernetes-validate's Kubernetes schemas; KServe's InferenceService CRD schema, kept as test data)."""

from __future__ import annotations

import gzip
import json
import math
import string
from pathlib import Path

import pytest
import yaml

from trainer_agent_lab.cells.render import render, run_cells, writefile_cells
from trainer_agent_lab.cells.server import DEPLOY_FILES

kubernetes_validate = pytest.importorskip("kubernetes_validate")
jsonschema = pytest.importorskip("jsonschema")

KSERVE_SCHEMA = Path(__file__).parent / "data" / "kserve_inferenceservice_v1beta1.schema.json.gz"


def capacity(**changes):
    """A capacity.json as the capacity cell writes it (the fields the deploy cell reads)."""
    return {"replicas_for_target": 3, "target_qps": 250.0, "qps_per_replica": 96.4, "replica_memory_mb": 141.7,
            "container_memory_mb": 512.0, **changes}


def deploy_folder(tmp_path, monkeypatch, measured):
    """Write and fill in deploy/ as the notebook does, for a bundle whose capacity cell measured ``measured``."""
    monkeypatch.chdir(tmp_path)
    bundle = tmp_path / "bundle"
    (bundle / "deploy").mkdir(parents=True)
    (bundle / "model.onnx").write_bytes(b"onnx")

    def fill_in(name, **values):  # bundle_documents' helper: the template the file holds, filled in place
        path = bundle / name
        path.write_text(string.Template(path.read_text()).substitute(**values))
        return path.read_text()

    ns = {"math": math, "BUNDLE_DIR": bundle, "SERVING_MODEL_PATH": bundle / "model.onnx", "capacity": measured,
          "fill_in": fill_in, "image": "model-server", "model_version": "0123456789ab", "title": "Wine classifier"}
    run_cells([*writefile_cells(DEPLOY_FILES, "deploy"), *render("cells/bundle_deploy")], ns)
    return bundle / "deploy"


def test_the_kubernetes_manifests_are_valid_and_sized_from_the_capacity(tmp_path, monkeypatch):
    deploy = deploy_folder(tmp_path, monkeypatch, capacity())
    docs = list(yaml.safe_load_all((deploy / "kubernetes.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["Deployment", "Service", "HorizontalPodAutoscaler"]
    version = kubernetes_validate.utils.latest_version()
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)  # raises ValidationError on any schema error
    deployment, _, hpa = docs
    assert deployment["spec"]["replicas"] == 3 and hpa["spec"]["minReplicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "model-server:0123456789ab"
    assert container["resources"]["limits"]["memory"] == "512Mi"  # the container size
    assert container["resources"]["requests"]["memory"] == "178Mi"  # the measured peak, a quarter more
    assert container["readinessProbe"]["httpGet"]["path"] == container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_without_a_target_or_container_one_replica_and_twice_the_peak(tmp_path, monkeypatch):
    deploy = deploy_folder(tmp_path, monkeypatch, capacity(replicas_for_target=None, container_memory_mb=None))
    deployment = next(yaml.safe_load_all((deploy / "kubernetes.yaml").read_text()))
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "284Mi"
    assert "no target QPS" in (deploy / "README.md").read_text()


def test_the_kserve_inference_service_matches_its_crd_schema(tmp_path, monkeypatch):
    deploy = deploy_folder(tmp_path, monkeypatch, capacity())
    service = yaml.safe_load((deploy / "kserve.yaml").read_text())
    schema = json.loads(gzip.decompress(KSERVE_SCHEMA.read_bytes()))["schema"]
    jsonschema.validate(service, schema)
    predictor = service["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (3, 6)
    assert predictor["containers"][0]["image"] == "model-server:0123456789ab"
    broken = {**service, "spec": {"predictor": {**predictor, "minReplicas": "three"}}}
    with pytest.raises(jsonschema.ValidationError):  # the schema does check: a wrong type fails
        jsonschema.validate(broken, schema)


def test_the_ray_serve_app_reads_its_sizes_from_capacity_json(tmp_path, monkeypatch):
    deploy = deploy_folder(tmp_path, monkeypatch, capacity())
    app = (deploy / "ray_serve_app.py").read_text()
    assert "capacity.json" in app and "replicas_for_target" in app and '"TRAINER_AGENT_ORT_THREADS", "1"' in app
    assert "Ray Serve" in (deploy / "README.md").read_text() and "kubectl apply -f kserve.yaml" in (
        deploy / "README.md").read_text()
