"""Errors the operator sees as one line."""


class LeadcycleError(Exception):
    """A domain error: what was wrong and what to do, in one line.

    The CLI turns it into ``Error: <message>`` and exit code 1; nothing has
    been written when it is raised inside a transaction.
    """


class NotFound(LeadcycleError):
    """An id or name that does not exist."""


class Refused(LeadcycleError):
    """A rule forbids the action (not a manager, outside a window…)."""
