"""A real browser for the page tests and benchmarks: Debian's Chromium, headless, driven by Playwright for Python.

    with Browser() as browser:
        page = browser.new_page()
        page.goto(server.base + "/")
        screenshot(page, "test_editor_loads")    # var/screenshots/test_editor_loads.png
        assert axe(page) == []                   # serious and critical violations only
        assert foreign_requests(page) == []      # every request went to 127.0.0.1 (`requests(page)`: all of them)
        assert console_errors(page) == []        # no script error, no CSP violation

Playwright's own browser downloads are never used (`executable_path` is Debian's binary); axe-core is injected
from the npm package that `scripts/install.sh` installs (web/node_modules/axe-core/axe.min.js), which the app
does not serve.
"""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from .servers import ROOT

SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# Flags that let Debian's Chromium run headless in a container (no sandbox, no GPU) and keep it from calling
# home (no QUIC, no background networking, no component updates, no sync).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
SERIOUS = ("serious", "critical")
LOOPBACK = ("127.0.0.1",)
# What a page's own URLs may be besides http(s) on loopback: inline images and the page's own blobs.
LOCAL_SCHEMES = ("data", "blob", "about")


class BrowserMissing(RuntimeError):
    """Chromium, Playwright or axe-core is not installed; the message says how to install it."""


def chromium_path() -> str:
    """Debian's Chromium binary (CTKG_CHROMIUM overrides); BrowserMissing if there is none."""
    path = os.environ.get("CTKG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise BrowserMissing("Chromium is not installed: apt-get install chromium (bash .ci/run does)")
    return path


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        chromium_path()
        import playwright.sync_api  # noqa: F401
    except BrowserMissing as exc:
        return str(exc)
    except ImportError:
        return "Playwright for Python is not installed: pip install -e '.[test]'"
    if not AXE.is_file():
        return f"axe-core is not installed at {AXE}: bash scripts/install.sh (npm ci --prefix web)"
    return None


class Browser:
    """One headless Chromium, started on entry and closed on exit; each page in a fresh context (no cookies,
    cache or storage), recording the requests it made beyond 127.0.0.1 (refused) and its console errors."""

    def __init__(self, viewport: tuple[int, int] = (1280, 900)):
        self.viewport = {"width": viewport[0], "height": viewport[1]}

    def __enter__(self) -> "Browser":
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            # Playwright gives each launch a fresh --user-data-dir of its own and deletes it on close.
            self.browser = self._playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                            args=list(FLAGS))
        except BaseException:
            self._playwright.stop()
            raise
        return self

    def __exit__(self, *_) -> None:
        try:
            self.browser.close()
        finally:
            self._playwright.stop()

    def new_page(self, **context_options):
        """A page in a fresh context of its own (`page.context.close()` ends both); `context_options` go to
        Playwright's `new_context` (`accept_downloads=True`)."""
        context = self.browser.new_context(viewport=self.viewport, **context_options)
        page = context.new_page()
        page.ctkg_requests, page.ctkg_foreign, page.ctkg_console = [], [], []
        page.on("request", lambda request: page.ctkg_requests.append(request.url))

        def route(route) -> None:
            if _is_local(route.request.url):
                route.continue_()
            else:  # a test machine has no internet; a page that needs it is a bug, recorded and refused
                page.ctkg_foreign.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page.on("console", lambda message: page.ctkg_console.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: page.ctkg_console.append(str(error)))
        return page


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOOPBACK


def requests(page) -> list[str]:
    """The URLs of every request the page made (or tried to make) since it was opened, in order."""
    return list(page.ctkg_requests)


def foreign_requests(page) -> list[str]:
    """The URLs the page asked for beyond 127.0.0.1 (each was refused)."""
    return list(page.ctkg_foreign)


def console_errors(page) -> list[str]:
    """The page's console errors and uncaught exceptions so far (a CSP violation is one)."""
    return list(page.ctkg_console)


def screenshot(page, name: str) -> Path:
    """Save the whole page as var/screenshots/`name`.png (a test's name, its parameters made safe for a file
    name: `test_x[/docs]` is `test_x-docs`); returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def axe(page, impacts: tuple[str, ...] = SERIOUS) -> list[dict]:
    """Run axe-core on the page as it is now; its violations of the given impacts (serious and critical by
    default), each as {id, impact, help, nodes: [CSS selector, ...]}."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> tag would be
    # refused by script-src 'self', as it should be).
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": violation["id"], "impact": violation["impact"], "help": violation["help"],
             "nodes": [" ".join(map(str, node["target"])) for node in violation["nodes"]]}
            for violation in result["violations"] if violation["impact"] in impacts]
