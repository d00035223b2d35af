"""Run the site in a background thread beside something else (the scheduler, the demo).

    site = BackgroundSite(db_path, host="127.0.0.1", port=8000, public_url=None).start()
    print(site.url)      # http://127.0.0.1:8000
    ...
    site.stop()
"""
from __future__ import annotations

import socket
import threading
import time


class SiteError(Exception):
    """The site could not start (one line for the user)."""


class BackgroundSite:
    def __init__(self, db_path, *, host: str = "127.0.0.1", port: int = 8000,
                 public_url: str | None = None, datasette: bool = True):
        self.db_path, self.host, self.port = str(db_path), host, port
        self.public_url, self.datasette = public_url, datasette
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> "BackgroundSite":
        import uvicorn

        from .app import create_app
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family) as probe:  # one clear line rather than uvicorn's log
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((self.host, self.port))
            except OSError as exc:
                raise SiteError(f"the web site cannot listen on {self.host}:{self.port}: "
                                f"{exc.strerror or exc}") from None
            self.port = probe.getsockname()[1]
        app = create_app(self.db_path, public_url=self.public_url, datasette=self.datasette)
        config = uvicorn.Config(app, host=self.host, port=self.port, log_level="warning",
                                access_log=False, server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise SiteError(f"the web site could not listen on {self.host}:{self.port}")
            if time.monotonic() > deadline:
                self.stop()
                raise SiteError(f"the web site did not start within {timeout:.0f} s")
            time.sleep(0.05)
        return self

    def stay_up(self, echo=print) -> None:
        """Keep serving until Ctrl-C (the demo with ``--keep``)."""
        echo(f"The web site stays up at {self.url}/ until Ctrl-C.")
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            echo("")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None
