"""The SDK's async methods through the async adapter."""

from __future__ import annotations

import asyncio

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from twilio_sim.client import async_base_url_http_client


@pytest.mark.asyncio
# aiohttp deprecates the BasicAuth the SDK still passes; not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_create_and_fetch_async(sim_url, account_sid):
    http_client = async_base_url_http_client(sim_url)
    try:
        client = Client(account_sid, "token", http_client=http_client)
        message = await client.messages.create_async(to="+14155550100", from_="+15005550006", body="async")
        assert message.status == "queued"

        with pytest.raises(TwilioRestException) as caught:
            await client.messages.create_async(to="+15005550004", from_="+15005550006", body="x")
        assert caught.value.code == 21610

        for _ in range(200):
            fetched = await client.messages(message.sid).fetch_async()
            if fetched.status == "delivered":
                break
            await asyncio.sleep(0.02)
        assert fetched.status == "delivered"
    finally:
        await http_client.close()
