"""Poison messages and a dropped broker connection."""

from __future__ import annotations

import asyncio

import aio_pika
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bus_fixtures import Pinged, counts, emit, recording, settings_for, start_bus, wait_for
from settle_kit.bus.messages import ATTEMPT_HEADER
from settle_kit.bus.schema import dead_letters
from settle_kit.db import Database
from settle_testing.proxy import TcpProxy




async def test_a_poison_message_is_dead_lettered_after_bounded_retries_without_blocking_the_rest(world):
    alpha_db, beta_db, ns = world
    calls: list[int] = []
    handler = recording(fail_when=lambda n: n == 13, calls=calls)
    beta = await start_bus(settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: handler})
    alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
    try:
        await emit(alpha_db, 13)
        await emit(alpha_db, *range(14, 21))
        await wait_for(lambda: _all_present(beta_db, range(14, 21)))
        await wait_for(lambda: _kept(beta_db, 1))
        attempts = 1 + len(ns.retry_delays_ms)  # first try + one per retry delay
        # Within one attempt a failed batch is replayed message by message: at most two calls.
        assert attempts <= calls.count(13) <= 2 * attempts
        assert await counts(beta_db) == {n: 1 for n in range(14, 21)}

        # Kept for operators (settle_kit.bus.dead_letters), off the dead queue.
        [dead] = await _dead_letters(beta_db)
        assert dead.headers[ATTEMPT_HEADER] == attempts and dead.error == "RuntimeError('poison 13')"
        assert b'"n":13' in dead.body and dead.type == Pinged.event_type
        assert await ns.queue_depth(ns.topology.dead_queue("beta")) == 0
    finally:
        await alpha.stop()
        await beta.stop()


async def test_an_undecodable_message_goes_straight_to_the_dead_letter_queue(world):
    _alpha_db, beta_db, ns = world
    calls: list[int] = []
    beta = await start_bus(
        settings_for("beta", beta_db.url, ns, run_relay=False), beta_db, {Pinged: recording(calls=calls)}
    )
    try:
        connection = await aio_pika.connect(ns.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(ns.topology.events_exchange)
            await exchange.publish(aio_pika.Message(b"not json"), routing_key=Pinged.event_type)
        await wait_for(lambda: _kept(beta_db, 1))
        assert calls == []
        [dead] = await _dead_letters(beta_db)
        assert dead.body == b"not json" and "Invalid JSON" in dead.error
    finally:
        await beta.stop()


async def test_a_dropped_broker_connection_is_reestablished_and_consumption_continues(world):
    alpha_db, beta_db, ns = world
    host_port = ns.amqp_url.rsplit("@", 1)[1].split("/")[0]
    host, port = host_port.split(":")
    with TcpProxy(host, int(port)) as proxy:
        via_proxy = ns.amqp_url.replace(host_port, f"127.0.0.1:{proxy.port}")
        beta = await start_bus(
            settings_for("beta", beta_db.url, ns, run_relay=False, amqp_url=via_proxy), beta_db, {Pinged: recording()}
        )
        alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
        try:
            await emit(alpha_db, 1)
            await wait_for(lambda: _all_present(beta_db, [1]))

            proxy.drop_connections()
            await wait_for(lambda: _reconnected(beta), timeout=30)
            await emit(alpha_db, 2)
            await wait_for(lambda: _all_present(beta_db, [2]), timeout=30)
            assert beta.connected
            assert await counts(beta_db) == {1: 1, 2: 1}
        finally:
            await alpha.stop()
            await beta.stop()


async def _reconnected(bus) -> bool:
    return bus.reconnects >= 1 and bus.connected


async def _all_present(db, ns_) -> bool:
    present = await counts(db)
    return all(n in present for n in ns_)


async def _dead_letters(db) -> list:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(dead_letters))).all()


async def _kept(db, expected: int) -> bool:
    return len(await _dead_letters(db)) == expected


async def test_an_outage_of_the_consumers_own_database_dead_letters_nothing(world):
    """Longer than every retry delay: the messages wait for the database instead of using up
    their retries, and each has its effect once when it answers again."""
    alpha_db, beta_db, ns = world
    direct = make_url(beta_db.url)
    with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
        proxied = Database(direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
        beta = await start_bus(settings_for("beta", proxied.url, ns, run_relay=False), proxied, {Pinged: recording()})
        alpha = await start_bus(settings_for("alpha", alpha_db.url, ns, run_consumer=False), alpha_db)
        try:
            proxy.refuse()
            await emit(alpha_db, 1, 2, 3)
            await asyncio.sleep(2 * sum(ns.retry_delays_ms) / 1000 + 1)
            assert await ns.queue_depth(ns.topology.dead_queue("beta")) == 0
            proxy.accept()
            await wait_for(lambda: _all_present(beta_db, [1, 2, 3]), timeout=30)
            assert await counts(beta_db) == {1: 1, 2: 1, 3: 1}
            assert await ns.queue_depth(ns.topology.dead_queue("beta")) == 0
            assert await _dead_letters(beta_db) == []
        finally:
            await alpha.stop()
            await beta.stop()
            await proxied.dispose()
