"""The rendered NetworkPolicies allow exactly the topology's connections.

A small evaluator of NetworkPolicy semantics (pod selection, isolation, peers, ports) for one
namespace; no cluster can run here, so this checks the rules as Kubernetes defines them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Objects = tuple[dict[str, Any], ...]
Labels = dict[str, str]
DNS = ({"k8s-app": "kube-dns"}, {"kubernetes.io/metadata.name": "kube-system"})
EXTERNAL: Labels | None = None  # a host outside the cluster: only "to anywhere" rules reach it


@pytest.fixture(scope="module")
def objects(render: Callable[[str], Objects]) -> Objects:
    return render("base")


def _selects(selector: dict[str, Any], labels: Labels) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        present = expression["key"] in labels
        value = labels.get(expression["key"])
        ok = {
            "In": present and value in expression.get("values", []),
            "NotIn": not present or value not in expression.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[expression["operator"]]
        if not ok:
            return False
    return True


def _peer_matches(peer: dict[str, Any], labels: Labels | None, namespace: Labels | None) -> bool:
    if labels is None:  # outside the cluster
        return "ipBlock" in peer
    if "namespaceSelector" in peer:
        if namespace is None or not _selects(peer["namespaceSelector"], namespace):
            return False
    elif namespace is not None:  # a bare podSelector only matches pods of the policy's namespace
        return False
    return _selects(peer.get("podSelector", {}), labels)


def _port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    return not ports or any(p.get("port") == port and p.get("protocol", "TCP") == protocol for p in ports)


def _allowed(
    policies: list[dict[str, Any]],
    direction: str,
    pod: Labels,
    peer: Labels | None,
    ns: Labels | None,
    port: int,
    proto: str,
) -> bool:
    kind, key, peers_key = (
        ("Egress", "egress", "to") if direction == "egress" else ("Ingress", "ingress", "from")
    )
    selecting = [
        p["spec"]
        for p in policies
        if kind in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], pod)
    ]
    if not selecting:
        return True  # not isolated in this direction
    for spec in selecting:
        for rule in spec.get(key, []):
            peers = rule.get(peers_key)
            if (not peers or any(_peer_matches(x, peer, ns) for x in peers)) and _port_matches(
                rule.get("ports"), port, proto
            ):
                return True
    return False


def _pods(objects: Objects) -> dict[str, Labels]:
    return {
        o["metadata"]["name"].removeprefix("doran-"): o["spec"]["template"]["metadata"]["labels"]
        for o in objects
        if o["kind"] in ("Deployment", "StatefulSet", "Job")
    }


def _can_connect(objects: Objects, source: str, target: str | None, port: int, proto: str = "TCP") -> bool:
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pods = _pods(objects)
    target_labels = pods[target] if target else EXTERNAL
    out = _allowed(policies, "egress", pods[source], target_labels, None, port, proto)
    inbound = target is None or _allowed(policies, "ingress", pods[target], pods[source], None, port, proto)
    return out and inbound


CLIENTS = ("ingest", "normalize", "decide", "execute", "topic-bootstrap", "schemas-publish")


@pytest.mark.parametrize("client", CLIENTS)
def test_clients_reach_the_broker_but_not_its_admin_api(objects: Objects, client: str) -> None:
    assert _can_connect(objects, client, "redpanda", 9092)
    assert not _can_connect(objects, client, "redpanda", 9644)


def test_publisher_reaches_the_schema_registry(objects: Objects) -> None:
    assert _can_connect(objects, "schemas-publish", "redpanda", 8081)


@pytest.mark.parametrize("client", CLIENTS)
def test_only_ingest_and_the_executor_reach_the_relay(objects: Objects, client: str) -> None:
    assert _can_connect(objects, client, None, 443) == (client in ("ingest", "execute"))


def test_stages_accept_no_connection_from_each_other(objects: Objects) -> None:
    assert not _can_connect(objects, "normalize", "execute", 8080)
    assert not _can_connect(objects, "ingest", "decide", 8080)


@pytest.mark.parametrize("pod", [*CLIENTS, "redpanda"])
def test_every_pod_resolves_names(objects: Objects, pod: str) -> None:
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    labels, namespace = DNS
    assert _allowed(policies, "egress", _pods(objects)[pod], labels, namespace, 53, "UDP")
    assert not _allowed(policies, "egress", _pods(objects)[pod], {"app": "other"}, namespace, 53, "UDP")


@pytest.mark.parametrize("stage", ["ingest", "normalize", "decide", "execute"])
def test_only_the_labelled_scraper_namespace_reaches_the_metrics(objects: Objects, stage: str) -> None:
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    pod = _pods(objects)[stage]
    scraper = {"kubernetes.io/metadata.name": "monitoring", "doran.dev/metrics-scraper": "true"}
    prometheus = {"app.kubernetes.io/name": "prometheus"}
    assert _allowed(policies, "ingress", pod, prometheus, scraper, 8080, "TCP")
    assert not _allowed(
        policies, "ingress", pod, prometheus, {"kubernetes.io/metadata.name": "other"}, 8080, "TCP"
    )
    assert not _allowed(policies, "ingress", pod, prometheus, scraper, 9092, "TCP")
