"""The simulator's signature agrees with the SDK's RequestValidator for any form parameters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from twilio_sim.segments import count_segments
from twilio_sim.signing import twilio_signature

names = st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x7A), min_size=1, max_size=12)
values = st.text(max_size=40)


@given(token=st.text(min_size=1, max_size=40), params=st.dictionaries(names, values, max_size=8))
def test_signature_matches_request_validator(token, params):
    url = "https://platform.example/twilio/status?x=1"
    signature = twilio_signature(token, url, params.items())
    assert RequestValidator(token).validate(url, params, signature)


def test_segment_edges():
    assert count_segments("") == 1
    assert count_segments("a" * 306) == 2
    assert count_segments("a" * 307) == 3
    assert count_segments("€" * 80) == 1  # GSM-7 extension characters count twice
    assert count_segments("€" * 81) == 2
    assert count_segments("😀" * 35) == 1  # UCS-2 counts UTF-16 units
    assert count_segments("😀" * 36) == 2
