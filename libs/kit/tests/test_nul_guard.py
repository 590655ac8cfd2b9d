"""Text holding NUL (which PostgreSQL cannot store) is refused as a 422 naming the field, before
any handler runs; everything else reaches the handler as sent."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel

from settle_kit.service import create_service_app
from settle_kit.settings import ServiceSettings

router = APIRouter()
handled: list[object] = []


class Customer(BaseModel):
    name: str
    tags: list[str] = []


class Invoice(BaseModel):
    description: str
    customer: Customer


@router.post("/v1/invoices")
async def create(invoice: Invoice) -> dict:
    handled.append(invoice)
    return invoice.model_dump()


@router.get("/v1/search/{term}")
async def search(term: str, q: str = "") -> dict:
    handled.append((term, q))
    return {"term": term, "q": q}


@router.post("/v1/files")
async def upload(file: UploadFile) -> dict:
    return {"size": len(await file.read())}


def client() -> TestClient:
    settings = ServiceSettings(service_name="svc", jwt_secret="x" * 40, database_url="postgresql+asyncpg://unused/none")
    return TestClient(create_service_app(settings, title="svc", routers=[router]))


def test_nul_in_a_json_field_is_a_422_naming_its_path_and_nothing_runs():
    handled.clear()
    answer = client().post("/v1/invoices", json={"description": "ok", "customer": {"name": "Ann", "tags": ["a", "b\x00"]}})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "customer.tags.1"
    assert answer.json()["code"] == "validation_error"
    assert handled == []


def test_nul_in_a_query_or_path_parameter_is_a_422_naming_it():
    handled.clear()
    answer = client().get("/v1/search/fine", params={"q": "a\x00b"})
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "q")
    answer = client().get("/v1/search/bad%00term")
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "path")
    assert handled == []


def test_everything_else_reaches_the_handler_as_sent():
    handled.clear()
    body = {"description": "a literal \\u0000 is only text", "customer": {"name": "Zoë"}}
    answer = client().post("/v1/invoices", json=body)
    assert answer.status_code == 200 and answer.json()["description"] == body["description"]
    assert client().get("/v1/search/fine", params={"q": "100%"}).json() == {"term": "fine", "q": "100%"}
    # Files are bytes, NUL included.
    assert client().post("/v1/files", files={"file": ("a.bin", b"\x00\x01\x00", "application/octet-stream")}).json() == {"size": 3}
