"""A user's YAML file read once, one way: the policy, sync.yaml. What cannot be read or parsed is one line naming
the file, raised as the caller's own UserError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sla_core.errors import UserError


def read_yaml(path: Path, what: str, error: type[UserError]) -> Any:
    """The file's YAML data; `error(f"{what} {path}: …")` when it cannot be read or is not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{what} {path}: cannot read ({err})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise error(f"{what} {path}: not valid YAML ({str(err).splitlines()[0]})") from None
