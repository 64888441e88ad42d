"""nginx, as docs/deploy/nginx.conf configures it, in front of real newsfinder servers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import PROJECT_DIR, free_port

DEPLOY = PROJECT_DIR / "docs" / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


class Proxy:
    """nginx with the documented configuration, balancing over ``app_ports``, on a port of its own."""

    def __init__(self, folder: Path, app_ports: list[int]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        for name in ("nginx.conf", "newsfinder-api-error-headers.conf"):
            shutil.copy(DEPLOY / name, folder / name)
        site = (folder / "nginx.conf").read_text()
        upstream = "".join(f"server 127.0.0.1:{port};\n    " for port in app_ports).rstrip()
        site = site.replace("server 127.0.0.1:8000;", upstream).replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        (folder / "nginx.conf").write_text(site)
        (folder / "main.conf").write_text(f"""
            daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;
            events {{}}
            http {{
                access_log off;
                client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
                fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
                include nginx.conf;
            }}""")
        self.process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "main.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None, self.process.stderr.read().decode()
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
