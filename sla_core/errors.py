"""One family for every failure a user can cause: a bad file, policy, mapping, date or store.

Why: the command line reports each of them as one line and exit code 2, the
pages as a message instead of a traceback. Each error keeps its own class (and
its old base, ValueError or RuntimeError) and names the row, column or key at
fault in its message.
"""


class UserError(Exception):
    """Something the user can fix, described in a one-line message."""
