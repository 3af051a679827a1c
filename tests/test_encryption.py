"""CurveZMQ transport encryption, as jupyter_client provisions it.

Our kernelspec declares ``supported_encryption: ["curve"]`` like ipykernel's
``python3``, so ``transport_encryption="required"`` starts the kernel (instead
of refusing) and ``"auto"`` encrypts it.  Each test also checks that the
traffic really is encrypted: a client holding the same ports and session key
but no CurveZMQ keys gets no answer.  The same checks run on ipykernel 6 in
tests/test_ipykernel6.py.
"""

from __future__ import annotations

import pytest
import zmq
from jupyter_client.blocking import BlockingKernelClient

from driver import KernelDriver
from test_debugger import start_debugger


def plain_client_is_refused(km) -> bool:
    """Whether a client without the CurveZMQ keys gets no kernel_info reply."""
    info = km.get_connection_info()
    assert info.pop("curve_publickey", None) and info.pop("curve_secretkey", None), (
        "no CurveZMQ keys were provisioned"
    )
    plain = BlockingKernelClient()
    plain.load_connection_info(info)
    plain.start_channels()
    # With no handshake ever completed, the send itself may find no peer.
    plain.shell_channel.socket.sndtimeo = 3000
    try:
        plain.kernel_info(reply=True, timeout=3)
    except (TimeoutError, zmq.Again):
        return True
    finally:
        plain.stop_channels()
    return False


def check_encrypted_kernel(k: KernelDriver) -> None:
    """The kernel answers an encrypted client, reloads, runs the debugger (whose own
    client of the shell socket must speak CurveZMQ too), and refuses a plain one."""
    k.write("enc_mod.py", "def f():\n    return 1\n")
    assert k.execute("import enc_mod").ok
    k.write("enc_mod.py", "def f():\n    return 2\n")
    assert k.value("enc_mod.f()") == "2"
    assert k.kc.is_alive()  # the heartbeat answers over CurveZMQ too
    start_debugger(k)
    assert plain_client_is_refused(k.km)


@pytest.mark.parametrize("policy", ["required", "auto"])
def test_kernel_runs_encrypted(policy, tmp_path):
    k = KernelDriver(tmp_path)
    try:
        k.start(transport_encryption=policy)
        check_encrypted_kernel(k)
        k.restart()  # the manager reuses the keys across a restart
        assert k.value("1 + 1") == "2"
    finally:
        k.shutdown()


def test_tcp_warning_only_without_encryption(tmp_path):
    """ipykernel 7.4 warns "running over TCP without encryption" at start-up
    unless the manager provisioned CurveZMQ keys (README, "Encrypted transport")."""
    import ipykernel

    if ipykernel.version_info < (7, 4):
        pytest.skip("only ipykernel 7.4 and later print this warning")
    logs = {}
    for policy in ("disabled", "required"):
        log = tmp_path / f"{policy}.log"
        k = KernelDriver(tmp_path)
        with open(log, "w") as stderr:
            try:
                k.start(transport_encryption=policy, stderr=stderr)
                assert k.value("1") == "1"
            finally:
                k.shutdown()
        logs[policy] = log.read_text()
    assert "without encryption" in logs["disabled"]
    assert "without encryption" not in logs["required"]
