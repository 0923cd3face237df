"""Serving the editor: the listening socket, who may reach it (token, Host names) and uvicorn.

    server = EditorServer.bind(project, host="127.0.0.1", port=8765)
    print(server.url)                      # http://127.0.0.1:8765/ (with ?token=... off loopback)
    server.run()                           # until Ctrl+C

On loopback no token is needed and the Host header must name this server
(127.0.0.1, localhost or [::1] and the port): a web page elsewhere cannot reach
it through DNS rebinding. Anywhere else a token is required (a random one when
none is given), printed in the URL; on a wildcard address (0.0.0.0, ::) any
Host is accepted, since the names the machine is reached by are not known here.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from director.editor.app import create_app
from director.editor.project import Project
from director.errors import InputError


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: treat it as reachable from elsewhere


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (port 0: any free one); a busy or foreign address is an `InputError`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it
    # Nagle's algorithm and delayed ACKs add ~40 ms to every reply on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as e:
        sock.close()
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise InputError(f"cannot listen on {host}:{port} ({reason}); choose another --port, or --port 0 for any free one") from None
    return sock


@dataclass
class EditorServer:
    """The editor app on a bound socket, ready to `run`."""

    app: FastAPI
    sock: socket.socket
    url: str  # what to open in a browser; it carries the token when there is one
    token: str | None

    @classmethod
    def bind(
        cls,
        project: Project,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        token: str | None = None,
        planner: str = "rules",
        renderer: str = "animatic",
    ) -> EditorServer:
        loopback = is_loopback(host)
        if not loopback and not token:
            token = secrets.token_urlsafe(24)
        sock = listen(host, port)
        port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        wildcard = host in ("0.0.0.0", "::")
        allowed = None
        if not wildcard:
            allowed = [f"{shown}:{port}".lower()]
            if loopback:
                allowed += [f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"]
        app = create_app(project, token=token, allowed_hosts=allowed, planner=planner, renderer=renderer)
        url = f"http://{socket.gethostname() if wildcard else shown}:{port}/" + (f"?token={token}" if token else "")
        return cls(app=app, sock=sock, url=url, token=token)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C), then close the socket."""
        try:
            uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False)).run(sockets=[self.sock])
        finally:
            self.sock.close()
