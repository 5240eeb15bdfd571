"""Sign-in sessions kept per database (``leadcycle login``): the token of
a run is ``$LEADCYCLE_TOKEN``, else the one saved for the database."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import click

TOKEN_ENV = "LEADCYCLE_TOKEN"


def session_file(db_path: str) -> Path:
    """Where this user's session for ``db_path`` is kept."""
    key = hashlib.sha256(os.path.realpath(db_path).encode()).hexdigest()[:16]
    return Path(click.get_app_dir("leadcycle")) / "sessions" / f"{key}.token"


def saved_token(db_path: str) -> str | None:
    """The token of this run: ``$LEADCYCLE_TOKEN``, else the saved session."""
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token.strip()
    path = session_file(db_path)
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def save_token(db_path: str, token: str) -> Path:
    path = session_file(db_path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return path
