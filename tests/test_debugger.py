"""The kernelspec says `debugger: true`; the debugger must answer, and see reloaded code."""

import itertools


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


def test_debugger_initializes_and_reads_reloaded_source(fresh_kernel):
    k = fresh_kernel
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

    path = k.write("dbgmod.py", "def f():\n    return 1\n")
    assert k.execute("import dbgmod").ok
    k.write("dbgmod.py", "def f():\n    # edited\n    return 2\n")
    assert k.value("dbgmod.f()") == "2"
    # The debugger reads the module's real file, which holds the code that now runs.
    source = _debug(k, "source", {"source": {"path": str(path)}})
    assert source.get("success") is True, source
    assert "# edited" in source["body"]["content"]
    assert k.value("dbgmod.f.__code__.co_filename") == repr(str(path))
