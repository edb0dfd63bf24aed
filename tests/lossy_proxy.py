"""A TCP proxy on a free loopback port in front of the test server that can
lose one answer: once armed with a marker, it passes the client's message
holding the marker on to the server, waits for the server's whole answer
(up to ReadyForQuery, so the server has committed), swallows it and closes
the client's connection -- as a proxy reset or a dropped network does."""

from __future__ import annotations

import socket
import threading

READY_FOR_QUERY = b"Z\x00\x00\x00\x05"


class LossyProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._marker: bytes | None = None
        self._lock = threading.Lock()
        self.answers_lost = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_answer_to(self, marker: bytes) -> None:
        """Lose the answer to the next message that contains ``marker``."""
        with self._lock:
            self._marker = marker

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            losing = threading.Event()
            threading.Thread(
                target=self._upstream, args=(client, server, losing), daemon=True
            ).start()
            threading.Thread(
                target=self._downstream, args=(server, client, losing), daemon=True
            ).start()

    def _upstream(
        self, client: socket.socket, server: socket.socket, losing: threading.Event
    ) -> None:
        try:
            while data := client.recv(65536):
                with self._lock:
                    if self._marker is not None and self._marker in data:
                        self._marker = None
                        losing.set()
                server.sendall(data)
        except OSError:
            pass
        finally:
            _close(server)

    def _downstream(
        self, server: socket.socket, client: socket.socket, losing: threading.Event
    ) -> None:
        swallowed = b""
        try:
            while data := server.recv(65536):
                if not losing.is_set():
                    client.sendall(data)
                    continue
                swallowed += data
                if READY_FOR_QUERY in swallowed:
                    self.answers_lost += 1
                    break
        except OSError:
            pass
        finally:
            _close(client)
            _close(server)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()
