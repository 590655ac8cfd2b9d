"""The OpenAPI document enumerates the problem codes a service answers, read from where they are
raised: nothing to keep in step by hand, and nothing computed that a client could not expect."""

import ast

from fastapi import APIRouter

from settle_kit.errors import NotFound
from settle_kit.problem_codes import _codes_in, codes_of
from settle_kit.service import create_service_app
from settle_kit.settings import ServiceSettings

SOURCE = '''
def find(id):
    raise NotFound("No such thing.", code="thing_not_found")

def refuse(error, kind):
    error.code = "method_not_allowed" if kind else "http_error"
    error.code = f"{kind}_unavailable"          # computed: not a code anyone can expect
    return Conflict("Taken.", code=kind)         # a variable: not a literal either
'''


def test_codes_are_read_where_they_are_raised_and_computed_ones_are_not():
    assert _codes_in(ast.parse(SOURCE)) == {"thing_not_found", "method_not_allowed", "http_error"}


def test_the_kit_answers_its_classes_codes_and_those_it_raises():
    kit = codes_of(["settle_kit"])
    assert {"validation_error", "not_found", "internal_error", "idempotency_key_reused", "invalid_token"} <= kit


router = APIRouter()


@router.get("/v1/things/{thing_id}")
async def thing(thing_id: str) -> dict:
    raise NotFound("No such thing.", code="thing_not_found")


def test_a_services_document_enumerates_its_codes():
    settings = ServiceSettings(service_name="svc", jwt_secret="x" * 40, database_url="postgresql+asyncpg://unused/none")
    app = create_service_app(settings, title="svc", routers=[router])
    code = app.openapi()["components"]["schemas"]["Problem"]["properties"]["code"]
    assert "validation_error" in code["enum"] and "idempotency_key_reused" in code["enum"]
