"""The jupyter_kernel_test conformance suite, pointed at python-autoreload.

The reload check runs before every execute, complete and inspect request, so
this is where we prove it adds nothing a frontend could notice: no extra
output messages, the same replies as ipykernel's, valid message schemas.
The samples follow jupyter_kernel_test's own test_ipykernel.py.
"""

from __future__ import annotations

import os
import tempfile
import unittest

import jupyter_kernel_test as jkt
from jupyter_client.manager import start_new_kernel
from jupyter_kernel_test.msgspec_v5 import validate_message

KERNEL_NAME = "python-autoreload"


class AutoreloadKernelConformance(jkt.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "python"
    file_extension = ".py"

    @classmethod
    def setUpClass(cls) -> None:
        # Same as KernelTests.setUpClass, but the kernel runs in a directory of
        # its own and with an IPython dir of its own, so the history tests see
        # only this kernel's history database.
        cls._tmp = tempfile.TemporaryDirectory(prefix="ark-conformance-")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env["IPYTHONDIR"] = os.path.join(cls._tmp.name, ".ipython")
        cls.km, cls.kc = start_new_kernel(
            kernel_name=cls.kernel_name, startup_timeout=60, cwd=cls._tmp.name, env=env
        )

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls._tmp.cleanup()

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('test', file=sys.stderr)"

    completion_samples = [
        {"text": "zi", "matches": {"zip"}},
    ]

    complete_code_samples = ["1", "print('hello, world')", "def f(x):\n  return x*2\n\n\n"]
    incomplete_code_samples = ["print('''hello", "def f(x):\n  x*2"]
    invalid_code_samples = ["import = 7q"]

    code_page_something = "zip?"

    code_generate_error = "raise"

    code_execute_result = [
        {"code": "1+2+3", "result": "6"},
        {"code": "[n*n for n in range(1, 4)]", "result": "[1, 4, 9]"},
    ]

    code_display_data = [
        {
            "code": "from IPython.display import HTML, display; display(HTML('<b>test</b>'))",
            "mime": "text/html",
        },
        {
            "code": "from IPython.display import Math, display; display(Math('\\frac{1}{2}'))",
            "mime": "text/latex",
        },
    ]

    code_history_pattern = "1?2*"
    # As in jupyter_kernel_test's test_ipykernel.py: plain ipykernel fails the
    # "range" check too (its reply numbers the current session 0, not the
    # absolute number "tail" gave), so it is not ours to claim;
    # test_history_range_replies_as_plain_ipykernel checks ours answers as it does.
    supported_history_operations = ("tail", "search")

    code_inspect_sample = "zip"

    code_clear_output = "from IPython.display import clear_output; clear_output()"

    # -- our own identity in kernel_info -------------------------------------
    def test_kernel_info_identity(self) -> None:
        self.flush_channels()
        msg_id = self.kc.kernel_info()
        reply = self._reply_to(msg_id)
        validate_message(reply, "kernel_info_reply", msg_id)
        content = reply["content"]
        assert content["status"] == "ok"
        assert content["implementation"] == "autoreload_kernel"
        assert content["implementation_version"]
        assert content["language_info"]["name"] == "python"
        assert content["language_info"]["file_extension"] == ".py"
        assert "autoreload" in content["banner"].lower(), content["banner"]

    def _reply_to(self, msg_id: str, timeout: float = jkt.TIMEOUT):
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    # -- an edit on disk must not disturb the protocol -----------------------
    def test_edit_between_requests_adds_no_messages(self) -> None:
        """After an edit, an execute still yields exactly its own outputs."""
        path = os.path.join(self._tmp.name, "conf_mod.py")
        with open(path, "w") as f:
            f.write("def f():\n    return 'one'\n")
        self.flush_channels()
        reply, outputs = self.execute_helper("import conf_mod; conf_mod.f()")
        assert reply["content"]["status"] == "ok"
        assert [m["msg_type"] for m in outputs] == ["execute_result"]
        assert outputs[0]["content"]["data"]["text/plain"] == "'one'"

        with open(path, "w") as f:
            f.write("def f():\n    return 'three'\n")
        self.flush_channels()
        reply, outputs = self.execute_helper("conf_mod.f()")
        assert reply["content"]["status"] == "ok"
        assert [m["msg_type"] for m in outputs] == ["execute_result"], outputs
        assert outputs[0]["content"]["data"]["text/plain"] == "'three'"



def _history_replies(kernel_name: str) -> list:
    """The "tail" and then "range" history replies of a fresh kernel that ran
    two cells (the range: the last cell's, by the numbers the tail gave)."""
    with tempfile.TemporaryDirectory(prefix="ark-history-") as tmp:
        env = dict(os.environ, IPYTHONDIR=os.path.join(tmp, ".ipython"))
        env.pop("PYTHONPATH", None)
        km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=60, cwd=tmp, env=env)
        try:
            for code in ("1+2", "x = 5"):
                kc.execute_interactive(code, timeout=30)
            tail = kc.history(hist_access_type="tail", n=2, raw=True, output=False,
                              reply=True, timeout=30)["content"]["history"]
            session, line = tail[-1][0], tail[-1][1]
            got = kc.history(hist_access_type="range", session=session, start=line,
                             stop=line + 1, raw=True, output=False, reply=True,
                             timeout=30)["content"]["history"]
            return [[list(e) for e in tail], [list(e) for e in got]]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def test_history_range_replies_as_plain_ipykernel() -> None:
    """The "range" case the class above skips (its check expects the session
    number "tail" gave; ipykernel numbers the current session 0): ours gives
    ipykernel's reply, the asked-for cell included."""
    ours, plain = _history_replies(KERNEL_NAME), _history_replies("python3")
    assert ours == plain, (ours, plain)
    assert ours[1] and ours[1][0][2] == "x = 5", ours


if __name__ == "__main__":
    unittest.main()
