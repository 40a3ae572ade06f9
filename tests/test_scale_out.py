"""Two app servers behind nginx on one database: whichever server answers, nothing breaks.

Each server has its own instance folder (as on its own machine) and they share a storage
folder and the task queue (``tests/live_cluster.py``); requests alternate between the two
servers (directly, so every step is known to cross over), then go through nginx's round-robin.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL; skipped where nginx is missing.
"""

from __future__ import annotations

import base64
import io
import re
import time
import zipfile
from itertools import cycle
from pathlib import Path

import pytest
import requests
from doc_helpers import TINY_PNG, levels_for, prepare_signing, signed_world
from live_cluster import nginx_binary, start_cluster
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import ScoreSheet, User

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")

PASSWORD = "password-123"
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Alternating:
    """One browser whose every request goes to the next server in turn (same cookies)."""

    def __init__(self, bases: list[str]):
        self.http = requests.Session()
        self.bases = cycle(bases)
        self.csrf = ""

    def send(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return self.http.request(method, next(self.bases) + path, **kwargs)

    def page_token(self, path: str) -> str:
        """GET ``path`` and keep the CSRF token it carries."""
        page = self.send("GET", path)
        assert page.status_code == 200, (path, page.status_code)
        found = CSRF_META.search(page.text) or CSRF_FIELD.search(page.text)
        self.csrf = found.group(1)
        return self.csrf

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        token = self.page_token("/auth/login")
        return self.send("POST", "/auth/login", data={
            "username": username, "password": password, "csrf_token": token})

    def api(self, path: str, body: dict) -> requests.Response:
        return self.send("POST", path, json=body, headers={"X-CSRFToken": self.csrf,
                                                          "Accept": "application/json"})


@pytest.fixture
def world(app):
    """A session whose panel 1 has submitted every sheet; panel 2 still to score."""
    prepare_signing(app)
    with app.app_context():
        w = signed_world(app, candidates=3)
        open_aid = w.assignments[1][0].id
        return {"session_id": w.session.id, "panel1": w.panels[0].id, "open_aid": open_aid,
                "rubric": w.rubric,
                "sheet_id": db.session.scalar(select(ScoreSheet.id).where(
                    ScoreSheet.status == "submitted").limit(1))}


@pytest.fixture
def cluster(app, world, tmp_path):
    running = start_cluster(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "cluster",
                            signing=Path(app.instance_path) / app.config["SIGNING_DIR"],
                            env={"EXPORT_WORKERS": "1"})
    yield running
    running.stop()


def test_every_step_works_whichever_server_answers(app, world, cluster):
    a, b = cluster.servers
    # Logins and CSRF: the form comes from one server, the POST goes to the other.
    examiner = Alternating([a, b])
    assert examiner.login("ex21").status_code == 302
    home = examiner.send("GET", "/examine/")
    assert home.status_code == 200
    aid = world["open_aid"]
    token = examiner.page_token(f"/examine/{aid}/declare")          # server a
    declared = examiner.send("POST", f"/examine/{aid}/declare",       # server b
                             data={"relationship": "none", "csrf_token": token})
    assert declared.status_code == 302 and declared.headers["Location"].endswith(f"/{aid}")
    refused = examiner.send("POST", f"/examine/{aid}/declare", data={"relationship": "none"})
    assert refused.status_code == 400  # no CSRF token: refused by either server

    # The offline outbox: full drafts with sequence numbers, alternating servers, a late resend.
    examiner.page_token(f"/examine/{aid}")
    states = {seq: levels_for(world["rubric"], seq) for seq in range(1, 5)}
    for seq in range(1, 5):
        saved = examiner.api(f"/api/examine/{aid}/draft",
                             {"client_id": "tablet-1", "seq": seq, "scores": states[seq]})
        assert saved.status_code == 200 and saved.json()["applied"], saved.text
    late = examiner.api(f"/api/examine/{aid}/draft",
                        {"client_id": "tablet-1", "seq": 2, "scores": states[2]})
    assert late.status_code == 200 and late.json() == {"status": "draft", "applied": False,
                                                       "seq": 4}
    for _ in range(2):  # the state as both servers see it
        state = examiner.send("GET", f"/api/examine/{aid}/state").json()
        assert state["seq"] == 4 and state["scores"] == states[4]
    body = {"client_id": "tablet-1", "seq": 5, "scores": states[4],
            "signature": "data:image/png;base64," + base64.b64encode(
                TINY_PNG).decode()}
    first, again = examiner.api(f"/api/examine/{aid}/submit", body), examiner.api(
        f"/api/examine/{aid}/submit", body)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json()["content_hash"] == again.json()["content_hash"]

    # Login throttling counts failures on every server together (default: 5).
    guesser = Alternating([a, b])
    for _ in range(5):
        assert guesser.login("chair2", "wrong").status_code == 200
    assert guesser.login("chair2").status_code == 429  # the right password must wait now
    assert guesser.send("GET", "/examine/").status_code == 302

    # Documents: sealed once, stored in the database, the same bytes from either server.
    admin = Alternating([b, a])
    assert admin.login("admin", "admin-password").status_code == 302
    pdfs = [admin.send("GET", f"/documents/sheet/{world['sheet_id']}.pdf") for _ in range(2)]
    assert [p.status_code for p in pdfs] == [200, 200]
    assert pdfs[0].content.startswith(b"%PDF") and pdfs[0].content == pdfs[1].content

    # An export: started on one server, run by the worker, followed and downloaded on both.
    token = admin.page_token(f"/documents/session/{world['session_id']}")
    started = admin.send("POST", f"/documents/session/{world['session_id']}",
                         data={"panel": world["panel1"], "csrf_token": token})
    assert started.status_code == 302, started.text
    job = started.headers["Location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 45
    while True:
        progress = admin.send("GET", f"/documents/exports/{job}/progress").json()
        if progress["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert progress["status"] == "done" and progress["download_url"], (
        progress, (cluster.folder / "worker.log").read_text()[-2000:])
    zips = [admin.send("GET", progress["download_url"]) for _ in range(2)]
    assert [z.status_code for z in zips] == [200, 200] and zips[0].content == zips[1].content
    names = zipfile.ZipFile(io.BytesIO(zips[0].content)).namelist()
    assert sum(n.endswith(".pdf") for n in names) == 9

    # An import: previewed on one server, confirmed on the other (the shared storage folder).
    token = admin.page_token("/manage/import/examiners")
    preview = admin.send("POST", "/manage/import/examiners", data={"csrf_token": token},
                         files={"file": ("people.csv", b"username,full_name\nnew1,New One\n")})
    assert preview.status_code == 200, preview.text
    upload = re.search(r'name="token" value="([0-9a-f]{32})"', preview.text).group(1)
    confirm_token = CSRF_FIELD.search(preview.text).group(1)
    done = admin.send("POST", "/manage/import/examiners/confirm",
                      data={"token": upload, "csrf_token": confirm_token})
    assert done.status_code == 302, done.text

    # Logging out on one server ends the login on the other.
    examiner.page_token("/examine/")
    assert examiner.send("POST", "/auth/logout", data={"csrf_token": examiner.csrf}
                         ).status_code == 302
    assert examiner.send("GET", "/examine/").status_code == 302  # to the login page

    # Through nginx: round-robin over both servers, /healthz for the proxy.
    proxied = Alternating([cluster.proxy])
    assert proxied.login("chair1").status_code == 302
    for _ in range(6):
        assert proxied.send("GET", f"/chair/panels/{world['panel1']}/state").status_code == 200
    health = requests.get(cluster.proxy + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    served = [(cluster.folder / f"access-{i}.log").read_text().count("/state") for i in (0, 1)]
    assert min(served) >= 2, served  # both servers answered the proxied board polls

    with app.app_context():
        sheet = db.session.scalar(select(ScoreSheet).where(
            ScoreSheet.assignment_id == aid, ScoreSheet.examiner_id == db.session.scalar(
                select(User.id).where(User.username == "ex21"))))
        assert sheet.status == "submitted" and sheet.client_seq == 5
        assert sheet.signature_png.startswith(b"\x89PNG")
        assert db.session.scalar(select(User.id).where(User.username == "new1"))


def test_the_deployed_nginx_configuration_is_valid(tmp_path):
    """``nginx -t`` on deploy/nginx/scoring.conf as shipped (a test certificate in place)."""
    import datetime as dt
    import subprocess

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from live_cluster import ROOT

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nilai.example.go.id")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    site = (ROOT / "deploy" / "nginx" / "scoring.conf").read_text()
    site = (site.replace("/etc/ssl/certs/nilai.example.go.id.pem", str(tmp_path / "cert.pem"))
            .replace("/etc/ssl/private/nilai.example.go.id.key", str(tmp_path / "key.pem"))
            .replace("/etc/nginx/snippets/scoring-proxy.conf",
                     str(ROOT / "deploy" / "nginx" / "scoring-proxy.conf")))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n"
        f"    access_log {tmp_path}/access.log;\n    client_body_temp_path {tmp_path}/b;\n"
        f"    proxy_temp_path {tmp_path}/p;\n    include {tmp_path}/site.conf;\n}}\n")
    checked = subprocess.run([nginx_binary(), "-t", "-e", str(tmp_path / "error.log"),
                              "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
