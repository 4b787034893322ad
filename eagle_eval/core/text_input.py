"""Reading the files users hand us (predictions, results, locks): what to say when one is not UTF-8 JSON.

Python's own errors for these cases are a traceback ('utf-8' codec can't decode byte 0xff ...) or a
RecursionError from the JSON decoder; a user needs the file's name, what is wrong with it and the fix.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
         (codecs.BOM_UTF16_BE, "UTF-16"))
_EIGHT_BIT = "LATIN1"


def not_utf8_message(path: Path, error: UnicodeDecodeError) -> str:
    """One line: which file, where the bad byte is, what encoding it seems to be in, how to fix it."""
    try:
        head = path.read_bytes()[:4]
    except OSError:
        head = b""
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), _EIGHT_BIT)
    guess = "Latin-1 or another 8-bit encoding" if encoding == _EIGHT_BIT else encoding
    fixed = f"{path.stem}.utf8{path.suffix}"
    return (f"{path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}; it looks like "
            f"{guess}); save it as UTF-8, e.g. iconv -f {encoding} -t UTF-8 {path.name} > {fixed}")


def loads(text: str) -> Any:
    """json.loads, with a JSON nested deeper than the decoder can follow reported as a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply for any file this program reads") from None


def json_lines(path: Path, error: type[Exception], fix: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of a JSONL file.

    A line that is not JSON raises `error` as `FILE:LINE: invalid JSON (reason); fix`, a file that is
    not UTF-8 as `not_utf8_message`; `fix` says what the user can do (re-score, delete the line).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = loads(line)
                except ValueError as err:
                    raise error(f"{path}:{line_no}: invalid JSON ({getattr(err, 'msg', err)}); {fix}") from err
                yield line_no, value
    except UnicodeDecodeError as err:
        raise error(f"{not_utf8_message(path, err)}; or {fix}") from None


def why_not_a_file(path: Path) -> str | None:
    """Why something stands where a file belongs (a folder, a link loop, a dangling link, a device);
    None when `path` is a file or nothing is there at all."""
    if path.is_file():
        return None
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:  # a link loop, as Python 3.11 reports it (later versions: OSError ELOOP)
            return "is a symbolic link that loops"
        except OSError as err:
            return "is a symbolic link that loops" if err.errno == errno.ELOOP else "is a symbolic link to nothing"
    if path.is_dir():
        return "is a folder, not a file"
    if os.path.lexists(path):
        return "is not a regular file"
    return None


REPLACEMENT = "\ufffd"
_SURROGATES = range(0xD800, 0xE000)


def valid_text(text: str) -> tuple[str, int]:
    """`text` as valid UTF-8, and how many code points were replaced to make it so.

    The only code points of a Python string UTF-8 cannot hold are lone surrogates (a JSON `"\\ud800"`
    escape, or a server that splits a pair); each becomes U+FFFD, the replacement character.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        replaced = sum(1 for ch in text if ord(ch) in _SURROGATES)
        return "".join(REPLACEMENT if ord(ch) in _SURROGATES else ch for ch in text), replaced
    return text, 0


class YamlReadError(ValueError):
    """Why a YAML file the user named cannot be read: the text after `PATH: ` in the caller's message."""

    def __init__(self, problem: str, is_folder: bool = False) -> None:
        super().__init__(problem)
        self.is_folder = is_folder


def read_yaml(path: Path) -> Any:
    """The YAML document of `path` (None when empty); YamlReadError saying what is wrong and the fix."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlReadError("file not found") from None
    except UnicodeDecodeError:
        raise YamlReadError("not UTF-8 text; save it as UTF-8") from None
    except IsADirectoryError:
        raise YamlReadError("a folder", is_folder=True) from None
    except OSError as err:  # unreadable: a permission, a broken mount
        raise YamlReadError(f"cannot read it ({err.strerror or err})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise YamlReadError(f"not valid YAML{where}: {getattr(err, 'problem', err)}") from None
