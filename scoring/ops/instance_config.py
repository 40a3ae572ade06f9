"""The starting ``instance/config.py`` that ``scoring init`` writes (never overwritten)."""

from __future__ import annotations

import os
from pathlib import Path

TEMPLATE = '''\
# scoring: this installation's settings (Python). See the README, "Configuration" and "Security".

# The public address of this site: the QR codes and verify links of sealed documents point here.
PUBLIC_BASE_URL = "{base_url}"

# Behind a reverse proxy (nginx, Caddy): how many proxies to believe for X-Forwarded-For/-Proto.
# PROXY_HOPS = 1
# The host names this site answers to; others get 400.
# TRUSTED_HOSTS = ["nilai.example.go.id"]
# Cookies are Secure over HTTPS ("auto"); True forces it.
# COOKIE_SECURE = "auto"
# Minutes without activity after which a login ends on the server.
# LOGIN_IDLE_MINUTES = 30
'''


def ensure_instance_config(instance: Path, base_url: str = "http://127.0.0.1:5000") -> bool:
    """Write ``instance/config.py`` with PUBLIC_BASE_URL if there is none; return whether."""
    path = instance / "config.py"
    if path.exists():
        return False
    path.write_text(TEMPLATE.format(base_url=base_url))
    os.chmod(path, 0o600)
    return True
