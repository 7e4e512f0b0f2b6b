"""Errors that services and selectors raise; views and the API turn them into responses."""

from django.http import Http404


class NotFound(Http404):
    """A row that does not exist, or belongs to another workspace: the same answer for both."""


class ValidationFailed(Exception):
    """Bad input. `errors` maps a field name (or "__all__") to its messages."""

    def __init__(self, errors: dict[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class Conflict(ValidationFailed):
    """Input that is well formed but clashes with what is stored (a name or address that is
    taken, too many fields in all). Pages show it as any other input error; the API answers
    409, so a request its schema calls valid is never a 422."""


class PermissionDenied(Exception):
    """The acting member may not do this."""
