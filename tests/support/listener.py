"""A TCP listener on 127.0.0.1 standing in for an outside host: it counts the connections it is sent."""

import socket
import threading

from .polling import wait_until


class Listener:
    """Accepts and closes every connection, recording where each came from."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.peers: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.socket.settimeout(0.2)  # to notice close()
        while not self._stop.is_set():
            try:
                conn, peer = self.socket.accept()
            except OSError:
                continue
            self.peers.append(peer)
            conn.close()

    def received(self) -> int:
        """How many connections others made up to now. A connection of our own goes through the same
        queue of pending connections, so once it has been accepted every earlier one has been counted."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as probe:
            mine = probe.getsockname()
            wait_until(lambda: mine in self.peers, timeout=5, what="the listener accepting a probe")
        index = self.peers.index(mine)
        others = self.peers[:index]
        del self.peers[index]
        return len(others)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.socket.close()
