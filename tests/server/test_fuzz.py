"""Every operation in the OpenAPI document, fuzzed by schemathesis as a clerk: valid and invalid requests
never get a 5xx, and every answer is one the document declares (tests/server/fuzzing.py). One role per
file, so the two runs share the CI's workers.
"""

from __future__ import annotations

from typing import Any

from tests.server.fuzzing import Fuzzed, api_schema, fuzz, fuzzed  # noqa: F401 - the fixtures


def test_as_a_clerk_no_operation_answers_5xx_or_off_schema(api_schema: Any, fuzzed: Fuzzed) -> None:  # noqa: F811
    problems = fuzz(api_schema, fuzzed, "clerk")
    assert not problems, "\n\n".join(problems)
