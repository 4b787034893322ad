"""Finding results documents: `table DIR` and friends take every file under DIR that holds one."""

from __future__ import annotations

from pathlib import Path

from eagle_eval.core import text_input
from eagle_eval.results.document import RESULTS_FILENAME, ResultsError
from eagle_eval.results.run_paths import locate_results

# Top-level fields every results document has, whatever its file is called.
RESULTS_DOCUMENT_FIELDS = ("schema_version", "run_id", "model", "results")


def find_results_files(paths: list[Path]) -> list[Path]:
    """Results files named directly, or found recursively under directories, in a stable order.

    Under a directory a file counts by its content, not its name, since `score --output` names its
    file freely (`dir/res.json`): every `*.json` whose top level is an object with the results
    document's fields. A file named results.json always counts, so a damaged one is reported
    (by load_results) rather than passed over.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(path.rglob("*.json"))
            for candidate in candidates:  # a results.json that is a folder or a link loop is damage, not absent
                if candidate.name == RESULTS_FILENAME and (problem := text_input.why_not_a_file(candidate)):
                    raise ResultsError(f"{candidate} {problem}, where a run's results belong; remove it or "
                                       "write it again with the `eagle-eval run` command that made it")
            hits = [candidate for candidate in candidates if is_results_document(candidate)]
            if not hits:
                raise ResultsError(f"no {RESULTS_FILENAME} found under {path}, nor any other .json file holding a "
                                   "results document (eagle-eval run and score --output write them)")
            found.extend(hits)
        elif path.is_file():
            found.append(path)
        else:
            raise ResultsError(locate_results(path)[1] or f"results file not found: {path}")
    return found


def is_results_document(path: Path) -> bool:
    """Whether `path` holds a results document (a quick look: no schema validation)."""
    if not path.is_file():
        return False
    if path.name == RESULTS_FILENAME:
        return True
    try:
        with path.open("rb") as handle:
            if not handle.read(4096).lstrip().startswith(b"{"):
                return False  # a list (a submission file), JSON Lines, or not JSON at all
        data = text_input.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and all(key in data for key in RESULTS_DOCUMENT_FIELDS)
