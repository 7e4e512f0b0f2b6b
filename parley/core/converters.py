"""Path converters for the pages' URLs."""

from parley.core.text import MAX_ID


class IdConverter:
    """A database id, 1 to 2**63-1: any other number is no match (a 404 page), never an
    OverflowError in the database driver. Registered as `<id:name>` in parley/urls.py."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # Django treats it as no match
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
