"""Newest-first cursor pagination against a real PostgreSQL: every row once, in order, across pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from settle_kit.db import Database
from settle_kit.errors import Unprocessable, install_problem_handlers
from settle_kit.models import TYPE_MAP, service_metadata
from settle_kit.pagination import Page, Pagination, PageParams, paginate

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = service_metadata()
    type_annotation_map = TYPE_MAP


class Item(Base):
    __tablename__ = "items"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    touched_at: Mapped[datetime | None]


class Tag(Base):
    __tablename__ = "tags"
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)


@pytest.fixture
async def db(database_factory):
    database = Database(await database_factory("pages"))
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()


async def insert(db: Database, items: list[Item], tags: list[Tag] = ()) -> None:
    async with db.sessions() as session:
        session.add_all(items)
        await session.flush()
        session.add_all(tags)
        await session.commit()


async def walk(db: Database, statement, limit: int, **columns) -> list[tuple[list[str], bool]]:
    pages, cursor = [], None
    async with db.sessions() as session:
        while True:
            rows, has_more = await paginate(session, statement, params=PageParams(limit=limit, starting_after=cursor), **columns)
            pages.append(([r.id for r in rows], has_more))
            if not has_more:
                return pages
            cursor = rows[-1].id


async def test_pages_cover_every_row_once_newest_first_even_with_equal_timestamps(db):
    # Three rows per instant: the id breaks ties, so no row is skipped or repeated at a page edge.
    items = [Item(id=f"it_{i:02d}", owner="ann", created_at=T0 + timedelta(seconds=i // 3)) for i in range(25)]
    await insert(db, items)
    pages = await walk(db, select(Item), 10, created_at=Item.created_at, id_=Item.id)
    assert [len(ids) for ids, _ in pages] == [10, 10, 5]
    assert [more for _, more in pages] == [True, True, False]
    expected = [i.id for i in sorted(items, key=lambda i: (i.created_at, i.id), reverse=True)]
    assert [id_ for ids, _ in pages for id_ in ids] == expected


async def test_an_exactly_full_page_has_no_more_and_an_empty_list_is_one_empty_page(db):
    await insert(db, [Item(id=f"it_{i}", owner="ann", created_at=T0 + timedelta(seconds=i)) for i in range(4)])
    assert await walk(db, select(Item), 4, created_at=Item.created_at, id_=Item.id) == [(["it_3", "it_2", "it_1", "it_0"], False)]
    assert await walk(db, select(Item).where(Item.owner == "nobody"), 4, created_at=Item.created_at, id_=Item.id) == [([], False)]


async def test_a_cursor_outside_the_list_is_refused_naming_the_field(db):
    await insert(db, [Item(id="mine", owner="ann", created_at=T0), Item(id="theirs", owner="bob", created_at=T0)])
    async with db.sessions() as session:
        for cursor in ("no_such_item", "theirs"):
            with pytest.raises(Unprocessable) as refused:
                await paginate(
                    session, select(Item).where(Item.owner == "ann"), created_at=Item.created_at, id_=Item.id,
                    params=PageParams(limit=5, starting_after=cursor),
                )
            assert refused.value.field == "starting_after"


async def test_an_expression_over_a_join_orders_the_pages(db):
    # As a list ordered by last activity: touched_at when set, else created_at; filtered through a join.
    items = [Item(id=f"it_{i}", owner="ann", created_at=T0 + timedelta(seconds=i)) for i in range(6)]
    items[0].touched_at = T0 + timedelta(hours=1)  # the oldest was active last
    tags = [Tag(item_id=i.id, name="red") for i in items if i.id != "it_5"]
    await insert(db, items, tags)
    statement = select(Item).join(Tag, Tag.item_id == Item.id).where(Tag.name == "red")
    activity = func.coalesce(Item.touched_at, Item.created_at)
    pages = await walk(db, statement, 2, created_at=activity, id_=Item.id)
    assert pages == [(["it_0", "it_4"], True), (["it_3", "it_2"], True), (["it_1"], False)]


def test_limit_is_1_to_100_and_defaults_to_20():
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things", response_model=Page[int])
    async def things(params: Pagination):
        return {"data": [params.limit], "has_more": params.starting_after is not None}

    client = TestClient(app)
    assert client.get("/things").json() == {"data": [20], "has_more": False}
    assert client.get("/things", params={"limit": 100, "starting_after": "x"}).json() == {"data": [100], "has_more": True}
    for bad in (0, 101, "ten"):
        refused = client.get("/things", params={"limit": bad})
        assert refused.status_code == 422
        assert [e["field"] for e in refused.json()["errors"]] == ["limit"]
