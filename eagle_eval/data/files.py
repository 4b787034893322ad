"""What is wrong with a split that `datasets` could not build: a corrupt file, or no rows at all.

`datasets` reports a truncated parquet file as a missing split or as a bare `DatasetGenerationError`
("An error occurred while generating the dataset"), and an empty one as pyarrow's "BatchSize must
be greater than 0". Neither names the file. Reading each of the split's files with pyarrow, which
only happens once loading has failed, finds the one to fetch again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Libraries that log a failed read or a retried request to stderr before raising; eagle-eval then
# prints its own one-line message naming the file and the fix, so their lines are only noise.
_NOISY_LOGGERS = ("datasets", "huggingface_hub", "fsspec")


@contextmanager
def library_logs_silenced() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def corrupt_file(files: list[Path]) -> tuple[Path, str] | None:
    """The first parquet file pyarrow cannot read through, with pyarrow's reason; None if all read."""
    import pyarrow.parquet as pq

    for path in files:
        if path.suffix != ".parquet":
            continue
        try:
            parquet = pq.ParquetFile(path)
            for group in range(parquet.metadata.num_row_groups):
                parquet.read_row_group(group)
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid and ArrowIOError
            return path, str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def total_rows(files: list[Path]) -> int | None:
    """Rows in the split's parquet files, or None when some file is not parquet (not countable here)."""
    import pyarrow.parquet as pq

    if not files or any(path.suffix != ".parquet" for path in files):
        return None
    return sum(pq.read_metadata(path).num_rows for path in files)
