"""Contracts: envelopes round-trip, consumers tolerate new fields, the catalogue is generated."""

from __future__ import annotations

from pathlib import Path

from settle_contracts import Envelope, catalog
from settle_contracts.messaging import ProjectMemberAdded

CONTRACTS_DIR = Path(catalog.__file__).resolve().parents[2]


def test_an_envelope_round_trips_and_opens_to_its_typed_event():
    envelope = Envelope.wrap(ProjectMemberAdded(project_id="prj_1", user_id="bob"), producer="messaging", correlation_id="req-1")
    again = Envelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert again.open() == ProjectMemberAdded(project_id="prj_1", user_id="bob")
    assert (again.type, again.version, again.producer) == ("messaging.project.member_added", 1, "messaging")


def test_consumers_ignore_fields_a_newer_producer_added():
    data = {"project_id": "prj_1", "user_id": "bob", "invited_by": "alice"}
    envelope = Envelope.model_validate({"type": "messaging.project.member_added", "producer": "messaging", "data": data, "extra": 1})
    assert envelope.open() == ProjectMemberAdded(project_id="prj_1", user_id="bob")


def test_every_event_is_named_producer_dot_entity_dot_past_tense():
    for model in catalog.contracts():
        producer, *_rest = model.event_type.split(".")
        assert producer in catalog.PRODUCER_MODULES
        assert len(model.event_type.split(".")) == 3


def test_the_committed_catalogue_and_schemas_are_what_the_contracts_generate(tmp_path):
    generated = catalog.write(tmp_path)
    for path in generated:
        committed = CONTRACTS_DIR / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `make catalog`"
        assert committed.read_text() == path.read_text(), f"{committed} is stale: run `make catalog`"
    committed_schemas = {p.name for p in (CONTRACTS_DIR / "schemas").glob("*.json")}
    assert committed_schemas == {p.name for p in generated if p.suffix == ".json"}
