"""docker-compose.yml and the `make run` Procfile describe the same stack as the settings
(the Kubernetes manifests: test_kubernetes.py).

There is no Docker engine where these tests run, so the compose file is kept honest here: every
variable it sets is one the service reads, with the ports and database names the local stack uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from billing.config import Settings as BillingSettings
from bookings.config import Settings as BookingsSettings
from gateway.config import Settings as GatewaySettings
from messaging.config import Settings as MessagingSettings
from gateway.routes import service_for
from notifications.config import Settings as NotificationsSettings
from stripe_sim.config import Config as StripeSimConfig
from twilio_sim.config import Settings as TwilioSimSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: dict[str, type[BaseSettings]] = {
    "billing": BillingSettings,
    "bookings": BookingsSettings,
    "messaging": MessagingSettings,
    "notifications": NotificationsSettings,
    "gateway": GatewaySettings,
}
DOMAIN_SERVICES = ("billing", "bookings", "messaging", "notifications")


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def procfile() -> dict[str, str]:
    lines = (ROOT / "deploy/local/Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.parametrize("service", SETTINGS)
def test_every_compose_variable_is_one_the_service_reads(compose, service):
    environment = compose["services"][service]["environment"]
    unknown = set(environment) - env_names(SETTINGS[service])
    assert not unknown, f"{service} sets variables it never reads: {sorted(unknown)}"


@pytest.mark.parametrize("service", SETTINGS)
def test_compose_ports_are_the_local_stacks_ports(compose, service):
    defaults = SETTINGS[service]()
    definition = compose["services"][service]
    prefix = service.upper()
    assert int(definition["environment"][f"{prefix}_PORT"]) == defaults.port
    assert definition["ports"] == [f"{defaults.port}:{defaults.port}"]
    assert definition["command"] == f"python -m {service}"


@pytest.mark.parametrize("service", DOMAIN_SERVICES)
def test_each_service_has_its_own_database_with_the_local_name(compose, service):
    local = SETTINGS[service]().database_url.rsplit("/", 1)[1]
    in_compose = compose["services"][service]["environment"][f"{service.upper()}_DATABASE_URL"]
    assert in_compose.rsplit("/", 1)[1] == local == f"settle_{service}"
    assert compose["services"]["migrate"]["environment"][f"{service.upper()}_DATABASE_URL"] == in_compose


def test_the_gateway_points_at_each_service_on_its_port(compose):
    environment = compose["services"]["gateway"]["environment"]
    for service in DOMAIN_SERVICES:
        port = SETTINGS[service]().port
        assert environment[f"GATEWAY_{service.upper()}_URL"] == f"http://{service}:{port}"
        assert GatewaySettings().upstreams()[service] == f"http://127.0.0.1:{port}"


def test_migrations_run_once_before_the_services(compose):
    migrate = compose["services"]["migrate"]
    assert all(f"{s}.migrate" in migrate["command"] or "$$s.migrate" in migrate["command"] for s in DOMAIN_SERVICES)
    assert "for s in billing bookings messaging notifications" in migrate["command"]
    for service in DOMAIN_SERVICES:
        assert compose["services"][service]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def published(definition: dict) -> dict[int, int]:
    """Container port -> the host port compose publishes it on."""
    return {int(container): int(host) for host, container in (p.split(":") for p in definition["ports"])}


def test_postgres_and_rabbitmq_are_published_beside_local_ones_not_over_them(compose):
    # A developer's own PostgreSQL and RabbitMQ (which `make run` uses) listen on these.
    local = {5432, 5672, 5671, 15672, 15671, 25672, 4369}
    assert published(compose["services"]["postgres"]) == {5432: 15432}
    rabbitmq = compose["services"]["rabbitmq"]
    assert "management" in rabbitmq["image"]
    assert published(rabbitmq) == {5672: 15673, 15672: 15682}
    host_ports = [*published(compose["services"]["postgres"]).values(), *published(rabbitmq).values()]
    assert not set(host_ports) & local


def test_the_simulators_and_the_services_use_addresses_each_side_can_reach(compose, monkeypatch):
    services = compose["services"]
    gateway_port = GatewaySettings().port
    assert published(services["gateway"]) == {gateway_port: gateway_port}

    # Stripe's hosted pages (checkout, 3-D Secure, onboarding) open in a browser on the host.
    stripe_port = published(services["stripe-sim"])[12111]
    for name, value in services["stripe-sim"]["environment"].items():
        monkeypatch.setenv(name, value)
    assert StripeSimConfig.from_env().public_url == f"http://127.0.0.1:{stripe_port}"

    # The Twilio simulator posts inbound texts and status callbacks to the gateway's container.
    for name, value in services["twilio-sim"]["environment"].items():
        monkeypatch.setenv(name, value)
    assert TwilioSimSettings.from_env().inbound_url == f"http://gateway:{gateway_port}/v1/webhooks/twilio/inbound"
    assert services["notifications"]["environment"]["NOTIFICATIONS_PUBLIC_URL"] == f"http://gateway:{gateway_port}"
    assert service_for("/v1/webhooks/twilio/inbound") == service_for("/v1/webhooks/twilio/status") == "notifications"

    # Stripe sends an expert back to pages the gateway serves, in the host's browser.
    billing = services["billing"]["environment"]
    assert billing["BILLING_CONNECT_RETURN_URL"] == f"http://127.0.0.1:{gateway_port}/payouts/onboarding/return"
    assert billing["BILLING_CONNECT_REFRESH_URL"] == f"http://127.0.0.1:{gateway_port}/payouts/onboarding/refresh"


def test_the_procfile_runs_the_same_services_and_simulators(compose, procfile):
    assert set(procfile) == {*SETTINGS, "stripe", "twilio"}
    for service in SETTINGS:
        assert procfile[service] == compose["services"][service]["command"]
    for simulator, port in (("stripe", 12111), ("twilio", 12112)):
        local = re.search(r"--port \$\{\w+:-(\d+)\}", procfile[simulator]).group(1)
        assert int(local) == port
        assert compose["services"][f"{simulator}-sim"]["ports"] == [f"{port}:{port}"]


def test_simulators_and_services_share_their_secrets(compose, procfile):
    billing = compose["services"]["billing"]["environment"]
    stripe_sim = compose["services"]["stripe-sim"]["command"]
    secret_default = BillingSettings().stripe_webhook_secret.get_secret_value()
    assert f"${{STRIPE_WEBHOOK_SECRET:-{secret_default}}}" in stripe_sim
    assert f"${{STRIPE_WEBHOOK_SECRET:-{secret_default}}}" in procfile["stripe"]
    assert billing["STRIPE_WEBHOOK_SECRET"] == f"${{STRIPE_WEBHOOK_SECRET:-{secret_default}}}"
    assert BillingSettings().stripe_api_base == "http://127.0.0.1:12111"

    token_default = NotificationsSettings().twilio_auth_token.get_secret_value()
    assert f"--auth-token ${{TWILIO_AUTH_TOKEN:-{token_default}}}" in compose["services"]["twilio-sim"]["command"]
    assert f"--auth-token ${{TWILIO_AUTH_TOKEN:-{token_default}}}" in procfile["twilio"]
    assert NotificationsSettings().twilio_api_base == "http://127.0.0.1:12112"


def test_bookings_reaches_billing_on_its_port_everywhere(compose):
    port = BillingSettings().port
    assert BookingsSettings().billing_url == f"http://127.0.0.1:{port}"  # make run / the Procfile: the defaults
    assert compose["services"]["bookings"]["environment"]["BOOKINGS_BILLING_URL"] == f"http://billing:{port}"
    config = yaml.safe_load((ROOT / "deploy/k8s/config.yaml").read_text())["data"]
    assert config["BOOKINGS_BILLING_URL"] == f"http://billing:{port}"


def test_billing_reaches_messaging_on_its_port_everywhere(compose):
    """Billing asks messaging about a membership it has not heard of yet (pay right away)."""
    port = MessagingSettings().port
    assert BillingSettings().messaging_url == f"http://127.0.0.1:{port}"
    assert compose["services"]["billing"]["environment"]["BILLING_MESSAGING_URL"] == f"http://messaging:{port}"
    config = yaml.safe_load((ROOT / "deploy/k8s/config.yaml").read_text())["data"]
    assert config["BILLING_MESSAGING_URL"] == f"http://messaging:{port}"


def test_messaging_reaches_billing_and_hands_out_links_on_the_gateway_everywhere(compose):
    """Purchases of paid messages ask billing; download links are the gateway's /files/..."""
    port = BillingSettings().port
    assert MessagingSettings().billing_url == f"http://127.0.0.1:{port}"
    environment = compose["services"]["messaging"]["environment"]
    assert environment["MESSAGING_BILLING_URL"] == f"http://billing:{port}"
    assert environment["MESSAGING_PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert any(v.endswith(":" + environment["MESSAGING_ATTACHMENTS_DIR"]) for v in compose["services"]["messaging"]["volumes"])
    config = yaml.safe_load((ROOT / "deploy/k8s/config.yaml").read_text())["data"]
    assert config["MESSAGING_BILLING_URL"] == f"http://billing:{port}" and config["MESSAGING_S3_BUCKET"]
    assert config["MESSAGING_PUBLIC_URL"] == config["BILLING_PUBLIC_URL"]
