"""PUT/GET /v1/me/contact: numbers stored in E.164, only ones that can receive texts."""

import pytest


def test_no_contact_until_one_is_registered(service):
    answer = service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("ann"))
    assert answer.status_code == 404
    assert answer.json()["code"] == "contact_not_found"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("+1 (415) 555-2671", "+14155552671"),  # US: FIXED_LINE_OR_MOBILE
        ("+33 6 12 34 56 78", "+33612345678"),  # a French mobile
        ("+15005550006", "+15005550006"),  # Twilio's magic test number
    ],
)
def test_a_mobile_number_is_stored_in_e164(service, given, stored):
    answer = service.http.put(f"{service.url}/v1/me/contact", json={"phone": given, "display_name": "Ann"}, headers=service.headers("ann"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"user_id": "ann", "phone": stored, "display_name": "Ann", "opted_out": False}
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("ann")).json()["phone"] == stored
    # Another user sees their own (none), not Ann's.
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("bob")).status_code == 404


@pytest.mark.parametrize("phone", ["+44 20 7183 8750", "+1 415 555", "not a number", "4155552671", "+33 1 23 45 67 89"])
def test_a_number_that_cannot_get_texts_is_422_naming_phone(service, phone):
    answer = service.http.put(f"{service.url}/v1/me/contact", json={"phone": phone}, headers=service.headers("ann"))
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_phone"
    assert problem["errors"][0]["field"] == "phone"
    assert service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("ann")).status_code == 404


def test_a_new_number_replaces_the_old(service):
    for phone in ("+14155552671", "+12125551234"):
        assert service.http.put(f"{service.url}/v1/me/contact", json={"phone": phone}, headers=service.headers("ann")).status_code == 200
    contact = service.http.get(f"{service.url}/v1/me/contact", headers=service.headers("ann")).json()
    assert contact["phone"] == "+12125551234" and contact["display_name"] is None


def test_without_a_token_it_is_401(service):
    assert service.http.get(f"{service.url}/v1/me/contact").status_code == 401
