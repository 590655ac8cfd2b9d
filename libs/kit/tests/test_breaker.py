"""The outside-call guard: a circuit breaker that opens on failures the caller names, and a
bulkhead that refuses calls past its limit at once; both refuse with 503 + Retry-After."""

from __future__ import annotations

import asyncio

import pytest

from settle_kit.breaker import OutsideService
from settle_kit.errors import ServiceUnavailable


def service(**options) -> OutsideService:
    return OutsideService("stripe", failure_threshold=2, reset_after_s=0.2, is_failure=lambda exc: isinstance(exc, TimeoutError), **options)


async def fail(guard: OutsideService, exc: Exception) -> None:
    with pytest.raises(type(exc)):
        async with guard.call():
            raise exc


async def test_the_circuit_opens_after_failures_in_a_row_and_lets_calls_through_again_after_its_reset():
    guard = service()
    await fail(guard, TimeoutError())
    await fail(guard, TimeoutError())
    called = False
    with pytest.raises(ServiceUnavailable) as refused:
        async with guard.call():
            called = True
    assert not called and refused.value.status == 503 and refused.value.code == "stripe_unavailable"
    assert refused.value.headers["Retry-After"] == "1"
    await asyncio.sleep(0.25)
    async with guard.call():
        called = True
    assert called and not await guard.is_open()


async def test_answers_that_are_not_failures_do_not_open_it():
    guard = service()
    for _ in range(5):
        await fail(guard, ValueError("a refused card is Stripe working"))
    await fail(guard, TimeoutError())
    async with guard.call():
        pass  # one timeout, then refusals and a success: never two failures in a row
    assert not await guard.is_open()


async def test_a_full_bulkhead_refuses_at_once_and_frees_its_slot_after_each_call():
    guard = service()
    requests = guard.bulkhead(limit=1)
    entered = asyncio.Event()
    release = asyncio.Event()

    async def slow_call() -> None:
        async with guard.call(requests):
            entered.set()
            await release.wait()

    holder = asyncio.create_task(slow_call())
    await entered.wait()
    with pytest.raises(ServiceUnavailable):
        async with guard.call(requests):
            pass
    async with guard.call():  # background work has no bulkhead
        pass
    release.set()
    await holder
    async with guard.call(requests):
        assert requests.in_flight == 1
    assert requests.in_flight == 0
