"""A PgBouncer in transaction-pooling mode on a free loopback port, in front of
the test server, for running the contract suite through it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = transaction
; As the README advises: no session state passes from one client to another.
server_reset_query = DISCARD ALL
server_reset_query_always = 1
; psycopg sends TimeZone and statement_timeout as startup options, which
; PgBouncer cannot pass on: convstore reads any time zone correctly, and
; behind PgBouncer statement_timeout belongs on the role or the database.
ignore_startup_parameters = extra_float_digits,options
max_client_conn = 200
default_pool_size = 20
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""


def installed() -> bool:
    return Path(PGBOUNCER).is_file()


class PgBouncer:
    """Started on enter, stopped on exit; ``url(server_url)`` routes a database through it."""

    def __enter__(self) -> PgBouncer:
        self.folder = tempfile.mkdtemp(prefix="convstore-pgbouncer-")
        os.chmod(self.folder, 0o777)  # PgBouncer drops root for the postgres user
        self.port = _free_port()
        return self

    def start(self, server_url: str) -> None:
        server = urlsplit(server_url)
        users = Path(self.folder, "users.txt")
        users.write_text(f'"{server.username}" ""\n')
        config = Path(self.folder, "pgbouncer.ini")
        config.write_text(
            CONFIG.format(
                host=server.hostname,
                port=server.port or 5432,
                listen_port=self.port,
                folder=self.folder,
            )
        )
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen([PGBOUNCER, *as_user, str(config)])
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"PgBouncer did not start; see {self.folder}/pgbouncer.log")

    def url(self, server_url: str) -> str:
        server = urlsplit(server_url)
        return server._replace(netloc=f"{server.username}@127.0.0.1:{self.port}").geturl()

    def __exit__(self, *exc_info: object) -> None:
        if hasattr(self, "process"):
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
