"""The ``leadcycle`` command line: the operator's home.

Global options come before the command: ``leadcycle --db office.db --now
2026-03-05T10:00 due``. Every command that prints records takes ``--json``.
Errors are one line and a non-zero exit; set ``LEADCYCLE_RAISE_ERRORS=1``
for the traceback.
"""

from __future__ import annotations

import sys

# the group and its parts live in .app, so that the command modules import
# it and never this package; leadcycle.cli:cli stays the entry point
from .app import (CLICK_MODULES, Env, LeadcycleCommand, LeadcycleContext, LeadcycleFormatter,  # noqa: F401
                  LeadcycleGroup, OneLine, TranslatedGroup, cli, translate_help)

from . import commands  # noqa: E402,F401  (registers the core commands)
from . import ownership  # noqa: E402,F401  (registers the ownership commands)
from . import stages  # noqa: E402,F401  (leadcycle advance)
from . import io  # noqa: E402,F401  (import, export)
from . import auth  # noqa: E402,F401  (login, logout, whoami, agent password/role)
from . import find  # noqa: E402,F401  (find)
from . import reports  # noqa: E402,F401  (report html/daily, notify, serve)
from . import safety  # noqa: E402,F401  (verify, backup)
from . import revisit  # noqa: E402,F401  (the revisit workflow)


def main() -> None:  # pragma: no cover
    cli(prog_name="leadcycle")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
