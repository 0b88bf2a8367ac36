"""Every endpoint in the OpenAPI document, except health and sign-in, refuses a caller without a token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

OPEN = {("get", "/api/v1/health"), ("get", "/api/v1/health/ready"), ("post", "/api/v1/auth/token")}
# Called by members (a signed unsubscribe link) and providers (their signature or the shared secret):
# no staff token, but nothing without the signature either.
SIGNED = re.compile(r"^/api/v1/messaging/(unsubscribe|webhooks)/")
# The member's own page signs members in with its own cookie after a texted code; its forms need their
# CSRF token (403 without), the member's QR a member session (401), and store "1" does not exist (404).
MEMBER_PAGE = re.compile(r"^/m/")


def test_every_endpoint_but_health_and_sign_in_needs_a_token(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method in operations:
            if (method, path) in OPEN:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = client.request(method.upper(), url, json={})
            if MEMBER_PAGE.match(path):
                assert response.status_code in (401, 403, 404), f"{method.upper()} {path} answered {response}"
                continue
            if SIGNED.match(path):
                assert response.status_code in (401, 404, 422), f"{method.upper()} {path} answered {response}"
                continue
            assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
            checked += 1
    assert checked >= 14  # the endpoints of this change; more appear as domains are added


def test_open_endpoints_are_documented(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/auth/token"] and "get" in paths["/api/v1/health"]
