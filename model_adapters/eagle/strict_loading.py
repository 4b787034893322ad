"""What a strict checkpoint load found wrong, said once for every Eagle loader (Eagle-X and Eagle 2)."""

from __future__ import annotations


def format_keys(keys: list[str], limit: int = 12) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" … and {len(keys) - limit} more" if len(keys) > limit else "")


def key_problems(unexpected: list[str], missing: list[str], mismatched: list[str]) -> list[str]:
    """What a strict load found wrong, one phrase per kind (shared by the Eagle family's loaders)."""
    problems = []
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s) (in the checkpoint, not in the model): "
                        f"{format_keys(sorted(unexpected))}")
    if missing:
        problems.append(f"{len(missing)} missing key(s) (in the model, not in the checkpoint): "
                        f"{format_keys(sorted(missing))}")
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatch(es): {format_keys(mismatched)}")
    return problems
