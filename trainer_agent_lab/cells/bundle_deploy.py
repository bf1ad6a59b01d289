"""Fill in the bundle's deploy/ folder (Kubernetes, KServe, its README) from what the capacity cell measured."""

# %% [context]
import math

from .context import BUNDLE_DIR, SERVING_MODEL_PATH, capacity, fill_in, image, model_version, title

# %% Fill in `deploy/`: the Ray Serve app reads `capacity.json` itself; the Kubernetes Deployment, Service and
# autoscaler and the KServe InferenceService run the bundle's Dockerfile image with the replicas the target QPS needs,
# memory requests from the measured peak (a quarter of headroom) and limits from the container size.
replicas = int(capacity["replicas_for_target"] or 1)
memory_limit_mb = int(capacity["container_memory_mb"] or math.ceil(capacity["replica_memory_mb"] * 2))
deploy_values = {
    "app_name": image, "image": f"{image}:{model_version}", "model_version": model_version, "title": title,
    "model_file": SERVING_MODEL_PATH.name, "replicas": replicas, "max_replicas": max(2 * replicas, replicas + 1),
    "memory_request_mb": min(math.ceil(capacity["replica_memory_mb"] * 1.25), memory_limit_mb),
    "memory_limit_mb": memory_limit_mb, "replica_memory_mb": round(capacity["replica_memory_mb"]),
    "qps_per_replica": round(capacity["qps_per_replica"], 1),
    "target_note": f" for {capacity['target_qps']:g} QPS" if capacity["replicas_for_target"] else " (no target QPS)"}
for deploy_file in ("deploy/kubernetes.yaml", "deploy/kserve.yaml", "deploy/README.md"):
    fill_in(deploy_file, **deploy_values)
print(f"{BUNDLE_DIR}/deploy/: ray_serve_app.py, kubernetes.yaml, kserve.yaml, README.md — {replicas} replica(s), "
      f"memory {deploy_values['memory_request_mb']}-{memory_limit_mb} Mi, image {deploy_values['image']}")
