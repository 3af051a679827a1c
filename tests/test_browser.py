"""The kernel in a real browser: JupyterLab and Notebook 7 in headless Chromium.

A real `jupyter lab` / `jupyter notebook` server runs on loopback (see
browser.py) and playwright drives the system's Chromium through the pages a
user sees: the Launcher tile, the notebook's toolbar and status bar, cells run
from the keyboard, the Kernel menu.  The module the notebook imports is edited
on disk between runs, as a user's editor would, and no magic is ever typed.

Each step takes a screenshot (under pytest's tmp path); a failing step names
itself and that folder.  Chromium missing is a failure that says how to install
it, never a skip: CI installs it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from browser import CHROMIUM_HOW_TO, JupyterServer, Steps, chromium

try:
    from playwright.sync_api import expect
except ImportError as exc:  # a failure that says what to install, not a skip
    raise ImportError(f"playwright is not installed. {CHROMIUM_HOW_TO}") from exc

DISPLAY_NAME = "Python (autoreload)"
KERNELSPEC_DIR = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python-autoreload"
TIMEOUT_MS = 60_000  # kernel starts and first page loads on a busy 2-core box

pytestmark = pytest.mark.timeout(240)

MODULE = "shop"
CELL = f"import {MODULE}; print('price:', {MODULE}.price())"


def _module(body: str) -> str:
    return f"def price():\n    return {body}\n"


@pytest.fixture
def lab(tmp_path):
    with JupyterServer("lab", tmp_path / "lab") as server:
        yield server


@pytest.fixture
def notebook7(tmp_path):
    with JupyterServer("notebook", tmp_path / "nb7") as server:
        yield server


@pytest.fixture
def browser_context(tmp_path):
    with chromium(tmp_path / "chromium-profile") as context:
        context.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        yield context


class NotebookPage:
    """The one code cell of an open JupyterLab notebook, run from the keyboard."""

    def __init__(self, page):
        self.page = page
        self.panel = page.locator(".jp-NotebookPanel").first
        self.cell = self.panel.locator(".jp-CodeCell").first

    def type_cell(self, code: str) -> None:
        self.cell.locator(".cm-content").click()
        # insert_text types as a paste would: no auto-closed brackets or quotes
        self.page.keyboard.insert_text(code)
        expect(self.cell.locator(".cm-content")).to_have_text(code)

    def run(self, count: int) -> tuple[str, str]:
        """Run the cell in place (Ctrl+Enter); its stdout and stderr text."""
        self.cell.locator(".cm-content").click()
        self.page.keyboard.press("Control+Enter")
        expect(self.cell.locator(".jp-InputPrompt")).to_have_text(f"[{count}]:")
        return self._stream("stdout"), self._stream("stderr")

    def _stream(self, name: str) -> str:
        outputs = self.cell.locator(
            f'.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.{name}"]'
        )
        return "".join(outputs.nth(i).inner_text() for i in range(outputs.count()))

    def wait_idle(self) -> None:
        expect(self.page.locator("#jp-main-statusbar")).to_contain_text(f"{DISPLAY_NAME} | Idle")

    def watch_status(self) -> None:
        """Start recording every kernel status the status bar shows."""
        self.page.evaluate(_WATCH_STATUS)

    def wait_restarted(self) -> None:
        """The status bar went through a restart and is idle again."""
        self.page.wait_for_function(
            "idle => window.__kernelStatuses.some(s => /Restarting|Starting/.test(s))"
            " && document.querySelector('#jp-main-statusbar').innerText.includes(idle)",
            arg=f"{DISPLAY_NAME} | Idle",
        )


_WATCH_STATUS = """() => {
    const bar = document.querySelector('#jp-main-statusbar');
    window.__kernelStatuses = [];
    new MutationObserver(() => window.__kernelStatuses.push(bar.innerText))
        .observe(bar, {subtree: true, childList: true, characterData: true});
}"""


def _record_outside_requests(context, server) -> list:
    """Every request the pages make anywhere but this server (none expected)."""
    outside = []

    def check(request):
        if not request.url.startswith((server.base_url + "/", "data:", "blob:")):
            outside.append(request.url)

    context.on("request", check)
    return outside


def test_jupyterlab_launcher_edit_rerun_syntax_error_restart(browser_context, lab, tmp_path):
    outside = _record_outside_requests(browser_context, lab)
    page = browser_context.new_page()
    steps = Steps(page, tmp_path / "screenshots", lab)
    nb = NotebookPage(page)
    source = lab.root / f"{MODULE}.py"
    source.write_text(_module("10"))

    with steps("launcher shows the Python (autoreload) tile with its logo"):
        page.goto(lab.url("lab"))
        tile = page.locator(f'.jp-LauncherCard[data-category="Notebook"][title="{DISPLAY_NAME}"]')
        expect(tile).to_be_visible()
        expect(tile.locator(".jp-LauncherCard-label")).to_have_text(DISPLAY_NAME)
        logo = tile.locator("img.jp-Launcher-kernelIcon")
        # the tile is drawn at once with its image: no need to wait long for it
        expect(logo).to_have_attribute(
            "src", re.compile(r".*/kernelspecs/python-autoreload/logo-[\w.-]+$"), timeout=5000
        )
        src = logo.get_attribute("src")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=logo.element_handle())
        served = page.request.get(lab.base_url + src)
        assert served.ok, f"{src}: HTTP {served.status}"
        assert served.body() == (KERNELSPEC_DIR / src.rsplit("/", 1)[1]).read_bytes(), (
            f"{src} is not the kernelspec's logo"
        )

    with steps("the tile opens a notebook whose toolbar and status bar name the kernel"):
        tile.click()
        expect(nb.cell.locator(".cm-content")).to_be_visible()
        expect(nb.panel.locator(".jp-Toolbar-kernelName")).to_have_text(DISPLAY_NAME)
        nb.wait_idle()

    with steps("a cell imports a module from the root folder and prints a value"):
        nb.type_cell(CELL)
        out, err = nb.run(1)
        assert out.strip() == "price: 10", (out, err)
        assert err == ""

    with steps("the module is edited on disk; re-running shows the new value"):
        source.write_text(_module("20"))
        out, err = nb.run(2)
        assert out.strip() == "price: 20", (out, err)
        assert err == ""

    with steps("a syntax error: one message naming file and line; the old code runs"):
        source.write_text("def price(:\n    return 30\n")
        out, err = nb.run(3)
        assert out.strip() == "price: 20", (out, err)
        assert f"could not reload {MODULE} from {source}, line 1" in err, err
        assert "SyntaxError" in err, err

    with steps("re-running with the file still broken: the message is not repeated"):
        out, err = nb.run(4)
        assert out.strip() == "price: 20", (out, err)
        assert err == "", "the message about the broken file should show once"

    with steps("the fixed file is picked up"):
        source.write_text(_module("30"))
        out, err = nb.run(5)
        assert out.strip() == "price: 30", (out, err)
        assert err == ""

    with steps("Kernel -> Restart Kernel"):
        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
        page.locator('.lm-Menu-item[data-command="kernelmenu:restart"]').click()
        confirm = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
        expect(confirm).to_have_text("Restart")
        nb.watch_status()
        confirm.click()
        expect(page.locator(".jp-Dialog")).to_have_count(0)
        nb.wait_restarted()

    with steps("after the restart the kernel still reloads"):
        out, err = nb.run(1)  # a new kernel process counts from 1 again
        assert out.strip() == "price: 30", (out, err)
        source.write_text(_module("40"))
        out, err = nb.run(2)
        assert out.strip() == "price: 40", (out, err)
        assert err == ""
    assert outside == [], "JupyterLab reached beyond its server"


def test_notebook7_new_menu_offers_the_kernel(browser_context, notebook7, tmp_path):
    outside = _record_outside_requests(browser_context, notebook7)
    page = browser_context.new_page()
    steps = Steps(page, tmp_path / "screenshots", notebook7)

    with steps("the tree page's New menu lists Python (autoreload)"):
        # the menu is filled from /api/kernelspecs: open it once that answered
        with page.expect_response(lambda r: "/api/kernelspecs" in r.url and r.ok):
            page.goto(notebook7.url("tree"))
        new_menu = page.locator('[data-jp-item-name="new-dropdown"]')
        item = page.locator('.lm-Menu-item[data-command="notebook:create-new"]').filter(
            has=page.locator(".lm-Menu-itemLabel").get_by_text(DISPLAY_NAME, exact=True)
        )
        new_menu.click()
        expect(item).to_be_visible()

    with steps("choosing it opens a notebook on that kernel"):
        with browser_context.expect_page() as opened:
            item.click()
        nb_page = opened.value
        steps.page = nb_page
        expect(nb_page.locator(".jp-Toolbar-kernelName")).to_have_text(DISPLAY_NAME)
        expect(nb_page.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
            "data-status", "idle"
        )
    assert outside == [], "Notebook 7 reached beyond its server"
