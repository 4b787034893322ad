"""MMMU's official answer parsers and accuracy, as pure functions.

The rules are the MMMU authors' eval_utils (github.com/MMMU-Benchmark/MMMU, eval/eval_utils.py), which
lmms-eval 0.7.3 reuses unchanged; written here so that scoring is pure and deterministic:

- multiple choice: an option letter in brackets, "X " or "X.", or (for answers of more than five words)
  an option's text; when several match, the one found last in the answer wins;
- open questions: the tail after a cue word ("is ", "so ", "answer ", ... and "=" in the last line),
  plus every number in it, each normalised (numbers to floats rounded to 2 places, text lowercased);
  correct if a normalised gold string is a substring of a text candidate, or a number candidate
  equals the gold number.

One rule is deliberately changed. When no letter can be found, the official parser guesses with
`random.choice` on the process-wide RNG, and lmms-eval calls it from a thread pool, so a re-score
gives a different number. Here the guess is drawn from an RNG seeded by the sample id: the same
answer always scores the same, and the guess is reported (`ChoiceParse.fallback`) so it is counted.
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

# MMMU's taxonomy: six disciplines, thirty subjects (the subject is the middle of a sample id).
DISCIPLINE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "Art and Design": ("Art", "Art_Theory", "Design", "Music"),
    "Business": ("Accounting", "Economics", "Finance", "Manage", "Marketing"),
    "Science": ("Biology", "Chemistry", "Geography", "Math", "Physics"),
    "Health and Medicine": (
        "Basic_Medical_Science", "Clinical_Medicine", "Diagnostics_and_Laboratory_Medicine",
        "Pharmacy", "Public_Health",
    ),
    "Humanities and Social Science": ("History", "Literature", "Sociology", "Psychology"),
    "Tech and Engineering": (
        "Agriculture", "Architecture_and_Engineering", "Computer_Science", "Electronics",
        "Energy_and_Power", "Materials", "Mechanical_Engineering",
    ),
}  # fmt: skip

SUBJECT_DISCIPLINE: dict[str, str] = {
    subject: discipline for discipline, subjects in DISCIPLINE_SUBJECTS.items() for subject in subjects
}

OpenCandidate = str | float

_SAMPLE_ID = re.compile(r"^(?P<split>[^_]+)_(?P<subject>.+?)_(?P<number>\d+)$")


# --- sample metadata ---------------------------------------------------------------------------


def subject_of(sample_id: str) -> str:
    """The subject in an MMMU id such as `validation_Art_Theory_12` (-> `Art_Theory`)."""
    match = _SAMPLE_ID.match(sample_id)
    if match is None:
        raise ValueError(
            f"MMMU sample id {sample_id!r} is not of the form <split>_<Subject>_<number>; "
            "the id column of the dataset is malformed (re-fetch lmms-lab/MMMU)."
        )
    return match.group("subject")


def parse_options(options_repr: str) -> list[str]:
    """The option list; the hub stores it as the Python repr of a list (for example "['1', '2']")."""
    try:
        options = ast.literal_eval(options_repr)
    except (ValueError, SyntaxError) as err:
        raise ValueError(
            f"MMMU options {options_repr!r} are not a Python list literal ({err}); "
            "the options column should hold the repr of a list of strings (re-fetch lmms-lab/MMMU)."
        ) from err
    if not isinstance(options, list):
        raise ValueError(f"MMMU options {options_repr!r} evaluate to {type(options).__name__}, not a list.")
    return [str(option) for option in options]


def option_letters(count: int) -> list[str]:
    return [chr(ord("A") + index) for index in range(count)]


# --- multiple choice ---------------------------------------------------------------------------

# The official parser strips these one after another (not as one set), so "B,." keeps its comma.
_EDGE_MARKS = (",", ".", "!", "?", ";", ":", "'")


@dataclass(frozen=True)
class ChoiceParse:
    """The letter read from an answer; `fallback` when no rule matched and the letter is a guess."""

    letter: str
    fallback: bool = False


def fallback_letter(letters: Sequence[str], sample_id: str) -> str:
    """A guess that depends on the sample id only (a str seed hashes with SHA-512: stable across runs)."""
    return random.Random(f"mmmu-fallback:{sample_id}").choice(list(letters))


def parse_multiple_choice(response: str, options: Sequence[str], sample_id: str) -> ChoiceParse:
    """The option letter a free-form answer names, by the official rules in their order."""
    letters = option_letters(len(options))
    text = response
    for mark in _EDGE_MARKS:
        text = text.strip(mark)
    padded = f" {text} "

    bracketed = [letter for letter in letters if f"({letter})" in padded]
    if bracketed:
        return ChoiceParse(max(bracketed, key=lambda letter: padded.rfind(f"({letter})")))

    bare = [letter for letter in letters if f"{letter} " in padded]
    if not bare:
        bare = [letter for letter in letters if f"{letter}." in padded]
    if bare:
        # Ties (for example letters found only as "X.", so " X " is never found) go to the first
        # letter, as the official np.argmax does; Python's max keeps the first maximum too.
        return ChoiceParse(max(bare, key=lambda letter: padded.rfind(f" {letter} ")))

    if len(padded.split()) > 5:
        lowered = padded.lower()
        texts = dict(zip(letters, (option.lower() for option in options), strict=True))
        by_text = {letter: text for letter, text in texts.items() if text in lowered}
        if by_text:
            return ChoiceParse(max(by_text, key=lambda letter: lowered.rfind(by_text[letter])))

    return ChoiceParse(fallback_letter(letters, sample_id), fallback=True)


def is_correct_multiple_choice(gold: str | Sequence[str], letter: str) -> bool:
    if isinstance(gold, str):
        return gold == letter
    return letter in gold


# --- open questions ----------------------------------------------------------------------------

_CUES = ("could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ")
_TRIVIAL_TAILS = {":", ",", ".", "!", "?", ";", "'"}

_NUMBER_WITH_COMMAS = re.compile(r"-?\b\d{1,3}(?:,\d{3})+\b")
_NUMBER_SCIENTIFIC = re.compile(r"-?\d+(?:\.\d+)?[eE][+-]?\d+")
_NUMBER_PLAIN = re.compile(r"-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])")


def extract_numbers(text: str) -> list[str]:
    """Every number in `text`: comma-grouped ones, then scientific notation, then plain ones."""
    return _NUMBER_WITH_COMMAS.findall(text) + _NUMBER_SCIENTIFIC.findall(text) + _NUMBER_PLAIN.findall(text)


def _as_number(text: str) -> float | None:
    # float() is the official test of "is a number", so "nan", "inf" and "1e3" count as numbers.
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def normalize_answer(text: str) -> list[OpenCandidate]:
    """A number becomes a float rounded to 2 places; text is lowercased, and a single character is
    padded with a space on either side (two candidates) so that it cannot match inside a word."""
    text = text.strip()
    number = _as_number(text)
    if number is not None:
        return [round(number, 2)]
    text = text.lower()
    if len(text) == 1:
        return [f" {text}", f"{text} "]
    return [text]


def _key_phrases(response: str) -> list[str]:
    text = response.strip().strip(".").lower()
    # The official splitter also splits at ". " before a capital letter, but it runs on lowercased
    # text, where that never matches: only line breaks split.
    lines = text.split("\n")
    phrases: list[str] = []
    for index, line in enumerate(lines):
        cues = _CUES + ("=",) if index == len(lines) - 1 else _CUES
        shortest: str | None = None
        for cue in cues:
            if cue in line:
                tail = line.split(cue)[-1].strip()
                if not shortest or len(tail) < len(shortest):
                    shortest = tail
        if shortest and shortest.strip() not in _TRIVIAL_TAILS:
            phrases.append(shortest)
    return phrases or [text]


def parse_open(response: str) -> list[OpenCandidate]:
    """The normalised candidates an open answer offers (key phrases and the numbers in them)."""
    phrases = _key_phrases(response)
    pieces = phrases + [number for phrase in phrases for number in extract_numbers(phrase)]
    candidates = [candidate for piece in pieces for candidate in normalize_answer(piece)]
    return list(dict.fromkeys(candidates))  # unique, in first-seen order (the official code uses a set)


def is_correct_open(gold: str | Sequence[str], candidates: Sequence[OpenCandidate]) -> bool:
    golds = [gold] if isinstance(gold, str) else list(gold)
    normalised = [value for answer in golds for value in normalize_answer(answer)]
    for candidate in candidates:
        if isinstance(candidate, str):
            if any(isinstance(value, str) and value in candidate for value in normalised):
                return True
        elif candidate in normalised:
            return True
    return False
