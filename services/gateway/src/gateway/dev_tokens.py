"""`POST /v1/dev/tokens`: mints a token for trying the API locally. 404 in production."""

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict

from settle_kit.auth import Role, mint_token
from settle_kit.errors import NotFound
from settle_kit.openapi import problems
from settle_kit.schemas import UserId

router = APIRouter(tags=["development"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserId
    role: Role = "user"


class TokenOut(BaseModel):
    token: str
    expires_at: datetime


@router.post("/v1/dev/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenOut, responses=problems(404))
async def create_dev_token(body: TokenRequest, request: Request) -> TokenOut:
    settings = request.app.state.settings
    await request.app.state.rate_limits.check_address(request.client.host if request.client else "unknown")
    if not settings.is_development:
        raise NotFound("Not found.")
    token, expires_at = mint_token(settings.jwt_secret.get_secret_value(), body.user_id, body.role)
    return TokenOut(token=token, expires_at=expires_at)
