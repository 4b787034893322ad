"""Keep secrets off the page: API keys in the recorded command, and secret environment values.

The page shows only fields the report picks (never `software`, `hardware` or the environment), but
a command line can carry `--judge-api-key sk-…`, and a model can echo a key it was shown. Values of
the options below, key-shaped tokens, URL passwords and the value of every environment variable
whose name says it is a secret are replaced by `***` before anything is written.
"""

from __future__ import annotations

import os
import re
import shlex

MASK = "***"
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)", re.IGNORECASE)
_SECRET_OPTION = re.compile(r"^--?[\w-]*(key|token|secret|password|passwd|credential|auth)[\w-]*$", re.IGNORECASE)
_SECRET_TOKEN = re.compile(r"\b(sk-[A-Za-z0-9_-]{8,}|hf_[A-Za-z0-9]{8,}|gh[pousr]_[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{12,})")
_URL_PASSWORD = re.compile(r"(://[^/\s:@]+):[^/\s@]+@")
_MIN_SECRET_LENGTH = 8


def redact_command(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        return mask_secrets(command)
    out: list[str] = []
    hide_next = False
    for word in words:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        option, sep, _value = word.partition("=")
        if _SECRET_OPTION.match(option):
            if sep:
                out.append(f"{option}={MASK}")
            else:
                out.append(word)
                hide_next = True
            continue
        name, sep, _value = word.partition("=")
        if sep and name.isidentifier() and _SECRET_NAME.search(name):  # FOO_API_KEY=... eagle-eval run
            out.append(f"{name}={MASK}")
            continue
        out.append(word)
    return mask_secrets(shlex.join(out))


def secret_environment_values() -> list[str]:
    values = {
        value
        for name, value in os.environ.items()
        if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LENGTH and value.strip() == value
    }
    return sorted(values, key=len, reverse=True)


def mask_secrets(text: str) -> str:
    text = _SECRET_TOKEN.sub(MASK, text)
    text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
    for value in secret_environment_values():
        text = text.replace(value, MASK)
    return text
