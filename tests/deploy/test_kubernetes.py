"""deploy/k8s as `kubectl apply -k` would apply it, checked offline.

kustomize is not installed here, so the kustomization is rendered in Python (its resources and
its namespace; any other transform fails the test until the renderer learns it), then every
object is validated strictly against the Kubernetes schemas (kubernetes-validate, no cluster) and
held to the rules an operator relies on: no Secret in what is applied (it would overwrite the real
one), rollouts that never drop capacity, each service ready on its own /readyz, a disruption
budget and resource requests for every workload, and services that wait for the migration Job.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from billing.config import Settings as BillingSettings
from bookings.config import Settings as BookingsSettings
from gateway.config import Settings as GatewaySettings
from messaging.config import Settings as MessagingSettings
from notifications.config import Settings as NotificationsSettings
from settle_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
SETTINGS: dict[str, type[BaseSettings]] = {
    "billing": BillingSettings,
    "bookings": BookingsSettings,
    "messaging": MessagingSettings,
    "notifications": NotificationsSettings,
    "gateway": GatewaySettings,
}
WITH_DATABASE = ("billing", "bookings", "messaging", "notifications")
# The oldest Kubernetes still commonly run, and the newest the schemas know.
VERSIONS = ("1.30.0", "1.37.0")
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
UNDERSTOOD = {"apiVersion", "kind", "namespace", "resources"}


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def render(directory: Path) -> list[dict]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - UNDERSTOOD
    assert not unknown, f"the test's renderer does not apply {sorted(unknown)}: teach it, or kubectl's result is untested"
    namespace = kustomization.get("namespace")
    objects = []
    for resource in kustomization["resources"]:
        for document in yaml.safe_load_all((directory / resource).read_text()):
            if not document:
                continue
            if namespace and document["kind"] not in CLUSTER_SCOPED:
                document["metadata"]["namespace"] = namespace
            objects.append(document)
    return objects


@pytest.fixture(scope="module")
def applied() -> list[dict]:
    return render(K8S)


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_applied_object_is_valid_for_kubernetes_strictly(applied, version):
    for obj in applied:
        kubernetes_validate.validate(obj, version, strict=True)


def test_the_example_secret_is_valid_but_never_applied(applied):
    assert of_kind(applied, "Secret") == {}
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    kubernetes_validate.validate(example, VERSIONS[-1], strict=True)
    assert example["kind"] == "Secret"
    for deployment in of_kind(applied, "Deployment").values():
        for container in pod_spec(deployment)["containers"]:
            assert {"secretRef": {"name": example["metadata"]["name"]}} in container["envFrom"]
    known = set().union(*(env_names(s) for s in SETTINGS.values()))
    assert set(example["stringData"]) <= known
    # Its placeholder is refused if it is ever applied as it is.
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        ServiceSettings(env="production", jwt_secret=example["stringData"]["JWT_SECRET"])


def test_every_service_runs_with_replicas_rolling_out_without_losing_capacity(applied):
    deployments = of_kind(applied, "Deployment")
    assert set(deployments) == set(SETTINGS)
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0 and strategy["rollingUpdate"]["maxSurge"] >= 1
        (container,) = pod_spec(deployment)["containers"]
        assert container["command"] == ["python", "-m", name]


def test_each_service_is_ready_on_its_own_readyz(applied):
    services = of_kind(applied, "Service")
    for name, deployment in of_kind(applied, "Deployment").items():
        port = SETTINGS[name]().port
        (container,) = pod_spec(deployment)["containers"]
        assert container["ports"] == [{"containerPort": port}]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        assert services[name]["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["ports"] == [{"port": port, "targetPort": port}]


def test_every_deployment_has_a_disruption_budget_that_still_lets_nodes_drain(applied):
    budgets = list(of_kind(applied, "PodDisruptionBudget").values())
    for name, deployment in of_kind(applied, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, f"{name} has {len(matching)} disruption budgets"
        assert 1 <= matching[0]["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_every_container_of_every_workload_requests_cpu_and_memory(applied):
    workloads = [*of_kind(applied, "Deployment").values(), *of_kind(applied, "Job").values()]
    assert len(workloads) == len(SETTINGS) + 1
    for workload in workloads:
        spec = pod_spec(workload)
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            requests = container["resources"]["requests"]
            assert requests.get("cpu") and requests.get("memory"), f"{workload['metadata']['name']}/{container['name']}"
            assert container["resources"]["limits"]["memory"]


def test_services_start_only_once_the_migration_job_has_migrated_their_database(applied):
    (job,) = of_kind(applied, "Job").values()
    (migrate,) = pod_spec(job)["containers"]
    assert all(f"$s.migrate" in migrate["command"][-1] and s in migrate["command"][-1] for s in WITH_DATABASE)
    for name, deployment in of_kind(applied, "Deployment").items():
        spec = pod_spec(deployment)
        if name not in WITH_DATABASE:
            assert "initContainers" not in spec  # the gateway has no database
            continue
        (wait,) = spec["initContainers"]
        (container,) = spec["containers"]
        assert wait["command"][:3] == ["python", "deploy/wait_for_migrations.py", name]
        assert (wait["image"], wait["envFrom"]) == (container["image"], container["envFrom"]) == (migrate["image"], migrate["envFrom"])
    # The image holds the script, at the path the command names (WORKDIR /app, COPY . .).
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile and "COPY . ." in dockerfile
    assert "deploy" not in (ROOT / ".dockerignore").read_text().split()
    assert (ROOT / "deploy/wait_for_migrations.py").exists()


def test_the_config_sets_only_known_variables_with_connect_and_callback_urls(applied):
    config = of_kind(applied, "ConfigMap")["settle-config"]["data"]
    known = set().union(*(env_names(s) for s in SETTINGS.values()))
    assert set(config) - known <= {"OTEL_EXPORTER_OTLP_ENDPOINT"}
    assert config["SETTLE_ENV"] == "production"
    public = config["NOTIFICATIONS_PUBLIC_URL"]
    assert config["BILLING_CONNECT_RETURN_URL"] == f"{public}/payouts/onboarding/return"
    assert config["BILLING_CONNECT_REFRESH_URL"] == f"{public}/payouts/onboarding/refresh"
    assert re.fullmatch(r"https://[\w.-]+", public)
    for service in WITH_DATABASE:
        assert config.get(f"GATEWAY_{service.upper()}_URL") == f"http://{service}:{SETTINGS[service]().port}"
    assert config["BOOKINGS_BILLING_URL"] == f"http://billing:{BillingSettings().port}"


def wait_for_migrations(database_url: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "deploy/wait_for_migrations.py", "billing", "--timeout", str(timeout), "--interval", "0.2"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "BILLING_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_init_step_waits_until_the_database_is_migrated_then_passes(database_factory):
    url = await database_factory("k8s_wait")
    waiting = wait_for_migrations(url, timeout=1)
    assert waiting.returncode == 1
    assert "waiting for the migration Job: the database is not migrated yet" in waiting.stdout

    migrated = subprocess.run([sys.executable, "-m", "billing.migrate"], env={"PATH": "/usr/bin:/bin", "BILLING_DATABASE_URL": url}, capture_output=True)
    assert migrated.returncode == 0, migrated.stderr
    passed = wait_for_migrations(url, timeout=30)
    assert passed.returncode == 0, passed.stderr
    assert "billing: database migrated" in passed.stdout
