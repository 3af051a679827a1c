"""CurveZMQ transport encryption on every ipykernel we support.

Our kernelspec declares ``"supported_encryption": ["curve"]`` (as ipykernel's
own ``python3`` spec does), so a Jupyter client asked for encryption writes a
CurveZMQ key pair into the connection file and speaks CurveZMQ to all five
kernel sockets.  ipykernel 7.4 applies those keys itself.  Older ipykernel
(6.29 to 7.3) ignores them and would bind plain sockets that the client can
never reach, so there :class:`CurveKernelApp` applies the keys instead.
This module is imported only there (see :func:`.kernel.launch`): defining the
app class costs about a millisecond of every start.
"""

from __future__ import annotations

import json

import zmq
from ipykernel.heartbeat import Heartbeat
from ipykernel.kernelapp import IPKernelApp


class CurveKernelApp(IPKernelApp):
    """IPKernelApp that serves its sockets with the connection file's CurveZMQ keys."""

    _curve_keys: tuple[bytes, bytes] | None = None

    def init_connection_file(self):
        super().init_connection_file()
        # Read the file ourselves: an older jupyter_client in this environment
        # would not load the keys into the app.
        try:
            with open(self.abs_connection_file, encoding="utf-8") as f:
                info = json.load(f)
        except (OSError, ValueError):
            return
        public, secret = info.get("curve_publickey"), info.get("curve_secretkey")
        if public and secret:
            self._curve_keys = (public.encode("ascii"), secret.encode("ascii"))

    def _serve_encrypted(self, socket: zmq.Socket) -> None:
        public, secret = self._curve_keys
        socket.curve_secretkey = secret
        socket.curve_publickey = public
        socket.curve_server = True

    def _bind_socket(self, s, port):
        # shell, stdin, control and iopub are all bound here.
        if self._curve_keys:
            self._serve_encrypted(s)
        return super()._bind_socket(s, port)

    def init_control(self, context):
        super().init_control(context)
        # The debugger's own client of the shell socket must speak CurveZMQ too.
        endpoint = self.shell_socket.getsockopt(zmq.LAST_ENDPOINT)
        if self._curve_keys and endpoint:
            public, secret = self._curve_keys
            self.debug_shell_socket.disconnect(endpoint)
            self.debug_shell_socket.curve_serverkey = public
            self.debug_shell_socket.curve_secretkey = secret
            self.debug_shell_socket.curve_publickey = public
            self.debug_shell_socket.connect(endpoint)

    def init_heartbeat(self):
        if not self._curve_keys:
            return super().init_heartbeat()
        # The heartbeat thread makes its one socket in its own context, which
        # hands these defaults to it.
        context = zmq.Context()
        public, secret = self._curve_keys
        context.setsockopt(zmq.CURVE_SECRETKEY, secret)
        context.setsockopt(zmq.CURVE_PUBLICKEY, public)
        context.setsockopt(zmq.CURVE_SERVER, 1)
        self.heartbeat = Heartbeat(context, (self.transport, self.ip, self.hb_port))
        self.hb_port = self.heartbeat.port
        self.heartbeat.start()
        return None

