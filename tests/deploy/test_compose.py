"""compose.yaml runs the same topology as the kustomize base: services, commands, env, volume, images."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

Objects = tuple[dict[str, Any], ...]
STAGES = ("ingest", "normalize", "decide", "execute", "settle")
CREDENTIAL_NAME = re.compile(r"(KEY|PASSWORD|TOKEN|SECRET|USERNAME|CREDENTIAL)", re.IGNORECASE)


@pytest.fixture(scope="module")
def base(render: Callable[[str], Objects]) -> Objects:
    return render("base")


def _workloads(objects: Objects) -> dict[str, dict[str, Any]]:
    """Containers of every workload, keyed by the Compose service name they correspond to."""
    found: dict[str, dict[str, Any]] = {}
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet", "Job"):
            (container,) = o["spec"]["template"]["spec"]["containers"]
            found[o["metadata"]["name"].removeprefix("doran-")] = container
    return found


def _config(objects: Objects) -> dict[str, str]:
    (config,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "doran-config"]
    data: dict[str, str] = config["data"]
    return data


def _k8s_env(objects: Objects, container: dict[str, Any]) -> dict[str, str | None]:
    env: dict[str, str | None] = {}
    if container.get("envFrom"):
        env.update(_config(objects))
    env.update({e["name"]: e.get("value") for e in container.get("env", [])})
    return env


def test_same_services(base: Objects, compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == set(_workloads(base))


def test_stages_run_the_same_command_with_the_same_settings(base: Objects, compose: dict[str, Any]) -> None:
    workloads = _workloads(base)
    for stage in (*STAGES, "schemas-publish"):
        service, container = compose["services"][stage], workloads[stage]
        assert service["command"] == container["args"], stage
        k8s_env, compose_env = _k8s_env(base, container), service.get("environment", {})
        assert set(compose_env) == set(k8s_env), stage
        for name, value in k8s_env.items():
            if value is not None:  # from the ConfigMap or a literal: the same value in both (the
                # replica's name comes from its pod there: a value of its own here)
                assert str(compose_env[name]) == value, f"{stage}: {name}"


def test_credentials_are_never_written_into_compose(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if CREDENTIAL_NAME.search(key):
                assert value is None, f"{name}: {key} must pass through from the shell, not be set here"


def test_executor_state_is_a_named_volume_at_the_same_path(base: Objects, compose: dict[str, Any]) -> None:
    container = _workloads(base)["execute"]
    (k8s_path,) = [m["mountPath"] for m in container["volumeMounts"] if m["name"] == "executor-state"]
    service = compose["services"]["execute"]
    (mount,) = [v for v in service["volumes"] if v.endswith(":" + k8s_path)]
    volume = mount.split(":", 1)[0]
    assert volume in compose["volumes"], "the executor state must be a named volume, not a bind mount"
    assert service["environment"]["EXECUTOR_STATE_DIR"] == k8s_path


def test_every_executor_volume_has_a_named_volume(base: Objects, compose: dict[str, Any]) -> None:
    container = _workloads(base)["execute"]
    k8s_paths = {m["mountPath"] for m in container["volumeMounts"] if m["name"] not in ("work", "tmp")}
    compose_paths = {v.split(":")[1] for v in compose["services"]["execute"]["volumes"]}
    assert compose_paths == k8s_paths
    assert {v.split(":")[0] for v in compose["services"]["execute"]["volumes"]} <= set(compose["volumes"])


def test_same_images_and_bootstrap_script(base: Objects, compose: dict[str, Any]) -> None:
    workloads = _workloads(base)
    assert compose["services"]["redpanda"]["image"] == workloads["redpanda"]["image"]
    assert compose["services"]["topic-bootstrap"]["image"] == workloads["topic-bootstrap"]["image"]
    # Same release of doran: Compose builds it locally under the tag the manifests pin.
    k8s_tag = workloads["ingest"]["image"].rsplit(":", 1)[1]
    assert all(compose["services"][s]["image"].endswith(f":{k8s_tag}") for s in STAGES)
    bootstrap = compose["services"]["topic-bootstrap"]
    assert bootstrap["entrypoint"] == workloads["topic-bootstrap"]["command"]
    script_in_container = workloads["topic-bootstrap"]["command"][-1]
    assert f"./deploy/base/generated/bootstrap-topics.sh:{script_in_container}:ro" in bootstrap["volumes"]
    assert bootstrap["environment"]["RPK_BROKERS"] == _config(base)["DORAN_BROKER_ADDRESS"]


def test_stages_start_after_the_topics_and_their_schemas_exist(compose: dict[str, Any]) -> None:
    for stage in STAGES:
        assert compose["services"][stage]["depends_on"] == {
            "topic-bootstrap": {"condition": "service_completed_successfully"},
            "schemas-publish": {"condition": "service_completed_successfully"},
        }
