"""Request bodies are bounded per route class before they are read: a 50 MB body, announced by its
Content-Length or streamed in chunks without one, is refused with 413 after the app has read at most the
class's limit. Served over real HTTP (werkzeug's server in a thread); a raw socket streams the body, and a
counting wrapper around `wsgi.input` records every byte the app took from it."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

FIFTY_MB = 50 * 1024 * 1024
CHUNK = 64 * 1024
LIMITS = {"webhooks": 1024 * 1024, "api": 2 * 1024 * 1024, "pages": 256 * 1024}


class CountingInput:
    """`wsgi.input` that counts what the application reads from it."""

    def __init__(self, stream: Any, tally: list[int]) -> None:
        self._stream, self._tally = stream, tally

    def read(self, *args: Any) -> bytes:
        return self._count(self._stream.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._count(self._stream.readline(*args))

    def _count(self, data: bytes) -> bytes:
        self._tally[-1] += len(data)
        return data


@dataclass
class Served:
    port: int
    reads: list[int] = field(default_factory=list)  # bytes the app read, one entry per request


@pytest.fixture
def served(app: Flask) -> Iterator[Served]:
    served = Served(0)

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        served.reads.append(0)
        environ["wsgi.input"] = CountingInput(environ["wsgi.input"], served.reads)
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, counting, threaded=True)
    served.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    thread.join(10)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the client got out before the answer came

    def json(self) -> Any:
        return json.loads(self.body)


def post(port: int, path: str, size: int, *, chunked: bool, headers: dict[str, str] | None = None) -> Answer:
    """POST `size` bytes of body, stopping as soon as the server answers (as a real client would)."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
            *(f"{k}: {v}" for k, v in (headers or {}).items()),
            "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"]
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = 0
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        block = b"x" * CHUNK
        while sent < size and not select.select([sock], [], [], 0)[0]:
            piece = block[:min(CHUNK, size - sent)]
            try:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        if chunked and sent >= size:
            sock.sendall(b"0\r\n\r\n")
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)  # the rest of the body never comes: the server sees its end
        raw = _read_all(sock)
    finally:
        sock.close()
    head_part, _, body = raw.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return Answer(int(lines[0].split()[1]), fields, body, sent)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def _is_413_envelope(answer: Answer) -> None:
    assert answer.status == 413, answer.body[:300]
    body = answer.json()
    assert set(body) == {"code", "status", "message", "errors"} and body["code"] == 413


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_webhook_is_refused_after_at_most_the_limit(served: Served, chunked: bool) -> None:
    answer = post(served.port, f"/webhooks/greenhouse/{uuid.uuid4()}", FIFTY_MB, chunked=chunked,
                  headers={"Content-Type": "application/json", "Signature": "sha256 " + "0" * 64})
    assert served.reads[-1] <= LIMITS["webhooks"], served.reads
    _is_413_envelope(answer)
    if not chunked:
        assert served.reads[-1] == 0  # refused on its Content-Length alone


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_api_request_is_refused_after_at_most_the_limit(served: Served, tenant: Any, chunked: bool) -> None:
    answer = post(served.port, "/api/v1/people", FIFTY_MB, chunked=chunked,
                  headers={"Content-Type": "application/json", **tenant.headers})
    assert served.reads[-1] <= LIMITS["api"], served.reads
    _is_413_envelope(answer)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_form_is_refused_with_the_error_page(served: Served, chunked: bool) -> None:
    answer = post(served.port, "/login", FIFTY_MB, chunked=chunked,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert served.reads[-1] <= LIMITS["pages"], served.reads
    assert answer.status == 413 and answer.headers["Content-Type"].startswith("text/html")
    assert b"413" in answer.body


def test_each_class_has_its_own_limit(served: Served) -> None:
    """A 300 KB body is within the webhook limit (the unknown installation is then a 404) but over the pages'."""
    size = 300 * 1024
    webhook = post(served.port, f"/webhooks/greenhouse/{uuid.uuid4()}", size, chunked=True,
                   headers={"Content-Type": "application/json"})
    assert webhook.status == 404 and webhook.json()["code"] == 404
    assert served.reads[-1] == size
    page = post(served.port, "/login", size, chunked=False,
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status == 413
