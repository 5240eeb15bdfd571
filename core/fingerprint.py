"""What a stored value was computed by, as a hash of source files: stored
projections and ownership folds carry one, and a program whose code differs
(an upgrade, a plugin's new release) does not trust them (issue #17)."""

from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path


def version_tag(text: str) -> str:
    """A version as every stored row carries it: 48 bits of ``text``'s
    sha256 in eight characters (base64url), against sixteen hex characters
    for 64 — in the row and again in its index (issue #17). Two different
    versions share a tag once in 2⁴⁸."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:6]).decode()


@functools.lru_cache(maxsize=8)
def source_hash(files: tuple[Path, ...]) -> str:
    """A short hash of ``files``' names and bytes, once per process; a file
    that cannot be read (a zip, a frozen build) counts by its path, and the
    program's version then stands for it."""
    digest = hashlib.sha256()
    for path in files:
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(str(path).encode())
    return digest.hexdigest()[:16]
