"""The kernelspec says `debugger: true`; the debugger must answer, and see reloaded code."""

import itertools
import time


_seq = itertools.count(1)


def _debug(kernel, command, arguments=None):
    msg = kernel.kc.session.msg("debug_request", {
        "type": "request", "seq": next(_seq), "command": command, "arguments": arguments or {},
    })
    kernel.kc.control_channel.send(msg)
    while True:
        reply = kernel.kc.control_channel.get_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply["content"]


def start_debugger(k) -> None:
    """initialize, attach and debugInfo, as JupyterLab's debugger panel does."""
    init = _debug(k, "initialize", {
        "clientID": "test", "clientName": "pytest", "adapterID": "python",
        "pathFormat": "path", "linesStartAt1": True, "columnsStartAt1": True,
        "supportsVariableType": True, "supportsVariablePaging": True,
        "supportsRunInTerminalRequest": True, "locale": "en",
    })
    assert init.get("success") is True, init
    assert _debug(k, "attach").get("success") is True
    info = _debug(k, "debugInfo")
    assert info.get("success") is True and info["body"]["isStarted"] is True


def test_debugger_initializes_and_reads_reloaded_source(fresh_kernel):
    k = fresh_kernel
    start_debugger(k)

    path = k.write("dbgmod.py", "def f():\n    return 1\n")
    assert k.execute("import dbgmod").ok
    k.write("dbgmod.py", "def f():\n    # edited\n    return 2\n")
    assert k.value("dbgmod.f()") == "2"
    # The debugger reads the module's real file, which holds the code that now runs.
    source = _debug(k, "source", {"source": {"path": str(path)}})
    assert source.get("success") is True, source
    assert "# edited" in source["body"]["content"]
    assert k.value("dbgmod.f.__code__.co_filename") == repr(str(path))


def _stopped_event(kernel, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        msg = kernel.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["msg_type"] == "debug_event" and msg["content"].get("event") == "stopped":
            return msg["content"]


def test_breakpoint_on_a_line_only_the_reloaded_code_has(fresh_kernel):
    """ipykernel's source request reads the file from disk, so it shows the edit
    with or without a reload.  A breakpoint on a line that exists only in the
    edited function is hit only if the running function took the new code."""
    k = fresh_kernel
    assert _debug(k, "initialize", {
        "clientID": "test", "clientName": "pytest", "adapterID": "python",
        "pathFormat": "path", "linesStartAt1": True, "columnsStartAt1": True,
    }).get("success") is True
    assert _debug(k, "attach").get("success") is True
    path = k.write("dbgmod2.py", "def f():\n    return 1\n")
    assert k.execute("import dbgmod2; f = dbgmod2.f").ok
    k.write("dbgmod2.py", "def f():\n    marker = 'new code'\n    value = 2\n    return value\n")
    assert k.execute("pass").ok  # the reload
    reply = _debug(k, "setBreakpoints", {"source": {"path": str(path)},
                                         "breakpoints": [{"line": 3}], "sourceModified": False})
    assert reply.get("success") is True, reply
    assert _debug(k, "configurationDone").get("success") is True
    msg_id = k.kc.execute("result = f()")  # the reference taken before the edit
    stopped = _stopped_event(k)
    thread = stopped["body"]["threadId"]
    frames = _debug(k, "stackTrace", {"threadId": thread})["body"]["stackFrames"]
    top = frames[0]
    assert (top["name"], top["line"], top["source"]["path"]) == ("f", 3, str(path)), top
    value = _debug(k, "evaluate", {"expression": "marker", "frameId": top["id"], "context": "repl"})
    assert value["body"]["result"] == "'new code'", value
    assert _debug(k, "continue", {"threadId": thread}).get("success") is True
    while True:
        reply = k.kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "ok", reply["content"]
    assert k.value("result") == "2"
