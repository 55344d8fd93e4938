"""The API does what its OpenAPI document says: schemathesis generates requests from
/api/openapi.json (valid ones and deliberately broken ones) and sends them to the live
test server, over real HTTP, against a database holding the Maduro scenario.

Every answer must be a non-5xx status the document lists for the operation, with the
content type and the body schema it declares. Bad parameters must be refused (4xx).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from statements.models import Statement
from tests.scenarios import build_maduro_scenario

# What the issue asks: no server error and no answer that breaks the schema. Not
# positive_data_acceptance: a well-formed slug of no existing tag is rightly a 400.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture
def api_schema(live_server, transactional_db):
    build_maduro_scenario()
    return schemathesis.openapi.from_url(live_server.url + "/api/openapi.json")


def existing_records() -> dict[str, dict]:
    """Path values of real records: random slugs mostly find nothing (a 404), so each
    detail operation is also fuzzed on its query string against a real record."""
    statement = Statement.objects.order_by("pk").first()
    return {
        "GET /api/events/{slug}/": {"slug": "maduro-capture-2026"},
        "GET /api/events/{slug}/timeline.json": {"slug": "maduro-capture-2026"},
        "GET /api/actors/{slug}/": {"slug": "vladimir-putin"},
        "GET /api/statements/{pk}/": {"pk": statement.pk},
    }


EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "30"))


def fuzz(operation, mode, path_parameters=None) -> int:
    """Send schemathesis' requests for one operation; the number sent."""
    sent = 0

    # Bounded (API_FUZZ_EXAMPLES per run) so that the whole test stays under a minute.
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        nonlocal sent
        sent += 1
        case.call_and_validate(checks=CHECKS)

    check()
    return sent


def test_the_api_answers_as_its_openapi_document_says(api_schema):
    # schemathesis' own pytest loader (from_fixture) does not run on pytest 9, so each
    # operation gets its own hypothesis run; a failure names the operation and the
    # smallest request that breaks it.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 7
    sent = {f"{op.label} {mode.value}": fuzz(op, mode) for op in operations
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)}
    for op in operations:
        if (known := existing_records().get(op.label)) is not None:
            sent[f"{op.label} on a real record"] = fuzz(op, GenerationMode.POSITIVE, known)
    # Every operation was really exercised both ways.
    assert all(count > 0 for count in sent.values()), sent
    print(f"schemathesis: {sum(sent.values())} requests over {len(sent)} runs:", sent)
