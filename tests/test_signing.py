"""PAdES sealing and validation: genuine, tampered, foreign; RSA keys parsed once; safe fetcher."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from doc_helpers import append_incremental_update, change_signature_hex, flip_signed_byte

from scoring.documents.render import render_pdf
from scoring.documents.signing import load_signing_key, sign_pdf, validate_pdf
from scoring.ops.keys import ensure_signing_key

HTML = """<!doctype html><html><body><h1>Lembar penilaian P1-001</h1>
<div id="signature-box" style="width: 60mm; height: 20mm; border: 1px solid">seal</div>
</body></html>"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Return the institution key and a second, foreign key (both self-signed EC P-256)."""
    ours, theirs = tmp_path_factory.mktemp("ours"), tmp_path_factory.mktemp("theirs")
    ensure_signing_key(ours)
    ensure_signing_key(theirs, organisation="Somebody Else")
    return load_signing_key(ours), _foreign(theirs)


def _foreign(folder):
    from scoring.documents.signing import _load

    return _load([folder / "key.pem", folder / "cert.pem"], None, None)


@pytest.fixture(scope="module")
def rendered():
    return render_pdf(HTML, "@page { size: A4; margin: 20mm }")


@pytest.fixture(scope="module")
def sealed(keys, rendered):
    return sign_pdf(rendered.pdf, keys[0], rendered.signature_box, rendered.signature_page)


def test_signature_box_is_located_in_pdf_points(rendered):
    x1, y1, x2, y2 = rendered.signature_box
    assert rendered.signature_page == 0
    assert x2 - x1 == pytest.approx(60 / 25.4 * 72, abs=2)  # 60 mm wide
    assert y2 - y1 == pytest.approx(20 / 25.4 * 72, abs=2)
    assert 0 < y1 < y2 < 842 and x1 == pytest.approx(20 / 25.4 * 72 + 6, abs=3)


def test_seal_is_a_pades_signature(sealed):
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Type"] == "/Sig"


def test_genuine_pdf_validates(keys, sealed):
    verdict = validate_pdf(sealed, keys[0])
    assert (verdict.status, verdict.code) == ("valid", "ok")


def test_the_visible_field_sits_over_the_box(keys, sealed, rendered):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(sealed))
    field = reader.root["/AcroForm"]["/Fields"][0]
    rect = [float(v) for v in field["/Rect"]]
    assert rect == pytest.approx(list(rendered.signature_box), abs=0.05)


def test_flipped_byte_in_signed_range_is_invalid(keys, sealed):
    assert validate_pdf(flip_signed_byte(sealed), keys[0]).status == "invalid"


def test_changed_hex_digit_in_signature_is_invalid(keys, sealed):
    assert validate_pdf(change_signature_hex(sealed), keys[0]).status == "invalid"


def test_incremental_update_after_signing_is_invalid(keys, sealed):
    verdict = validate_pdf(append_incremental_update(sealed), keys[0])
    assert (verdict.status, verdict.code) == ("invalid", "changed")


def test_appended_bytes_are_invalid(keys, sealed):
    assert validate_pdf(sealed + b"\n%%EOF\n", keys[0]).status == "invalid"


def test_unsigned_and_foreign_pdfs_are_not_ours(keys, rendered):
    ours, theirs = keys
    assert validate_pdf(rendered.pdf, ours).code == "unsigned"
    other = sign_pdf(rendered.pdf, theirs, None)
    assert validate_pdf(other, ours).status == "foreign"


def test_garbage_is_invalid_not_an_exception(keys):
    assert validate_pdf(b"%PDF-1.7\n garbage", keys[0]).status == "invalid"
    assert validate_pdf(b"", keys[0]).status == "invalid"


def test_signer_is_cached_until_the_key_changes(tmp_path):
    ensure_signing_key(tmp_path)
    first = load_signing_key(tmp_path)
    assert load_signing_key(tmp_path) is first
    (tmp_path / "key.pem").unlink()
    (tmp_path / "cert.pem").unlink()
    ensure_signing_key(tmp_path)
    assert load_signing_key(tmp_path) is not first


def _rsa_pkcs12(path, passphrase: bytes) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "BSrE test seal")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"seal", key, cert, None, serialization.BestAvailableEncryption(passphrase)))


def test_rsa_pkcs12_signs_validates_and_parses_the_key_once(tmp_path, rendered, monkeypatch):
    _rsa_pkcs12(tmp_path / "seal.p12", b"secret")
    key = load_signing_key(tmp_path, str(tmp_path / "seal.p12"), "secret")
    calls = []
    real = serialization.load_der_private_key
    monkeypatch.setattr(serialization, "load_der_private_key",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    start = time.perf_counter()
    pdfs = [sign_pdf(rendered.pdf, key, rendered.signature_box, 0) for _ in range(3)]
    elapsed = (time.perf_counter() - start) / 3
    assert len(calls) <= 1  # pyHanko's SimpleSigner would parse it twice per PDF
    assert all(validate_pdf(p, key).status == "valid" for p in pdfs)
    assert elapsed < 1.0


def test_fetcher_refuses_files_and_remote_urls(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not really")
    for url in (secret.as_uri(), "https://example.com/x.png", "http://127.0.0.1:1/x.css"):
        with pytest.raises(BaseException, match="refused|Error fetching"):
            render_pdf(f'<img src="{url}"><p>x</p>')
    assert render_pdf('<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/'
                      'svg%22 width=%221%22 height=%221%22/%3E"><p>x</p>').pages == 1
