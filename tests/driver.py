"""Drive a real kernel over ZMQ with jupyter_client, the way a frontend does."""

from __future__ import annotations

import ast
import os
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

KERNEL_NAME = "python-autoreload"
#: Set by benchmarks/mutate.py to a directory holding a deliberately broken copy
#: of the package; kernels started here import that copy.
MUTANT_ENV = "AUTORELOAD_KERNEL_MUTANT"


@dataclass
class Result:
    """What one execute request produced."""

    reply: dict
    stdout: str = ""
    stderr: str = ""
    outputs: list = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def error(self) -> str:
        """`ename: evalue` of a failed cell, or '' for a cell that ran."""
        c = self.reply["content"]
        return "" if c["status"] == "ok" else f"{c.get('ename')}: {c.get('evalue')}"

    @property
    def traceback(self) -> str:
        return "\n".join(self.reply["content"].get("traceback", []))

    @property
    def text(self) -> str:
        """stdout plus the text/plain of execute results, in order."""
        parts = []
        for msg_type, content in self.outputs:
            if msg_type == "stream" and content["name"] == "stdout":
                parts.append(content["text"])
            elif msg_type == "execute_result":
                parts.append(content["data"].get("text/plain", "") + "\n")
        return "".join(parts)


class KernelDriver:
    """One running kernel in its own working directory."""

    def __init__(self, workdir: Path, kernel_name: str = KERNEL_NAME, env: dict | None = None,
                 kernel_dirs: list[str] | None = None):
        self.workdir = Path(workdir)
        self.kernel_name = kernel_name
        self.env = env
        #: extra kernelspec directories to look in first (a spec made by a test)
        self.kernel_dirs = kernel_dirs
        self.km: KernelManager | None = None
        self.kc = None

    # -- life cycle -------------------------------------------------------
    def start(self, **launch) -> "KernelDriver":
        """Start the kernel; ``launch`` goes to ``start_kernel`` (e.g. transport_encryption)."""
        kwargs = {}
        if self.kernel_dirs:
            kwargs["kernel_spec_manager"] = KernelSpecManager(
                kernel_dirs=self.kernel_dirs + KernelSpecManager().kernel_dirs)
        self.km = KernelManager(kernel_name=self.kernel_name, **kwargs)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if os.environ.get(MUTANT_ENV):  # benchmarks/mutate.py: a broken copy of the package
            env["PYTHONPATH"] = os.environ[MUTANT_ENV]
        if self.env:
            env.update(self.env)
        self.km.start_kernel(cwd=str(self.workdir), env=env, **launch)
        self._connect()
        return self

    def _connect(self) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def restart(self) -> None:
        self.kc.stop_channels()
        self.km.restart_kernel(now=True)
        self._connect()

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)

    # -- requests ---------------------------------------------------------
    def execute(self, code: str, timeout: float = 60, **kwargs) -> Result:
        outputs: list = []

        def hook(msg):
            if msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
                outputs.append((msg["msg_type"], msg["content"]))

        reply = self.kc.execute_interactive(
            textwrap.dedent(code), timeout=timeout, output_hook=hook, **kwargs
        )
        res = Result(reply=reply, outputs=outputs)
        res.stdout = "".join(
            c["text"] for t, c in outputs if t == "stream" and c["name"] == "stdout"
        )
        res.stderr = "".join(
            c["text"] for t, c in outputs if t == "stream" and c["name"] == "stderr"
        )
        return res

    def value(self, expr: str):
        """Evaluate one expression in the kernel and return its repr() as a string."""
        res = self.execute(f"print(repr({expr}))")
        assert res.ok, f"{expr!r} failed: {res.error}\n{res.traceback}"
        return res.stdout.strip()

    def complete(self, code: str, cursor_pos: int | None = None) -> dict:
        msg_id = self.kc.complete(code, len(code) if cursor_pos is None else cursor_pos)
        return self._reply(msg_id)["content"]

    def inspect(self, code: str, cursor_pos: int | None = None, detail_level: int = 0) -> dict:
        msg_id = self.kc.inspect(code, len(code) if cursor_pos is None else cursor_pos, detail_level)
        return self._reply(msg_id)["content"]

    def _reply(self, msg_id: str, timeout: float = 30) -> dict:
        while True:
            msg = self.kc.get_shell_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    # -- files, as an editor would save them --------------------------------
    def write(self, relpath: str, text: str) -> Path:
        path = self.workdir / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path


# -- shared steps -------------------------------------------------------------------------
def run(kernel: KernelDriver, code: str) -> Result:
    """Run a cell that must succeed; return its Result."""
    res = kernel.execute(code)
    assert res.ok, f"cell failed: {code!r}\n{res.error}\n{res.traceback}\nstderr: {res.stderr}"
    return res


def settle(kernel: KernelDriver, *relpaths) -> None:
    """Age files (mtime in the past) and let a cell see them, so that later
    edits can only be noticed through the watcher (or a stat poll), not because
    the files are too fresh to trust."""
    past = time.time() - 100
    for rel in relpaths:
        os.utime(kernel.workdir / rel, (past, past))
    run(kernel, "pass")


def ev(kernel: KernelDriver, expr: str):
    """The value of `expr` in the kernel (it must be a literal: int, str, tuple...)."""
    return ast.literal_eval(kernel.value(expr))


def iopub_text(kc, msg_id: str, timeout: float = 30) -> tuple[str, str]:
    """(stdout, stderr) of one request, read from iopub up to its idle status."""
    out, err = [], []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no idle status"
        msg = kc.get_iopub_msg(timeout=remaining)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            (out if msg["content"]["name"] == "stdout" else err).append(msg["content"]["text"])
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out), "".join(err)


# -- a module `modname` whose f() returns a value
def write_f_and_import(k: KernelDriver, modname: str, value) -> None:
    """Save `modname` with f() returning `value`, import it, and check f() printed it."""
    k.write(f"{modname}.py", f"def f():\n    return {value!r}\n")
    res = k.execute(f"import {modname}; print({modname}.f())")
    assert res.ok, res.traceback
    assert res.stdout == f"{value}\n"


def write_f_and_call(k: KernelDriver, modname: str, value) -> Result:
    """Save `modname` with f() now returning `value`; return the Result of the next
    cell, which prints f() (it must run: what it printed is for the caller to check)."""
    k.write(f"{modname}.py", f"def f():\n    return {value!r}\n")
    res = k.execute(f"print({modname}.f())")
    assert res.ok, res.traceback
    return res


def kernel_with_config(tmp_path: Path, config: str) -> KernelDriver:
    """A started kernel whose IPython profile holds ``config``.

    ipykernel reads ``ipython_kernel_config.py`` from the IPython profile
    (``$IPYTHONDIR/profile_default``), not from ``JUPYTER_CONFIG_DIR``.
    """
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(config)
    work = tmp_path / "work"
    work.mkdir()
    return KernelDriver(work, env={"IPYTHONDIR": str(tmp_path / "ipython")}).start()
