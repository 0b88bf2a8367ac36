"""Cable: a TCP forwarder between the phone's code and the server, whose plug a test can pull.

Unplugged, every open connection is cut and new ones are closed as soon as they arrive: the phone and
the server both see the drop at once. Gone silent, open connections stay open but carry nothing (new ones
are refused): a Wi-Fi that died without a word, which neither side notices until its own timeout. Plugged
back, connections go through again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class Cable:
    """Listens on a free loopback port and forwards each connection to `target_port`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._plugged = threading.Event()
        self._plugged.set()
        self._silent = threading.Event()
        self._closing = threading.Event()
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.connections = 0  # connections forwarded so far
        self._thread = threading.Thread(target=self._accept, name="cable", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, the address the app is given."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def plugged(self) -> bool:
        """Whether connections go through."""
        return self._plugged.is_set()

    def unplug(self) -> None:
        """Cut every open connection and refuse new ones."""
        self._plugged.clear()
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _kill(sock)

    def go_silent(self) -> None:
        """Keep open connections open but drop everything sent on them; refuse new ones."""
        self._silent.set()
        self._plugged.clear()

    def plug(self) -> None:
        """Let connections through again."""
        self._silent.clear()
        self._plugged.set()

    def close(self) -> None:
        """Stop listening and cut everything."""
        self._closing.set()
        self.unplug()
        self._thread.join(timeout=5)
        self._server.close()

    def __enter__(self) -> Cable:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                phone, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._plugged.is_set():
                _kill(phone)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _kill(phone)
                continue
            server.settimeout(None)
            with self._lock:
                self._live.update((phone, server))
                self.connections += 1
            for source, sink in ((phone, server), (server, phone)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                if not self._silent.is_set():
                    sink.sendall(chunk)
        except OSError:
            pass
        for sock in (source, sink):
            with self._lock:
                self._live.discard(sock)
            _kill(sock)


def _kill(sock: socket.socket) -> None:
    """Close a socket at once, waking any thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
