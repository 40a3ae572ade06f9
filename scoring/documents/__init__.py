"""Signed documents: plain-data contexts, HTML to PDF, PAdES sealing, QR codes.

``context`` is the only module here that reads the database; ``render``, ``signing`` and
``qr`` work on plain data and bytes.
"""
