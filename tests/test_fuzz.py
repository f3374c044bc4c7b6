"""The whole OpenAPI fuzzed with schemathesis: no input may cause a 5xx, and every answer
matches what /openapi.json documents (status, media type, schema). Bounded: a few dozen
generated cases per operation, derandomized so a failure reproduces."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_schema(make_client):
    with make_client() as c:       # runs the lifespan: the SPARQL workers and caches exist
        yield schemathesis.openapi.from_asgi("/openapi.json", c.app)


def test_no_input_causes_a_server_error_or_an_undocumented_answer(fuzz_schema):
    failures: list[str] = []
    calls = 0
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure, report all
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert calls >= 100, calls
    assert not failures, f"{len(failures)} operation(s) failed after {calls} calls:\n" + "\n\n".join(failures)
