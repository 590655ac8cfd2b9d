from typing import Annotated

from fastapi import APIRouter, Query

from settle_kit.auth import AdminPrincipal as Admin
from settle_kit.service import UoW

from bookings.metrics import service
from bookings.metrics.schemas import Metrics, Window

router = APIRouter(prefix="/v1/admin/metrics", tags=["metrics"])


@router.get("", response_model=Metrics)
async def get_metrics(uow: UoW, caller: Admin, window: Annotated[Window, Query()] = "24h"):
    return await service.metrics(uow, window)
