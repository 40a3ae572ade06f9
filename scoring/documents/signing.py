"""PAdES sealing with the institution's key, and validation against its certificate.

The signer is loaded once per process and key material (cached by file path and mtime):
either the PEM key and certificate ``scoring init`` writes to ``instance/signing/`` (a
self-signed EC P-256 demo seal), or a PKCS#12 file from a licensed certification authority
(``SIGNING_PKCS12``). pyHanko's ``SimpleSigner`` re-parses the private key on every signature,
which costs ~130 ms per call for RSA-3072; :class:`CachedKeySigner` parses it once.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko import stamp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

__all__ = ["CachedKeySigner", "SigningError", "SigningKey", "Verdict", "load_signing_key",
           "sign_pdf", "validate_pdf"]

FIELD_NAME = "InstitutionSeal"
# Stamp drawn by pyHanko inside the field: nothing. The visible text is part of the HTML page.
_NO_STAMP = stamp.TextStampStyle(stamp_text=" ", border_width=0, background=None)


class SigningError(RuntimeError):
    """The institution's signing key is missing or unusable."""


class CachedKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that parses its private key once instead of on every signature."""

    _parsed = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` with the cached key (RSA PKCS#1 v1.5 or ECDSA; others: pyHanko's)."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if self._parsed is None:
            self._parsed = serialization.load_der_private_key(self.signing_key.dump(), None)
        key, hash_algo = self._parsed, get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


@dataclass(frozen=True)
class SigningKey:
    """The loaded signer and the certificate validation trusts as its root."""

    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    source: str

    @property
    def subject(self) -> str:
        """Return the certificate's organisation and common name, readable."""
        names = self.certificate.subject.native
        parts = [names.get("organization_name"), names.get("common_name")]
        return ", ".join(p for p in parts if p) or self.certificate.subject.human_friendly


_cache: dict[tuple, SigningKey] = {}
_cache_lock = threading.Lock()


def _stamp(path: Path) -> tuple[str, float]:
    try:
        return str(path), path.stat().st_mtime
    except FileNotFoundError:
        return str(path), -1.0


def load_signing_key(folder: Path, pkcs12: str | None = None,
                     passphrase: str | None = None) -> SigningKey:
    """Return the institution's signer (PKCS#12 if given, else folder/key.pem + cert.pem)."""
    paths = [Path(pkcs12)] if pkcs12 else [folder / "key.pem", folder / "cert.pem"]
    key = tuple(_stamp(p) for p in paths) + ((passphrase or ""),)
    with _cache_lock:
        if key not in _cache:
            _cache.clear()  # one institution key per process; drop a replaced one
            _cache[key] = _load(paths, pkcs12, passphrase)
        return _cache[key]


def _load(paths: list[Path], pkcs12: str | None, passphrase: str | None) -> SigningKey:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SigningError(f"signing key not found ({', '.join(missing)}): run `scoring init` "
                           "or set SIGNING_PKCS12")
    secret = passphrase.encode() if passphrase else None
    if pkcs12:
        loaded = signers.SimpleSigner.load_pkcs12(pkcs12, passphrase=secret)
    else:
        loaded = signers.SimpleSigner.load(str(paths[0]), str(paths[1]), key_passphrase=secret)
    if loaded is None:
        raise SigningError(f"could not read the signing key from {', '.join(map(str, paths))}")
    # pyHanko's loaders build a plain SimpleSigner whatever class they are called on.
    signer = CachedKeySigner(loaded.signing_cert, loaded.signing_key, loaded.cert_registry,
                             signature_mechanism=loaded.signature_mechanism,
                             prefer_pss=loaded.prefer_pss)
    return SigningKey(signer, signer.signing_cert, str(paths[0]))


def sign_pdf(pdf: bytes, key: SigningKey, field_box: tuple[float, float, float, float] | None,
             page: int = 0, *, reason: str = "", location: str = "") -> bytes:
    """Certify ``pdf`` with a visible signature field at ``field_box`` (PDF points) on ``page``.

    The signature is PAdES (sub-filter ETSI.CAdES.detached, with the signing certificate as a
    signed attribute), and the certification allows no later change (DocMDP level 1): any
    incremental update made after sealing makes validation fail.
    """
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, reason=reason or None, location=location or None,
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    spec = fields.SigFieldSpec(FIELD_NAME, on_page=page,
                               box=tuple(round(v, 2) for v in field_box) if field_box else None)
    pdf_signer = signers.PdfSigner(meta, key.signer, stamp_style=_NO_STAMP, new_field_spec=spec)
    return pdf_signer.sign_pdf(writer).getvalue()


@dataclass(frozen=True)
class Verdict:
    """The answer about a PDF: ``valid``, ``invalid`` or ``foreign``; ``code`` says why."""

    status: str
    code: str
    reason: str

    @property
    def valid(self) -> bool:
        return self.status == "valid"


# pyHanko logs a traceback for every suspicious file before returning its verdict.
logging.getLogger("pyhanko.sign.diff_analysis").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko.sign.validation").setLevel(logging.CRITICAL)


def validate_pdf(pdf: bytes, key: SigningKey) -> Verdict:
    """Validate the PDF's signatures with the institution's certificate as the only trust root.

    ``foreign``: unsigned, or signed by another key; ``invalid``: not a readable PDF, a
    signature that does not match the bytes, changes after sealing, or a validation that
    raises; ``valid``: sealed by this institution and unchanged since.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # a damaged file can fail anywhere in the parser
        return Verdict("invalid", "unreadable", f"not a readable PDF ({type(exc).__name__})")
    if not signatures:
        return Verdict("foreign", "unsigned", "the PDF carries no digital signature")
    context = ValidationContext(trust_roots=[key.certificate], allow_fetching=False)
    try:
        ours = [s for s in signatures if s.signer_cert.sha256 == key.certificate.sha256]
    except Exception as exc:  # a damaged signature can hide its certificate
        return Verdict("invalid", "damaged", f"the signature is damaged ({type(exc).__name__})")
    if not ours:
        return Verdict("foreign", "other_signer", "signed by another certificate")
    try:
        status = validate_pdf_signature(ours[0], context)
    except Exception as exc:  # pyHanko raises on some kinds of damage
        return Verdict("invalid", "damaged",
                       f"the signature could not be validated ({type(exc).__name__})")
    if not (status.intact and status.valid):
        return Verdict("invalid", "mismatch", "the content does not match the signature")
    if not status.docmdp_ok or status.coverage.name != "ENTIRE_FILE" or len(signatures) > 1:
        return Verdict("invalid", "changed", "the document was changed after it was sealed")
    if not status.bottom_line:
        return Verdict("invalid", "untrusted", "the signature is not trusted")
    return Verdict("valid", "ok", "sealed by this institution and unchanged")

