"""Rendered kustomize overlays: valid Kubernetes objects, and doran's deployment policies hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from doran.contracts import TOPICS
from doran.settings import Settings
from doran.venues import simulated_venue_log

# k3s stable channel at the time of writing; kubernetes-validate picks the newest schema <= this.
KUBERNETES_VERSION = "1.31.0"
OVERLAYS = ("overlays/local", "overlays/hetzner-k3s")
STAGES = ("ingest", "normalize", "decide", "execute", "settle")
STATEFUL = {"execute": "/var/lib/unrip/executor-state", "settle": "/var/lib/unrip/settlement-state"}
STATE_DIR = STATEFUL["execute"]
CREDENTIAL_NAME = re.compile(r"(KEY|PASSWORD|TOKEN|SECRET|USERNAME|CREDENTIAL)", re.IGNORECASE)
PINNED_IMAGE = re.compile(r"^[^:@\s]+(:v?\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$")

Objects = tuple[dict[str, Any], ...]


@pytest.fixture(params=OVERLAYS, scope="module")
def objects(request: pytest.FixtureRequest, render: Callable[[str], Objects]) -> Objects:
    return render(request.param)


def _one(objects: Objects, kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _stage(objects: Objects, stage: str) -> dict[str, Any]:
    """The workload running `doran stage <stage>`: a Deployment, or a StatefulSet for a static member."""
    found = [
        o
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet") and o["metadata"]["name"] == f"doran-{stage}"
    ]
    assert len(found) == 1, f"expected one workload doran-{stage}, found {len(found)}"
    return found[0]


def _pod_specs(objects: Objects) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
            yield f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"]


def _containers(objects: Objects) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for where, pod in _pod_specs(objects):
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield f"{where}/{container['name']}", container, pod


def _env_names(objects: Objects, container: dict[str, Any]) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        names |= set(_one(objects, "ConfigMap", source["configMapRef"]["name"])["data"])
    return names


def settings_env_names(model: type[BaseSettings]) -> set[str]:
    """Every environment variable name a pydantic-settings model reads (prefix + field, or its aliases)."""
    prefix = str(model.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice) for choice in alias.choices}
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add((prefix + name).upper())
    return names


def test_every_object_is_valid_kubernetes(objects: Objects) -> None:
    for o in objects:
        kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)


def test_validation_catches_a_misspelt_field(objects: Objects) -> None:
    deployment = dict(_one(objects, "Deployment", "doran-ingest"))
    deployment["spec"] = {**deployment["spec"], "replicaz": 1}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_one_workload_per_stage_running_that_stage(objects: Objects) -> None:
    for stage in STAGES:
        (container,) = _stage(objects, stage)["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["stage", stage]


@pytest.mark.parametrize("stage", sorted(STATEFUL))
def test_a_stateful_stage_is_a_statefulset_with_a_volume_and_a_stable_name_per_replica(
    objects: Objects, stage: str
) -> None:
    workload = _stage(objects, stage)
    spec = workload["spec"]
    service = _one(objects, "Service", spec["serviceName"])
    assert service["spec"]["clusterIP"] == "None"  # headless: stable pod names, no load balancing
    # Replicas come and go on their own; no rank-ordered start is needed.
    assert (spec["podManagementPolicy"], spec["updateStrategy"]["type"]) == ("Parallel", "RollingUpdate")
    (container,) = spec["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    # Its transactional.id: the pod's name, the same after a restart, distinct between replicas.
    assert env["DORAN_REPLICA"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    state_dir = STATEFUL[stage]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == state_dir)
    assert not mount.get("readOnly", False)
    (claim,) = [t for t in spec["volumeClaimTemplates"] if t["metadata"]["name"] == mount["name"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]  # one replica's, never shared
    variable = {"execute": "EXECUTOR_STATE_DIR", "settle": "DORAN_SETTLEMENT_STATE_DIR"}[stage]
    assert env[variable]["value"] == state_dir


def test_the_executor_runs_several_replicas(objects: Objects) -> None:
    assert _stage(objects, "execute")["spec"]["replicas"] >= 2


def test_venue_log_survives_losing_the_executor_state(objects: Objects) -> None:
    spec = _stage(objects, "execute")["spec"]
    (container,) = spec["template"]["spec"]["containers"]
    venue_dir = str(simulated_venue_log(Settings(EXECUTOR_STATE_DIR=STATE_DIR)).parent)
    claims = {}
    for path in (STATE_DIR, venue_dir):
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == path)
        claims[path] = next(t for t in spec["volumeClaimTemplates"] if t["metadata"]["name"] == mount["name"])
    assert claims[STATE_DIR] is not claims[venue_dir], "the venue's record must not share the state's claim"


def test_stages_write_only_to_writable_volumes(objects: Objects, monkeypatch: pytest.MonkeyPatch) -> None:
    for stage in STAGES:
        (container,) = _stage(objects, stage)["spec"]["template"]["spec"]["containers"]
        for name in _env_names(objects, container):
            monkeypatch.delenv(name, raising=False)
        config = _one(objects, "ConfigMap", "doran-config")["data"]
        for name, value in {
            **config,
            **{e["name"]: e["value"] for e in container.get("env", []) if "value" in e},
        }.items():
            monkeypatch.setenv(name, value)
        settings = Settings()
        writes = [settings.quix_state_dir, PurePosixPath(container["workingDir"]), PurePosixPath("/tmp")]
        if stage == "execute":
            writes += [settings.executor_state_dir, simulated_venue_log(settings).parent]
        if stage == "settle":
            writes += [settings.settlement_state_dir]
        mounts = [PurePosixPath(m["mountPath"]) for m in container["volumeMounts"] if not m.get("readOnly")]
        # Relative paths are the process's working directory's.
        for directory in (PurePosixPath(container["workingDir"]) / PurePosixPath(w) for w in writes):
            assert any(directory == m or m in directory.parents for m in mounts), (
                f"{stage} writes {directory}"
            )


def test_hetzner_volumes_are_node_backed_and_retained(render: Callable[[str], Objects]) -> None:
    objects = render("overlays/hetzner-k3s")
    claims = [
        template
        for o in objects
        if o["kind"] == "StatefulSet"
        for template in o["spec"].get("volumeClaimTemplates", [])  # normalize and decide keep no state
    ]
    assert len(claims) == 4  # the broker's data, the executor's state and venue log, the settlement's state
    assert not [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    classes = {claim["spec"].get("storageClassName") for claim in claims}
    assert len(classes) == 1
    storage_class = _one(objects, "StorageClass", str(classes.pop()))
    assert storage_class["provisioner"] == "rancher.io/local-path"
    assert storage_class["reclaimPolicy"] == "Retain"


def test_every_container_is_locked_down(objects: Objects) -> None:
    for where, container, pod in _containers(objects):
        pod_ctx, ctx = pod.get("securityContext", {}), container.get("securityContext", {})
        assert ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True, where
        assert ctx.get("readOnlyRootFilesystem") is True, where
        assert ctx.get("allowPrivilegeEscalation") is False, where
        assert "ALL" in ctx.get("capabilities", {}).get("drop", []), where
        seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {}))
        assert seccomp.get("type") == "RuntimeDefault", where
        assert pod.get("automountServiceAccountToken") is False, where


def test_every_container_has_requests_and_limits(objects: Objects) -> None:
    for where, container, _ in _containers(objects):
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where} lacks {bound}"


def test_images_are_pinned(objects: Objects) -> None:
    for where, container, _ in _containers(objects):
        assert PINNED_IMAGE.match(container["image"]), f"{where}: image {container['image']} is not pinned"


def test_no_secret_value_is_committed(objects: Objects) -> None:
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Secret"] == []
    for o in objects:
        if o["kind"] == "ConfigMap":
            assert not [k for k in o.get("data", {}) if CREDENTIAL_NAME.search(k)], o["metadata"]["name"]
    for where, container, _ in _containers(objects):
        for env in container.get("env", []):
            if CREDENTIAL_NAME.search(env["name"]):
                assert "value" not in env, f"{where}: {env['name']} has a literal value"
                assert "secretKeyRef" in env["valueFrom"], f"{where}: {env['name']} not from a Secret"


def test_stages_announce_their_metrics_on_the_health_port(objects: Objects) -> None:
    port = _one(objects, "ConfigMap", "doran-config")["data"]["DORAN_HEALTH_PORT"]
    for stage in STAGES:
        annotations = _stage(objects, stage)["spec"]["template"]["metadata"]["annotations"]
        assert annotations == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": port,
            "prometheus.io/path": "/metrics",
        }, stage


def test_stage_probes_hit_the_health_endpoint(objects: Objects) -> None:
    port = int(_one(objects, "ConfigMap", "doran-config")["data"]["DORAN_HEALTH_PORT"])
    for stage in STAGES:
        (container,) = _stage(objects, stage)["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = container[probe]["httpGet"]
            assert (get["path"], ports[get["port"]]) == (path, port), f"{stage} {probe}"


def test_stage_env_vars_are_settings_fields(objects: Objects) -> None:
    known = settings_env_names(Settings)
    for stage in STAGES:
        (container,) = _stage(objects, stage)["spec"]["template"]["spec"]["containers"]
        unknown = _env_names(objects, container) - known
        assert not unknown, f"{stage} sets {sorted(unknown)}, which doran.settings.Settings does not read"


def test_publish_job_and_stages_reach_the_registry_with_its_credentials(objects: Objects) -> None:
    registry = {"DORAN_REGISTRY_URL", "DORAN_REGISTRY_USERNAME", "DORAN_REGISTRY_PASSWORD"}
    assert registry <= settings_env_names(Settings)
    (job,) = _one(objects, "Job", "schemas-publish")["spec"]["template"]["spec"]["containers"]
    stages = [_stage(objects, stage)["spec"]["template"]["spec"] for stage in STAGES]
    workloads = [job, *(container for spec in stages for container in spec["containers"])]
    for container in workloads:
        assert registry <= _env_names(objects, container) <= settings_env_names(Settings), container["name"]
        secrets = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert secrets["DORAN_REGISTRY_USERNAME"]["key"] == "registry-username"
        assert secrets["DORAN_REGISTRY_PASSWORD"]["key"] == "registry-password"


def test_bootstrap_job_creates_the_registry_topics(objects: Objects) -> None:
    pod = _one(objects, "Job", "topic-bootstrap")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    script_path = container["command"][-1]
    mount = next(m for m in container["volumeMounts"] if script_path.startswith(m["mountPath"] + "/"))
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    script = _one(objects, "ConfigMap", volume["configMap"]["name"])["data"][script_path.rsplit("/", 1)[1]]
    # One `ensure_topic name partitions replicas retention.ms cleanup.policy` line per registry topic.
    calls = [line.split()[1:] for line in script.splitlines() if line.startswith("ensure_topic ")]
    expected = [
        [t.name, str(t.partitions), str(t.replication_factor), str(t.retention_ms), t.cleanup_policy]
        for t in TOPICS.values()
    ]
    assert calls == expected


def test_clients_and_broker_agree_on_addresses(objects: Objects) -> None:
    broker = _one(objects, "StatefulSet", "redpanda")
    service = _one(objects, "Service", broker["spec"]["serviceName"])
    ports = {p["name"]: p["port"] for p in service["spec"]["ports"]}
    args = broker["spec"]["template"]["spec"]["containers"][0]["args"]
    kafka = f"{service['metadata']['name']}:{ports['kafka']}"
    assert f"--advertise-kafka-addr=internal://{kafka}" in args
    (registry_addr,) = [a for a in args if a.startswith("--schema-registry-addr=")]
    assert registry_addr.endswith(f":{ports['schema-registry']}")
    config = _one(objects, "ConfigMap", "doran-config")["data"]
    assert config["DORAN_BROKER_ADDRESS"] == kafka
    # The stages and the schemas-publish Job read it there.
    assert config["DORAN_REGISTRY_URL"] == f"http://{service['metadata']['name']}:{ports['schema-registry']}"


def _quantity_mi(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * units[unit]


def test_redpanda_memory_fits_its_limit(objects: Objects) -> None:
    (container,) = _one(objects, "StatefulSet", "redpanda")["spec"]["template"]["spec"]["containers"]
    memory = next(a.split("=", 1)[1] for a in container["args"] if a.startswith("--memory="))
    limit = container["resources"]["limits"]["memory"]
    assert _quantity_mi(memory) + 256 <= _quantity_mi(limit), f"--memory={memory} leaves no room in {limit}"


def test_local_overlay_is_smaller(render: Callable[[str], Objects]) -> None:
    local, production = render("overlays/local"), render("overlays/hetzner-k3s")
    for stage in STAGES:
        small = _stage(local, stage)["spec"]["template"]["spec"]["containers"][0]["resources"]
        large = _stage(production, stage)["spec"]["template"]["spec"]["containers"][0]["resources"]
        assert _quantity_mi(small["limits"]["memory"]) < _quantity_mi(large["limits"]["memory"]), stage


def test_network_is_deny_by_default(objects: Objects) -> None:
    deny = _one(objects, "NetworkPolicy", "default-deny")["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny


def test_consumer_stages_are_static_members_under_their_stable_pod_name(objects: Objects) -> None:
    # group.instance.id must survive a restart and a rollout: a StatefulSet's pod name does.
    for stage in ("normalize", "decide", "execute", "settle"):
        workload = _stage(objects, stage)
        assert workload["kind"] == "StatefulSet", stage
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        assert env["DORAN_GROUP_INSTANCE_ID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
        service = _one(objects, "Service", workload["spec"]["serviceName"])
        assert service["spec"]["clusterIP"] == "None"
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items(), stage


def test_no_deployment_joins_a_group_as_a_static_member(objects: Objects) -> None:
    # A Deployment's pods get new names on every rollout: the departed static member would hold its
    # partitions for session.timeout.ms. Nor may the shared ConfigMap name one instance for every stage.
    assert "DORAN_GROUP_INSTANCE_ID" not in _one(objects, "ConfigMap", "doran-config")["data"]
    for o in objects:
        if o["kind"] == "Deployment":
            for container in o["spec"]["template"]["spec"]["containers"]:
                names = {e["name"] for e in container.get("env", [])}
                assert "DORAN_GROUP_INSTANCE_ID" not in names, o["metadata"]["name"]
