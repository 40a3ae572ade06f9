"""Instance secrets: the Flask secret key and the institution's signing key and certificate."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from .private_files import private_dir, write_private


def ensure_secret_key(instance: Path) -> bool:
    """Write ``instance/secret_key`` if missing; return whether it was created."""
    path = instance / "secret_key"
    if path.exists():
        return False
    write_private(path, secrets.token_hex(32) + "\n")
    return True


def ensure_signing_key(folder: Path, organisation: str = "Demo Institution (self-signed)") -> bool:
    """Create a self-signed EC P-256 key and certificate for the demo if none exists.

    Production installations configure ``SIGNING_PKCS12`` with a certificate from a licensed
    certification authority (PSrE, e.g. BSrE) instead; see the README.

    Long because the certificate is one builder expression (name, validity, key usages), read
    best whole, as the X.509 profile it writes.
    """
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    if key_path.exists() and cert_path.exists():
        return False
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private_dir(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, "scoring document seal"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    write_private(key_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return True
