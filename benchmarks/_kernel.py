"""A thin, timing-oriented wrapper around a real Jupyter kernel (jupyter_client)."""

from __future__ import annotations

import ast
import os
import subprocess
from queue import Empty
from time import perf_counter, process_time, time

from jupyter_client import KernelManager


class KernelError(RuntimeError):
    """The kernel died, timed out, or a setup cell failed."""


class Kernel:
    """One running kernel plus a blocking client.

    ``execute`` returns the client-side round trip: from just before the
    execute_request is sent until the matching execute_reply is received on the
    shell channel (``time.perf_counter``).  It then drains iopub until the kernel
    reports idle for that request, outside the timed window.
    """

    def __init__(self, kernel_name: str, cwd: str, env: dict, log_path: str):
        self.kernel_name = kernel_name
        self.cwd = cwd
        self.env = env
        self.log_path = log_path
        self.km: KernelManager | None = None
        self.kc = None
        self._log = None
        self.stopped = "not stopped"
        #: the last execute's legs, from the messages' own timestamps (one clock:
        #: the same machine): (request sent, kernel busy, reply made, reply
        #: received), seconds since the epoch, and this process's CPU seconds
        #: spent while the request was out
        self.legs: tuple = ()

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 120.0) -> None:
        self._log = open(self.log_path, "ab")
        self.km = KernelManager(kernel_name=self.kernel_name)
        try:
            self.km.start_kernel(
                cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
            )
            self.kc = self.km.client()
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=timeout)
        except Exception as err:  # noqa: BLE001
            raise KernelError(f"kernel {self.kernel_name!r} failed to start: {err!r}\n{self.log_tail()}") from err
        # wait_for_ready leaves kernel_info replies / status messages behind
        self._drain(self.kc.iopub_channel)
        self._drain(self.kc.shell_channel)

    def shutdown(self) -> None:
        """Ask the kernel to shut down; ``self.stopped`` says how it went: "clean",
        or which signal jupyter_client had to send when it did not exit in time."""
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km is not None and self.km.has_kernel:
                self.km.shutdown_kernel(now=False)
                forced = getattr(getattr(self.km, "_shutdown_status", None), "name", "")
                self.stopped = {"SigtermRequest": "needed SIGTERM",
                                "SigkillRequest": "needed SIGKILL"}.get(forced, "clean")
        except Exception as err:  # noqa: BLE001
            self.stopped = f"killed after an error ({err!r})"
            try:
                if self.km is not None:
                    self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001
                pass
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def log_tail(self, n: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        text = data[-n:].decode("utf-8", "replace").strip()
        return f"--- kernel log ({self.log_path}) ---\n{text}" if text else ""

    @staticmethod
    def _drain(channel) -> None:
        while True:
            try:
                channel.get_msg(timeout=0.05)
            except Empty:
                return

    # ------------------------------------------------------------------ requests
    def execute(self, code: str, timeout: float = 120.0, user_expressions: dict | None = None):
        """Run one cell; return (seconds, reply_content, outputs)."""
        kc = self.kc
        shell = kc.shell_channel
        sent, cpu = time(), process_time()
        t0 = perf_counter()
        msg_id = kc.execute(code, store_history=True, user_expressions=user_expressions or {}, allow_stdin=False)
        deadline = t0 + timeout
        while True:
            remaining = deadline - perf_counter()
            try:
                msg = shell.get_msg(timeout=max(remaining, 0.001))
            except Empty:
                self._raise_dead_or_timeout(code, timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        elapsed = perf_counter() - t0
        received, cpu = time(), process_time() - cpu
        self._busy = None
        outputs = self._wait_idle(msg_id, timeout)
        self.legs = (sent, self._busy, _stamp(msg["header"].get("date")), received, cpu)
        return elapsed, msg["content"], outputs

    def _wait_idle(self, msg_id: str, timeout: float) -> list:
        iopub = self.kc.iopub_channel
        deadline = perf_counter() + timeout
        outputs = []
        while True:
            remaining = deadline - perf_counter()
            try:
                msg = iopub.get_msg(timeout=max(remaining, 0.001))
            except Empty:
                self._raise_dead_or_timeout("<waiting for idle>", timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            mt = msg["msg_type"]
            if mt == "status" and msg["content"].get("execution_state") == "idle":
                return outputs
            if mt == "status" and msg["content"].get("execution_state") == "busy":
                self._busy = _stamp(msg["header"].get("date"))
            if mt == "stream":
                outputs.append(msg["content"].get("text", ""))
            elif mt == "error":
                outputs.append("\n".join(msg["content"].get("traceback", [])))

    def _raise_dead_or_timeout(self, code: str, timeout: float):
        alive = self.km is not None and self.km.is_alive()
        what = "timed out" if alive else "died"
        raise KernelError(
            f"kernel {self.kernel_name!r} {what} ({timeout:.0f}s) running: {code[:200]!r}\n{self.log_tail()}"
        )

    def run(self, code: str, timeout: float = 600.0) -> float:
        """Run a setup cell that must succeed; return its round trip in seconds."""
        elapsed, content, outputs = self.execute(code, timeout=timeout)
        if content.get("status") != "ok":
            raise KernelError(
                f"cell failed in {self.kernel_name!r}: {code[:200]!r}\n"
                f"{content.get('ename')}: {content.get('evalue')}\n" + "".join(outputs)[-3000:]
            )
        return elapsed

    def query(self, expr: str, code: str = "pass", timeout: float = 120.0):
        """Evaluate ``expr`` (a literal-valued expression) in the kernel and return it.

        ``code`` is never empty: IPython skips the pre_run_cell hooks (where
        %autoreload checks) for an empty cell.
        """
        _, content, outputs = self.execute(code, timeout=timeout, user_expressions={"v": expr})
        if content.get("status") != "ok":
            raise KernelError(
                f"cell failed in {self.kernel_name!r}: {code[:200]!r}\n"
                f"{content.get('ename')}: {content.get('evalue')}\n" + "".join(outputs)[-3000:]
            )
        res = content["user_expressions"]["v"]
        if res.get("status") != "ok":
            raise KernelError(f"expression failed in {self.kernel_name!r}: {expr!r}: {res.get('ename')}: {res.get('evalue')}")
        return ast.literal_eval(res["data"]["text/plain"])


def time_start(kernel_name: str, first_code: str, cwd: str, env: dict, log_path: str, timeout: float = 120.0) -> float:
    """Seconds from ``KernelManager.start_kernel`` until the first execute_reply.

    The execute_request for ``first_code`` is sent as soon as the client's
    channels are connected (zmq queues it until the kernel has bound its
    sockets), so the measurement covers interpreter start, kernel imports and
    initialisation, and the first cell including any pre-execute checks.
    """
    km = KernelManager(kernel_name=kernel_name)
    with open(log_path, "ab") as log:
        kc = None
        try:
            t0 = perf_counter()
            km.start_kernel(cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
            kc = km.client()
            kc.start_channels()
            msg_id = kc.execute(first_code, store_history=True, allow_stdin=False)
            deadline = t0 + timeout
            while True:
                try:
                    # short polls: notice a kernel that died instead of waiting out the timeout
                    msg = kc.shell_channel.get_msg(timeout=0.25)
                except Empty:
                    if not km.is_alive():
                        raise KernelError(f"kernel {kernel_name!r} died before its first reply\n"
                                          f"{_tail(log_path)}") from None
                    if perf_counter() > deadline:
                        raise KernelError(f"kernel {kernel_name!r} gave no first reply within "
                                          f"{timeout:.0f}s\n{_tail(log_path)}") from None
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    break
            elapsed = perf_counter() - t0
            if msg["content"].get("status") != "ok":
                raise KernelError(f"first cell failed in {kernel_name!r}: {msg['content'].get('evalue')}")
            return elapsed
        except KernelError:
            raise
        except Exception as err:  # noqa: BLE001
            raise KernelError(f"kernel {kernel_name!r} failed to start: {err!r}") from err
        finally:
            try:
                if kc is not None:
                    kc.stop_channels()
                if km.has_kernel:
                    km.shutdown_kernel(now=False)
            except Exception:  # noqa: BLE001
                try:
                    km.shutdown_kernel(now=True)
                except Exception:  # noqa: BLE001
                    pass


def _stamp(date) -> float | None:
    """A message header's date (a datetime, or its ISO text) in epoch seconds."""
    if date is None:
        return None
    if isinstance(date, str):
        from datetime import datetime
        date = datetime.fromisoformat(date.replace("Z", "+00:00"))
    return date.timestamp()


def _tail(path: str, n: int = 1500) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - n))
            text = f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return f"--- kernel log ({path}) ---\n{text}" if text else ""


def kernel_env(base: dict, ipython_dir: str) -> dict:
    env = dict(base)
    # Reproducible and fair: no user profile/startup files (a startup file that
    # loads autoreload would silently turn `plain` into `%autoreload`), and each
    # configuration gets its own history database so kernels never contend on it.
    env["IPYTHONDIR"] = ipython_dir
    env.pop("AUTORELOAD_KERNEL_DISABLE", None)  # would turn python-autoreload off
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.makedirs(ipython_dir, exist_ok=True)
    return env
