"""What a stored value was computed by, as a hash of source files: stored
projections and ownership folds carry one, and a program whose code differs
(an upgrade, a plugin's new release) does not trust them (issue #17)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


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
