"""A real Jupyter server and a real headless Chromium, for the browser tests.

`JupyterServer` starts `jupyter lab` or `jupyter notebook` on 127.0.0.1 with a
random port and token, in a temporary root folder, with its own config, data,
runtime and IPython directories so nothing of the user's setup leaks in, and
with every feature that would reach the network switched off.  `chromium()`
launches the system's Chromium through playwright (`playwright install` can't
download browsers here).  `Steps` names each step of a walk through the UI,
takes a screenshot after it, and on a failure says which step failed and
where the screenshots are.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent

CHROMIUM_HOW_TO = (
    "The browser tests need Chromium and playwright: as root, "
    "`apt-get install -y chromium` (Debian's package, /usr/bin/chromium), and "
    '`pip install ".[test]"` for playwright.  `playwright install` is not '
    "needed: the tests launch the system Chromium.  Set CHROMIUM=/path/to/chromium "
    "to use another build."
)

# No first-run UI, no background traffic; DNS resolves nothing but loopback,
# so a page that tried to reach the internet would fail instead of hanging.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_path() -> str:
    """The Chromium binary to drive, or a failure that says how to get one."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"no Chromium at {path}. {CHROMIUM_HOW_TO}")
    return path


@contextlib.contextmanager
def chromium(user_data_dir: Path):
    """A fresh headless Chromium profile; yields a playwright BrowserContext."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError(f"playwright is not installed. {CHROMIUM_HOW_TO}") from exc
    executable = chromium_path()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Server-side switches that keep JupyterLab off the network: no news feed, no
# update check, and an extension manager that never asks PyPI.
_SERVER_CONFIG = {
    "ServerApp": {"open_browser": False},
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        "extension_manager": "readonly",
    },
}
# And the same answer in the user settings, so no "fetch news?" toast covers
# the page.
_NOTIFICATION_SETTINGS = {"fetchNews": "false", "checkForUpdates": False}


class PortTaken(RuntimeError):
    """The random port was taken between choosing it and the server binding it."""


# Loopback needs no proxy, whatever http_proxy says.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class JupyterServer:
    """`jupyter <app>` serving `root` on loopback; a context manager."""

    def __init__(self, app: str, home: Path, start_timeout: float = 90):
        self.app = app
        self.home = Path(home)
        self.root = self.home / "root"
        self.token = secrets.token_hex(24)
        self.port = _free_port()
        self.start_timeout = start_timeout
        self.log_path = self.home / f"jupyter-{app}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def env(self) -> dict:
        """Jupyter and IPython look only in this server's own temp folders."""
        env = dict(os.environ)
        for key in ("PYTHONPATH", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN",
                    "JUPYTER_NO_CONFIG"):
            env.pop(key, None)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_DATA_DIR=str(self.home / "data"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            IPYTHONDIR=str(self.home / "ipython"),
            PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
        )
        return env

    def _write_config(self) -> None:
        config = self.home / "config"
        settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps(_NOTIFICATION_SETTINGS)
        )
        (config / "jupyter_server_config.json").write_text(json.dumps(_SERVER_CONFIG))
        for name in ("data", "runtime", "ipython"):
            (self.home / name).mkdir()

    def start(self) -> "JupyterServer":
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_config()
        for _ in range(3):
            try:
                self._launch()
                return self
            except PortTaken:
                self.port = _free_port()  # someone took it since we looked
        raise RuntimeError(f"jupyter {self.app} found no free port:\n{self.log_tail()}")

    def _launch(self) -> None:
        cmd = [
            str(BIN / "jupyter"),
            self.app,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # __exit__ won't run when __enter__ raised
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                log = self.log_tail()
                if f"port {self.port} is not available" in log:
                    raise PortTaken(self.port)
                raise RuntimeError(f"jupyter {self.app} exited early:\n{log}")
            try:
                with _DIRECT.open(self.url("api/status"), timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter {self.app} did not answer:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self.proc = None

    def __enter__(self) -> "JupyterServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Steps:
    """Named steps of a walk through the UI, each followed by a screenshot.

    The screenshots go to `folder`; when a step fails, the failure names the
    step, the folder and the end of the server's log.
    """

    def __init__(self, page, folder: Path, server: JupyterServer | None = None):
        self.page = page
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.server = server
        self.count = 0

    def _shot(self, name: str) -> None:
        with contextlib.suppress(Exception):
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
            self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{slug}.png"))

    @contextlib.contextmanager
    def __call__(self, name: str):
        self.count += 1
        try:
            yield
        except Exception as exc:
            self._shot(name + "-FAILED")
            log = self.server.log_tail() if self.server else ""
            raise AssertionError(
                f"browser step {self.count} ({name!r}) failed: {exc}\n"
                f"screenshots of every step: {self.folder}\n"
                f"end of the server log:\n{log}"
            ) from exc
        self._shot(name)

