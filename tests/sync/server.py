"""A local HTTP server on a free loopback port that answers as a tool's API documents (each test module's
`Vendor`), with scripted trouble: a 429 with Retry-After, a 500, a request that stalls until released (so a
test can kill the sync waiting on it), and a change to the data after a given request (a record updated while
the sync reads)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]

    def arg(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.query.get(name, [default])[0]


@dataclass
class _Trouble:
    prefix: str
    after: int  # matching requests to let through first
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False
    change: Optional[Callable[[], None]] = None  # applied once the matching request has been answered
    seen: int = 0


class Vendor:
    """A tool's API over in-memory data. Subclasses answer `route(request)`; `expected_auth` is the header the
    requests must carry (else 401)."""

    expected_auth: dict[str, str] = {}

    def __init__(self) -> None:
        self.troubles: list[_Trouble] = []
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.stalled = threading.Event()  # set while a request waits in a stall
        self.release = threading.Event()

    # scripted trouble, each once, at the (after + 1)-th request whose path starts with prefix
    def fail(self, prefix: str, status: int, headers: Optional[dict[str, str]] = None, after: int = 0) -> None:
        self.troubles.append(_Trouble(prefix, after, status, headers or {}))

    def stall(self, prefix: str, after: int = 0) -> None:
        self.troubles.append(_Trouble(prefix, after, stall=True))

    def change_after(self, prefix: str, change: Callable[[], None], after: int = 0) -> None:
        self.troubles.append(_Trouble(prefix, after, change=change))

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def answer(self, request: Request) -> Reply:
        with self.lock:
            self.log.append(request)
            due = []
            for trouble in self.troubles:
                if request.path.startswith(trouble.prefix):
                    trouble.seen += 1
                    if trouble.seen == trouble.after + 1:
                        due.append(trouble)
            for trouble in due:
                self.troubles.remove(trouble)
        for trouble in due:
            if trouble.stall:
                self.stalled.set()
                self.release.wait(60)
                return 503, {}, {"error": "stalled"}
            if trouble.status:
                return trouble.status, trouble.headers, {"error": f"scripted {trouble.status}"}
        for name, value in self.expected_auth.items():
            if request.headers.get(name.lower()) != value:
                return 401, {}, {"error": "unauthorized"}
        with self.lock:
            reply = self.route(request)
        for trouble in due:
            if trouble.change is not None:
                with self.lock:
                    trouble.change()
        return reply


class Server:
    """The vendor served on 127.0.0.1 at a free port, in a daemon thread."""

    def __init__(self, vendor: Vendor) -> None:
        self.vendor = vendor
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                                  json.loads(raw) if raw else None, {k.lower(): v for k, v in self.headers.items()})
                status, headers, body = outer.vendor.answer(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's names

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.vendor.release.set()
        self.http.shutdown()
        self.http.server_close()
