"""`vault ...` with the queue tests' handlers registered: the worker processes of tests/jobs run this."""
import sys

from tests.jobs import handlers  # noqa: F401 - registers the test job kinds
from vault.cli import main

if __name__ == "__main__":
    main(sys.argv[1:], prog_name="vault")
