"""Fixtures for the page tests: all of data/ built once per session, one real `ctkg serve` on 127.0.0.1 per
test module, and Debian's Chromium driving it headless (tests/support/browser.py).

    def test_something(site):
        server, open_page = site
        page = open_page("/landscape")          # a fresh context, navigated and loaded
        screenshot(page, "test_something")

Without Chromium, Playwright or axe-core the tests are skipped, saying what is missing; where they must run
(CTKG_REQUIRE_BROWSER=1, which .ci/run exports, or CI=true) that is a failure instead: CI installs them.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from api.settings import Settings
from kg.build import build
from tests.support.browser import Browser, missing
from tests.support.servers import CtkgServer

ROOT = Path(__file__).resolve().parents[2]


def browser_required() -> bool:
    """Whether a missing browser fails the page tests rather than skipping them: the project's own variable,
    set by .ci/run, or the CI=true that most CI services set."""
    return os.environ.get("CTKG_REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session."""
    reason = missing()
    if reason:
        if browser_required():
            pytest.fail(f"the browser tests must run here (CTKG_REQUIRE_BROWSER=1 or CI=true): {reason}")
        pytest.skip(f"no browser here: {reason}")
    with Browser() as running:
        yield running


@pytest.fixture(scope="session")
def built_store(tmp_path_factory) -> Path:
    """All of data/ built into a fresh store; returns the store's folder."""
    store = tmp_path_factory.mktemp("pages") / "store"
    build(Settings(ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes", data_dir=ROOT / "data",
                   store_dir=store))
    return store


@pytest.fixture(scope="module")
def site(browser, built_store, tmp_path_factory) -> Iterator[tuple[CtkgServer, Callable]]:
    """(the server, `open_page(path)`): `ctkg serve` on the built store for this module, and a function that
    opens `path` of it in a fresh browser context and returns the loaded page. Every context is closed after
    the module."""
    pages = []
    with CtkgServer(built_store, tmp_path_factory.mktemp("pages-server") / "server.log") as server:
        def open_page(path: str = "/", **context_options):
            page = browser.new_page(**context_options)
            pages.append(page)
            page.goto(server.base + path, wait_until="load")
            return page

        try:
            yield server, open_page
        finally:
            for page in pages:
                page.context.close()
