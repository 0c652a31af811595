"""Trust in a shared reference set: is it the set its publisher made?

A set checks itself against accidents (its rows against the checksum in its manifest), but a forger
who edits the rows can recompute that checksum too. What a forger cannot change is something
published apart from the set:

- its **checksum** (:attr:`ReferenceSet.set_sha256`: SHA-256 of the canonical manifest, which records
  the rows file's checksum), printed in the README or a release's notes;
- its publisher's **public key**: a detached Ed25519 signature of the canonical manifest, ``NAME.sig``
  beside ``NAME.json``, made with the publisher's private key (``reference sign``). Keys are OpenSSH
  Ed25519 keys (``ssh-keygen -t ed25519``); a key's ID is its OpenSSH fingerprint (``SHA256:...``,
  what ``ssh-keygen -l -f KEY`` prints).

Signing and checking a signature need the ``cryptography`` package (``pip install
'imputebench[trust]'``), imported only here; a checksum needs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ...errors import UsageError
from .files import ReferenceSet, ReferenceSetError, canonical_manifest
from .schema import published_sha256

SIGNATURE_FORMAT = 1
# What is signed: a fixed prefix (a signature of a set cannot pass as one of anything else) and the
# canonical manifest.
SIGNED_PREFIX = b"imputebench reference set, signature format 1\n"
PASSPHRASE_VARIABLE = "IMPUTEBENCH_KEY_PASSPHRASE"


@dataclass(frozen=True)
class Authenticity:
    """One verdict of ``reference verify``: how the set was checked, whether it passed, in words."""

    method: str  # "signature", "checksum" or "unchecked"
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{self.method}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _crypto() -> tuple[Any, Any]:
    """``cryptography``'s key serialisation and Ed25519 modules (the ``trust`` extra)."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise UsageError("signatures need the 'cryptography' package: pip install 'imputebench[trust]' "
                         "(a published checksum needs nothing: --checksum SHA256)") from None
    return serialization, ed25519


# -- keys -------------------------------------------------------------------------------------------
def key_id(public_key: Any) -> str:
    """A public key's ID: its OpenSSH fingerprint, as ``ssh-keygen -l -f KEY`` prints it."""
    serialization, _ = _crypto()
    line = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def load_public_key(key: str) -> Any:
    """An Ed25519 public key from a file (OpenSSH ``.pub`` or PEM) or from its OpenSSH text itself
    (``ssh-ed25519 AAAA...``, as a README prints it)."""
    serialization, ed25519 = _crypto()
    path = Path(key).expanduser()
    try:
        data = path.read_bytes() if not key.lstrip().startswith("ssh-") and path.is_file() else key.encode()
    except OSError as exc:
        raise UsageError(f"cannot read the public key {key!r}: {exc.strerror}") from None
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        public = (serialization.load_pem_public_key(data) if data.lstrip().startswith(b"-----BEGIN")
                  else serialization.load_ssh_public_key(data.strip()))
    except (ValueError, TypeError, IndexError, UnsupportedAlgorithm):
        raise UsageError(f"{key!r} is neither a public key file nor a key's text; give the publisher's "
                         "Ed25519 key, e.g. 'ssh-ed25519 AAAA...' or the path of its .pub file") from None
    if not isinstance(public, ed25519.Ed25519PublicKey):
        raise UsageError(f"the public key {key!r} is not an Ed25519 key; reference sets are signed with Ed25519")
    return public


def load_private_key(path: Path) -> Any:
    """An Ed25519 private key from a file: OpenSSH (``ssh-keygen -t ed25519``) or PEM; a key with a
    passphrase reads it from ``$IMPUTEBENCH_KEY_PASSPHRASE``."""
    serialization, ed25519 = _crypto()
    data = Path(path).read_bytes()
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    password = passphrase.encode() if passphrase else None
    load = (serialization.load_ssh_private_key if b"OPENSSH PRIVATE KEY" in data
            else serialization.load_pem_private_key)
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        private = load(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        hint = f" (set ${PASSPHRASE_VARIABLE} for a key with a passphrase)" if password is None else ""
        raise UsageError(f"cannot read the private key {str(path)!r}: {exc}{hint}") from None
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise UsageError(f"the private key {str(path)!r} is not an Ed25519 key; make one with "
                         "`ssh-keygen -t ed25519 -f KEY`")
    return private


# -- signatures -------------------------------------------------------------------------------------
def sign_reference(ref: ReferenceSet, private_key_path: Path, *, now: datetime | None = None) -> dict[str, Any]:
    """Sign the set (its rows are checked against its manifest first) and write ``NAME.sig`` beside
    its manifest; returns what it wrote."""
    from ...atomic import atomic_write

    ref.check()  # never sign rows that do not match the manifest
    private = load_private_key(private_key_path)
    signature = private.sign(SIGNED_PREFIX + canonical_manifest(ref.manifest))
    record = {"format": SIGNATURE_FORMAT, "algorithm": "ed25519", "set": ref.name, "set_sha256": ref.set_sha256,
              "key_id": key_id(private.public_key()),
              "signed_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
              "signature": base64.b64encode(signature).decode()}
    text = json.dumps(record, indent=1).encode() + b"\n"
    atomic_write(ref.signature_path, lambda f: f.write(text))
    return record


def read_signature(ref: ReferenceSet) -> dict[str, Any] | None:
    """The set's detached signature record, None when it has none; a damaged one is an error."""
    path = ref.signature_path
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        ok = (isinstance(record, dict) and record.get("format") == SIGNATURE_FORMAT
              and record.get("algorithm") == "ed25519" and isinstance(record.get("key_id"), str)
              and len(base64.b64decode(record.get("signature", ""), validate=True)) == 64)
    except (OSError, ValueError, TypeError):
        ok = False
    if not ok:
        raise ReferenceSetError(f"the signature file {path} is damaged (not an imputebench Ed25519 signature, "
                                f"format {SIGNATURE_FORMAT}); ask the publisher for the set again")
    return record


def _rows_problem(ref: ReferenceSet) -> str | None:
    try:
        ref.check()
    except ReferenceSetError as exc:
        return str(exc)
    return None


def check_signature(ref: ReferenceSet, public_key: str) -> Authenticity:
    """Is the set signed by the holder of ``public_key`` (the publisher's, published apart from the set)?"""
    public = load_public_key(public_key)
    published_id = key_id(public)
    record = read_signature(ref)
    if record is None:
        return Authenticity("signature", False, f"none: {ref.signature_path.name} is not beside the set, so it "
                                                "cannot be checked against a key (ask its publisher for it)")
    if record["key_id"] != published_id:
        return Authenticity("signature", False, f"made with key ID {record['key_id']}, not with the published key "
                                                f"{published_id}: this is not the publisher's set")
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(base64.b64decode(record["signature"]), SIGNED_PREFIX + canonical_manifest(ref.manifest))
    except InvalidSignature:
        return Authenticity("signature", False, f"does not match the set: its manifest changed after it was signed, "
                                                f"or not key ID {published_id} signed it (set sha256 now "
                                                f"{ref.set_sha256})")
    rows = _rows_problem(ref)
    if rows:
        return Authenticity("signature", False, f"the manifest is the signed one, but {rows}")
    return Authenticity("signature", True, f"verified with key ID {published_id} (signed {record.get('signed_at')}); "
                                           "the rows match the signed manifest")


def check_checksum(ref: ReferenceSet, published: str) -> Authenticity:
    """Is the set the one whose checksum was published (README, release notes)?"""
    expected = published_sha256(published)
    if ref.set_sha256 != expected:
        return Authenticity("checksum", False, f"the set's sha256 is {ref.set_sha256}, the published one is "
                                               f"{expected}: this is not the published set (edited, forged or "
                                               "another version)")
    rows = _rows_problem(ref)
    if rows:
        return Authenticity("checksum", False, f"the manifest is the published one, but {rows}")
    return Authenticity("checksum", True, f"matches the published sha256 {expected}; the rows match its manifest")


def authenticity(ref: ReferenceSet, *, public_key: str | None = None, checksum: str | None = None) -> list[Authenticity]:
    """What ``reference verify`` checked of the set's origin: its signature against a published key, its
    checksum against a published one, or, given neither, its rows against its own manifest only."""
    checks = ([check_signature(ref, public_key)] if public_key else []) + (
        [check_checksum(ref, checksum)] if checksum else [])
    if checks:
        return checks
    rows = _rows_problem(ref)
    how = ("--public-key KEY (the set is signed) or --checksum SHA256" if ref.signature_path.is_file()
           else "--checksum SHA256 from its release notes or README")
    return [Authenticity("unchecked", rows is None, rows or (
        f"the rows match the set's own manifest, which catches damage but not a forged set; give {how} "
        "to check it is the published set"))]
