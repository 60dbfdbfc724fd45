"""Private folders for what we write that holds prompts and tool values: traces and cassettes.

One place decides what "private" means, so the trace sink and the cassette recorder cannot drift
apart: folders we create are 0700 whatever the umask, and a folder that is ours holds a
``.gitignore`` so a run inside the user's repository leaves ``git status`` clean.
"""

from __future__ import annotations

import os

from ._guard import report

GITIGNORE = "# Written by agentops_otel: traces and cassettes (prompts, tool values) stay out of version control.\n*\n"
"""``*`` ignores the folder's whole content, this file included, so ``git status`` stays clean."""


def _create_private_folders(folder: str) -> str | None:
    """Create the missing folders of ``folder`` as 0700; return the topmost one created, if any.

    ``os.makedirs(mode=...)`` applies the mode to the last folder only (and through the umask), so
    each missing level is made, and set, here.
    """
    missing: list[str] = []
    current = os.path.abspath(folder)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    top: str | None = None
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # another process was first: theirs, or ours from a moment ago
        os.chmod(path, 0o700)  # mkdir's mode goes through the umask; set it exactly
        top = top or path
    return top


def _claim(folder: str) -> None:
    """Make a folder that holds only our files private and git-ignored (never a folder of the user's)."""
    os.chmod(folder, 0o700)
    try:
        fd = os.open(os.path.join(folder, ".gitignore"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(GITIGNORE)


def private_folder(folder: str, ours: str | None = None) -> None:
    """Create ``folder``'s missing levels 0700, and claim ``ours`` (a folder of ours even if it exists
    already, e.g. left 0755 by an older version), else the topmost level created here.

    A folder of the user's that already exists is never changed. Failing to create ``folder`` raises
    (nothing can be written); failing to claim it (say, it belongs to someone else) is reported, and
    the caller writes its file anyway.
    """
    created = _create_private_folders(folder)
    claimed = ours or created
    if claimed is not None:
        try:
            _claim(claimed)
        except OSError as exc:
            report("private_folder", exc)
