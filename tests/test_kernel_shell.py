"""The kernel shell class: when the check runs, what it must never do, config.

All tests talk to real kernel processes over ZMQ.  Where a test needs the engine
to fail, it breaks the real engine object from user code inside the kernel.
"""

from __future__ import annotations

import json
import re
import sys
import time
from queue import Empty

import ipykernel
import pytest
from driver import KernelDriver, iopub_text, kernel_with_config, write_f_and_call, write_f_and_import

REPLY_TIMEOUT = 30


# -- raw-message helpers (for what KernelDriver does not send) -------------------
def _send_execute(kc, code: str, *, metadata: dict | None = None, subshell_id: str | None = None) -> str:
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg("execute_request", content, metadata=metadata or {})
    if subshell_id is not None:
        msg["header"]["subshell_id"] = subshell_id
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def _shell_replies(kc, msg_ids: list[str], timeout: float = REPLY_TIMEOUT) -> list[dict]:
    """Replies to msg_ids in the order they arrive (other shell messages are dropped)."""
    wanted, got = set(msg_ids), []
    deadline = time.monotonic() + timeout
    while wanted:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no reply to {sorted(wanted)} within {timeout}s"
        try:
            msg = kc.get_shell_msg(timeout=remaining)
        except Empty:
            continue
        mid = msg["parent_header"].get("msg_id")
        if mid in wanted:
            wanted.discard(mid)
            got.append(msg)
    return got


def _control_request(kc, msg_type: str, content: dict | None = None) -> dict:
    msg = kc.session.msg(msg_type, content or {})
    kc.control_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    deadline = time.monotonic() + REPLY_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {msg_type} reply"
        reply = kc.get_control_msg(timeout=remaining)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


# -- complete and inspect see an edit with no cell in between ------------------------
def test_completion_sees_edit_before_any_cell_runs(kernel, modname):
    kernel.write(f"{modname}.py", "def alpha():\n    return 1\n")
    res = kernel.execute(f"import {modname}")
    assert res.ok, res.traceback

    kernel.write(
        f"{modname}.py",
        "def alpha():\n    return 1\n\n\ndef alpha_new_name():\n    return 2\n",
    )
    # No execute request between the edit and the completion.
    reply = kernel.complete(f"{modname}.alpha_")
    assert reply["status"] == "ok", reply
    assert any(m.endswith("alpha_new_name") for m in reply["matches"]), reply["matches"]


def test_inspect_sees_edit_before_any_cell_runs(kernel, modname):
    kernel.write(f"{modname}.py", 'def f():\n    """The old docstring."""\n')
    res = kernel.execute(f"import {modname}")
    assert res.ok, res.traceback

    kernel.write(f"{modname}.py", 'def f():\n    """A brand new docstring, much longer."""\n')
    reply = kernel.inspect(f"{modname}.f")
    assert reply["status"] == "ok", reply
    assert reply["found"], reply
    text = reply["data"]["text/plain"]
    assert "A brand new docstring, much longer." in text, text
    assert "The old docstring." not in text, text


# -- the check never raises into ipykernel ----------------------------------------------
# Breaks the real engine from user code: every check now raises.
BREAK_ENGINE = "get_ipython().kernel.reloader.check = lambda *a, **kw: 1/0"


def _assert_complete_and_inspect_answer(k) -> None:
    reply = k.complete("pri")
    assert reply["status"] == "ok", reply
    assert "print" in reply["matches"], reply["matches"]
    reply = k.inspect("print")
    assert reply["status"] == "ok", reply
    assert reply["found"], reply


def test_engine_failure_never_escapes(fresh_kernel):
    k = fresh_kernel
    res = k.execute(BREAK_ENGINE)
    assert res.ok, res.traceback

    res = k.execute("print('cell ran')")
    assert res.ok, f"execute reply was not ok: {res.error}"
    assert res.stdout == "cell ran\n"
    assert "autoreload" in res.stderr.lower(), f"no autoreload error on stderr: {res.stderr!r}"

    # Reported once, not on every later cell.
    res = k.execute("print('next cell')")
    assert res.ok, res.error
    assert res.stdout == "next cell\n"
    assert res.stderr == "", f"the engine error was reported again: {res.stderr!r}"

    _assert_complete_and_inspect_answer(k)

    res = k.execute("print('after complete and inspect')")
    assert res.ok, res.error
    assert res.stdout == "after complete and inspect\n"
    assert res.stderr == "", f"the engine error was reported again: {res.stderr!r}"


def test_engine_failure_that_cannot_be_reported_still_replies(fresh_kernel):
    """Even when reporting the failure fails, every request still gets its reply.

    The engine raises an exception whose str() itself raises, so the real
    reporter cannot format it.
    """
    k = fresh_kernel
    res = k.execute(
        """
        class _Unprintable(Exception):
            def __str__(self):
                raise RuntimeError("this exception cannot be printed")

        def _ark_boom(*args, **kwargs):
            raise _Unprintable()

        get_ipython().kernel.reloader.check = _ark_boom
        """
    )
    assert res.ok, res.traceback
    try:
        res = k.execute("print('cell ran')", timeout=15)
    except TimeoutError:
        pytest.fail("no execute_reply: the failure escaped the check into ipykernel")
    assert res.ok, res.error
    assert res.stdout == "cell ran\n"
    _assert_complete_and_inspect_answer(k)


def test_engine_failure_in_complete_first_still_replies(fresh_kernel):
    """The first failing check is a complete request: it replies, and so does inspect."""
    k = fresh_kernel
    res = k.execute(BREAK_ENGINE)
    assert res.ok, res.traceback
    _assert_complete_and_inspect_answer(k)
    res = k.execute("print('still here')")
    assert res.ok, res.error
    assert res.stdout == "still here\n"


# -- cellId metadata passes through ---------------------------------------------------
def test_cell_id_passthrough(kernel):
    res = kernel.execute(
        """
        _ark_cell_ids = []
        def _ark_record_cell_id(info):
            _ark_cell_ids.append(getattr(info, "cell_id", "<no cell_id attribute>"))
        get_ipython().events.register("pre_run_cell", _ark_record_cell_id)
        """
    )
    assert res.ok, res.traceback
    try:
        msg_id = _send_execute(kernel.kc, "_ark_x = 40 + 2", metadata={"cellId": "abc"})
        (reply,) = _shell_replies(kernel.kc, [msg_id])
        assert reply["content"]["status"] == "ok", reply["content"]
        # The cellId cell, then this one (sent without metadata, so no cellId).
        assert kernel.value("(_ark_x, _ark_cell_ids[-2:])") == "(42, ['abc', None])"
    finally:
        kernel.execute('get_ipython().events.unregister("pre_run_cell", _ark_record_cell_id)')


# -- subshells ------------------------------------------------------------------------------
# IPython 8 prints this to the cell's stream when two threads' cells race for a
# line number in its history database (it then logs to a new session).  It is
# IPython's notice, not ours; exactly that line is dropped, nothing else.
_HISTORY_NOTICE = re.compile(
    r"^ERROR! Session/line number was not unique in database\. "
    r"History logging moved to new session \d+\n", re.MULTILINE)


def _without_history_notice(text: str) -> str:
    return _HISTORY_NOTICE.sub("", text)


def test_subshells(fresh_kernel, modname):
    k = fresh_kernel
    kc = k.kc
    msg_id = kc.kernel_info()
    info = k._reply(msg_id)["content"]
    features = info.get("supported_features", [])
    ipykernel_major = int(ipykernel.__version__.split(".")[0])
    if ipykernel_major < 7:
        # Nothing to create: what can be tested is that the kernel does not
        # claim the feature it cannot have.
        assert "kernel subshells" not in features, features
        return
    assert "kernel subshells" in features, features

    write_f_and_import(k, modname, "v1")
    assert k.execute("import time").ok

    created = _control_request(kc, "create_subshell_request")["content"]
    assert created["status"] == "ok", created
    sid = created["subshell_id"]
    try:
        # The main shell is busy for 2 s...
        main_id = _send_execute(kc, "time.sleep(2); print('main done')")
        time.sleep(0.3)  # let it get into the sleep
        # ...the user edits the module meanwhile...
        k.write(f"{modname}.py", "def f():\n    return 'version two'\n")
        # ...and a subshell request runs while the main shell sleeps.
        sub_id = _send_execute(kc, f"print('sub', {modname}.f())", subshell_id=sid)
        replies = _shell_replies(kc, [main_id, sub_id], timeout=60)
        by_id = {r["parent_header"]["msg_id"]: r for r in replies}
        assert by_id[sub_id]["content"]["status"] == "ok", by_id[sub_id]["content"]
        assert by_id[main_id]["content"]["status"] == "ok", by_id[main_id]["content"]
        assert replies[0]["parent_header"]["msg_id"] == sub_id, (
            "the subshell request waited for the busy main shell"
        )
        assert by_id[sub_id]["parent_header"].get("subshell_id") == sid

        sub_out, sub_err = map(_without_history_notice, iopub_text(kc, sub_id))
        assert sub_out in ("sub v1\n", "sub version two\n"), (sub_out, sub_err)
        assert "Traceback" not in sub_err and "error" not in sub_err.lower(), sub_err

        # Afterwards the main shell has the edit, and no error.
        res = k.execute(f"print({modname}.f())")
        assert res.ok, res.traceback
        out, err = _without_history_notice(res.stdout), _without_history_notice(res.stderr)
        assert out == "version two\n", "main shell did not pick up the edit"
        assert "error" not in err.lower() and "Traceback" not in err, err
    finally:
        deleted = _control_request(kc, "delete_subshell_request", {"subshell_id": sid})
        assert deleted["content"]["status"] == "ok", deleted["content"]


# -- turning it off -------------------------------------------------------------------------
def test_disable_env_var_then_autoreload_magic_turns_it_on(tmp_path, modname):
    k = KernelDriver(tmp_path, env={"AUTORELOAD_KERNEL_DISABLE": "1"}).start()
    try:
        write_f_and_import(k, modname, 1)
        # A cell in between, so even an engine that only notes a module's file
        # at the first check after its import would have a baseline by now.
        assert k.execute("pass").ok

        # Sizes differ on purpose: a wrong reload must not hide behind a stale .pyc.
        res = write_f_and_call(k, modname, 22)
        assert res.stdout == "1\n", "AUTORELOAD_KERNEL_DISABLE=1 kernel reloaded the module"

        res = k.execute("%autoreload 2")
        assert res.ok, f"%autoreload 2 failed: {res.error}"

        res = write_f_and_call(k, modname, 333)
        assert res.stdout == "333\n", "edit not seen after %autoreload 2"
    finally:
        k.shutdown()


def _kernelspec_with(tmp_path, name: str, extra_argv: list[str]):
    kdir = tmp_path / "jupyter" / "kernels" / name
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "autoreload_kernel", "-f", "{connection_file}", *extra_argv],
                "display_name": f"Python (autoreload) [{name}]",
                "language": "python",
            }
        )
    )
    return tmp_path / "jupyter"


def test_mode_off_from_argv(tmp_path, monkeypatch, modname):
    name = "python-autoreload-test-mode-off"
    jupyter_path = _kernelspec_with(tmp_path, name, ["--AutoreloadKernel.mode=off"])
    # KernelManager looks the kernelspec up in *this* process's JUPYTER_PATH.
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    work = tmp_path / "work"
    work.mkdir()
    k = KernelDriver(work, kernel_name=name, env={"JUPYTER_PATH": str(jupyter_path)}).start()
    try:
        assert k.value("get_ipython().kernel.mode") == "'off'"
        write_f_and_import(k, modname, 1)
        assert k.execute("pass").ok  # see test_disable_env_var_...
        res = write_f_and_call(k, modname, 22)
        assert res.stdout == "1\n", "mode=off kernel reloaded the module"
        # Not even completion brings it in.
        reply = k.complete(f"{modname}.f")
        assert reply["status"] == "ok"
        assert k.value(f"{modname}.f()") == "1"
    finally:
        k.shutdown()


def test_verbose_from_config_file(tmp_path, modname):
    k = kernel_with_config(tmp_path, "c.AutoreloadKernel.verbose = True\n")
    try:
        assert k.value("get_ipython().kernel.verbose") == "True"
        write_f_and_import(k, modname, 1)

        res = write_f_and_call(k, modname, 22)
        assert res.stdout.splitlines()[-1:] == ["22"], res.stdout
        said = [line for line in (res.stdout + res.stderr).splitlines() if modname in line]
        assert len(said) == 1, f"expected one line naming {modname}, got {res.stdout + res.stderr!r}"

        # No edit, no line.
        res = k.execute(f"print({modname}.f())")
        assert res.ok, res.traceback
        assert res.stdout == "22\n"
        assert modname not in res.stderr, res.stderr
    finally:
        k.shutdown()
