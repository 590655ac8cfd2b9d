"""Newest-first cursor pagination, as API.md states: `?limit=` (1–100, default 20) and
`?starting_after=<id>` -> `{"data": [...], "has_more": bool}`."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from settle_kit.errors import Unprocessable

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int = 20
    starting_after: str | None = None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="How many items, 1–100")] = 20,
    starting_after: Annotated[str | None, Query(max_length=64, description="Id of the last item of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, starting_after=starting_after)


Pagination = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    data: list[T]
    has_more: bool


async def paginate(session: AsyncSession, statement: Select, *, created_at: Any, id_: Any, params: PageParams) -> tuple[list, bool]:
    """Runs `statement` (of one entity, or of columns) newest first from the cursor; the cursor
    must be one of its own rows."""
    if params.starting_after is not None:
        cursor_query = statement.with_only_columns(created_at, id_).where(id_ == params.starting_after)
        cursor = (await session.execute(cursor_query)).first()
        if cursor is None:
            raise Unprocessable("starting_after is not an item of this list.", field="starting_after")
        statement = statement.where(tuple_(created_at, id_) < tuple_(cursor[0], cursor[1]))
    rows = (await session.execute(statement.order_by(created_at.desc(), id_.desc()).limit(params.limit + 1))).all()
    # An entity query gives the entity; a query of several columns gives each row as a mapping.
    items = [row[0] if len(row) == 1 else dict(row._mapping) for row in rows[: params.limit]]
    return items, len(rows) > params.limit
