"""/docs works without internet: Swagger UI comes from the server's own files, and the document is at
/openapi.json as well as /api/v1/openapi.json, describing the live floor's socket too."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from server.app import create_app
from server.config import Settings
from server.core.docs import STATIC_DIR, SWAGGER_UI


@pytest.fixture
def docs_client(tmp_path: Path) -> Iterator[TestClient]:
    # No lifespan: the docs need neither the database nor the recommender.
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
        _env_file=None,  # type: ignore[call-arg]
    )
    yield TestClient(create_app(settings))


class _Assets(HTMLParser):
    """Every URL a page loads by itself: <script src>, <link href>, <img src>."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def test_docs_load_only_local_assets(docs_client: TestClient) -> None:
    page = docs_client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "swagger" in page.text.lower()
    parser = _Assets()
    parser.feed(page.text)
    assert len(parser.urls) >= 3  # the script, the style sheet, the icon
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"/docs loads {url} from another host"
        asset = docs_client.get(url)
        assert asset.status_code == 200, f"{url} answered {asset.status_code}"
        assert asset.content, f"{url} is empty"
    # The page fetches the document from this server too.
    assert "'/api/v1/openapi.json'" in page.text or '"/api/v1/openapi.json"' in page.text


def test_docs_need_no_sign_in_and_redoc_is_off(docs_client: TestClient) -> None:
    for url in ("/docs", "/openapi.json", "/api/v1/openapi.json", f"/static/{SWAGGER_UI}/swagger-ui.css"):
        assert docs_client.get(url).status_code == 200, url
    assert docs_client.get("/redoc").status_code == 404


def test_the_document_is_at_both_urls(docs_client: TestClient) -> None:
    short = docs_client.get("/openapi.json")
    long = docs_client.get("/api/v1/openapi.json")
    assert short.status_code == long.status_code == 200
    assert short.json() == long.json()
    assert "/api/v1/health" in short.json()["paths"]
    # The docs' own routes stay out of the document.
    assert not {"/docs", "/openapi.json"} & set(short.json()["paths"])


def test_the_description_lists_the_floor_socket_protocol(docs_client: TestClient) -> None:
    description = docs_client.get("/openapi.json").json()["info"]["description"]
    assert "/api/v1/ws/floor" in description
    for fact in ("bearer.<JWT>", '"aisle.v1"', '"type": "auth"', "since=", "`event`", "`chat`", "`error`"):
        assert fact in description, fact
    for fact in ('"type": "leave"', "4401", "4403", "4404"):
        assert fact in description, fact


def test_the_vendored_copy_keeps_its_licence() -> None:
    folder = STATIC_DIR / SWAGGER_UI
    assert (folder / "LICENSE").is_file() and (folder / "NOTICE").is_file()
    assert "Apache License" in (folder / "LICENSE").read_text()
