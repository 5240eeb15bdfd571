"""Errors the operator sees as one line."""


class LeadcycleError(Exception):
    """A domain error: what was wrong and what to do, in one line.

    The CLI turns it into ``Error: <message>`` and exit code 1; nothing has
    been written when it is raised inside a transaction.

    Give the message as a template and its values as keywords —
    ``LeadcycleError(N_("unknown agent {name!r}"), name=name)`` — and the
    CLI prints it in the reader's language (:meth:`translated`); ``str(e)``
    is always the English text. A message given whole is printed as it is,
    translated only when the catalog has that exact text. A value that is
    itself a message (:func:`leadcycle.i18n.M_`, "the pool") or a domain
    error (``item 2: {error}``) is shown in the reader's language too.
    """

    def __init__(self, message: str = "", /, **params):
        self.message, self.params = message, params
        if params:
            from leadcycle.i18n import render  # a list of messages reads as one text, "; "-joined

            message = message.format(**{k: render(v, "en") for k, v in params.items()})
        super().__init__(message)

    def translated(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        from leadcycle.i18n import _, render

        text = _(str(self.message), lang)
        if not self.params:
            return text
        params = {k: v.translated(lang) if isinstance(v, LeadcycleError) else render(v, lang)
                  for k, v in self.params.items()}
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder
            return str(self)


class NotFound(LeadcycleError):
    """An id or name that does not exist."""


class Refused(LeadcycleError):
    """A rule forbids the action (not a manager, outside a window…)."""
