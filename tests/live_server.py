"""The editor app on a real socket: uvicorn in a thread, on 127.0.0.1 and a free port."""

from __future__ import annotations

import socket
import threading
import time
import types

import uvicorn


class LiveServer:
    """The app on a real socket (uvicorn in a thread), for what a test client cannot send."""

    def __init__(self, app) -> None:
        """`app`: an ASGI app, or a function making one from the port (to allow exactly that Host)."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # so asyncio sets TCP_NODELAY
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        if isinstance(app, types.FunctionType):
            app = app(self.port)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def raw(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
            connection.sendall(request)
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)
