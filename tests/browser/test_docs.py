"""/docs (Swagger UI) and /redoc in a real browser, on a machine whose pages may reach nothing but the app: they
render the API's operations from the app's own assets, and every request they make goes to 127.0.0.1."""

from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.browser import console_errors, foreign_requests, requests, screenshot


@pytest.mark.parametrize("path, operation", [("/docs", ".opblock"), ("/redoc", "[data-section-id^='operation/']")],
                         ids=["swagger-ui", "redoc"])
def test_the_api_docs_render_offline(site, request, path, operation):
    server, open_page = site
    page = open_page(path)
    page.wait_for_selector(operation)
    operations = sum(len(methods) for methods in httpx.get(server.base + "/openapi.json").json()["paths"].values())
    assert page.locator(operation).count() >= min(operations, 10)
    assert "/sparql" in page.inner_text("body")
    screenshot(page, request.node.name)
    assert foreign_requests(page) == []
    hosts = {urlsplit(url).hostname for url in requests(page) if urlsplit(url).scheme in ("http", "https")}
    assert hosts == {"127.0.0.1"}, requests(page)
    assert console_errors(page) == []  # no CSP violation either
