"""Upload files for evaluation servers: a JSON list whose entries are unique by one key."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

from eagle_eval.core.output_files import write_text_atomic


def write_unique_json_list(
    entries: Sequence[dict[str, Any]],
    key: str,
    path: Path,
    duplicates_error: Callable[[list[Hashable]], str],
) -> Path:
    """Write `entries` as one JSON list, atomically, after checking that no two share `entry[key]`.

    A server scores a repeated question once or rejects the file, so a repeat is an error: the message
    is `duplicates_error(repeated keys)`, the keys in the order in which their repeats occur.
    """
    seen: set[Hashable] = set()
    repeated: dict[Hashable, None] = {}  # a dict keeps the order of first repeats
    for entry in entries:
        value = entry[key]
        if value in seen:
            repeated[value] = None
        seen.add(value)
    if repeated:
        raise ValueError(duplicates_error(list(repeated)))
    write_text_atomic(Path(path), json.dumps(entries))
    return Path(path)
