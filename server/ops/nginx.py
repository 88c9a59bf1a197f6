"""An nginx config for N peer-rooms processes behind one address.

`hash $remote_addr consistent` keeps a client on one process: Socket.IO's
long-polling sends each request separately and they must reach the same process.
The WebSocket upgrade headers are passed through; nginx logs no addresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

_TEMPLATE = """\
worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {run}/body;
  proxy_temp_path {run}/proxy;
  fastcgi_temp_path {run}/fastcgi;
  uwsgi_temp_path {run}/uwsgi;
  scgi_temp_path {run}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream peer_rooms {{
    hash $remote_addr consistent;
{servers}
  }}
  server {{
    listen {listen}{tls};
    location / {{
      proxy_pass http://peer_rooms;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_read_timeout 90s;
    }}
  }}
}}
"""


def nginx_config(listen: str, backends: Sequence[str], run_dir: Path,
                 tls: tuple[Path, Path] | None = None) -> str:
    """The config text: `listen` like "127.0.0.1:8080", backends like "127.0.0.1:8081";
    `tls` (certificate, key) makes nginx terminate HTTPS on `listen`."""
    servers = "\n".join(f"    server {backend};" for backend in backends)
    tls_lines = (f" ssl;\n    ssl_certificate {tls[0]};\n    ssl_certificate_key {tls[1]}"
                 if tls else "")
    return _TEMPLATE.format(run=run_dir, servers=servers, listen=listen, tls=tls_lines)
