"""The `parley` command: a thin front for manage.py (`parley run`, `parley worker`, ...)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["parley", *sys.argv[1:]])


if __name__ == "__main__":
    main()
