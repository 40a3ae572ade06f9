"""The examiner's signature on a submitted sheet: a drawn PNG, checked before it is stored."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib

from flask_babel import lazy_gettext as _l

from .errors import WorkflowError

SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_MAX_SIDE = 4000
SIGNATURE_MAX_PIXELS = 4_000_000


def decode_signature(data_url) -> bytes:
    """Return the PNG bytes of a ``data:image/png;base64,...`` signature, validated.

    The image is decoded with Pillow (a header that merely looks like PNG is not enough), and
    its size is checked before the pixels are decompressed, so a tiny file that declares a huge
    canvas is refused without being inflated.
    """
    prefix = "data:image/png;base64,"
    if not isinstance(data_url, str) or not data_url.startswith(prefix):
        raise WorkflowError("signature_required", _l("Sign the sheet before submitting."), 422)
    if len(data_url) > SIGNATURE_MAX_BYTES * 4 // 3 + len(prefix) + 4:
        raise WorkflowError("signature_too_large", _l("The signature image is too large."), 413)
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise WorkflowError("bad_signature", _l("The signature is not a PNG image."), 400) from None
    if not _decodes_as_png(png):
        raise WorkflowError("bad_signature", _l("The signature is not a PNG image."), 400)
    return png


def _decodes_as_png(png: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            width, height = image.size
            if not (1 <= width <= SIGNATURE_MAX_SIDE and 1 <= height <= SIGNATURE_MAX_SIDE
                    and width * height <= SIGNATURE_MAX_PIXELS):
                return False
            image.verify()  # every chunk's CRC, and a file that ends early
        with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error,
            Image.DecompressionBombError):
        return False
    # Pillow fills pixels it could not decode with zeros rather than failing: check that the
    # image data inflates to exactly the rows the header promises.
    return _pixel_data_complete(png, width, height)


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _pixel_data_complete(png: bytes, width: int, height: int) -> bool:
    depth, colour, _compression, _filter, interlace = struct.unpack(">BBBBB", png[24:29])
    if interlace or colour not in _CHANNELS:
        return False  # a drawn signature is never interlaced
    expected = height * (1 + (width * depth * _CHANNELS[colour] + 7) // 8)
    chunks, at = [], 8
    while at + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind == b"IDAT":
            chunks.append(png[at + 8:at + 8 + length])
        at += 12 + length
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(b"".join(chunks), expected + 1)
    except zlib.error:
        return False
    return len(data) == expected and inflater.eof
