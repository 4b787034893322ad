"""VQA accuracy and the EvalAI answer normaliser (VQAv2, VizWiz, TextVQA).

The normaliser reproduces the official VQA evaluation's rules as the EvalAI servers and lmms-eval
apply them: punctuation handling, number words to digits, articles dropped, contractions restored.
Two quirks of the official code are kept on purpose, because every published number carries them:

- the period rule `(?!<=\\d)(\\.)(?!\\d)` was meant as a look-behind but is a look-ahead, so every
  period not followed by a digit goes (so "3.5" survives but "5." loses its period);
- the official code passes `re.UNICODE` as the `count` argument of `sub`, so at most 32 periods are
  removed from one answer.

Scoring is written here rather than imported from lmms-eval so that it is pure (lmms-eval's
processor grows its class-level number map with every word it sees) and needs no optional package.

Two entry points differ in the same way the benchmarks' reference scorers do:
`normalize_answer` (TextVQA, VizWiz: lowercases and splits "'s" first, then the official rules) and
`normalize_vqav2_answer` (VQAv2: whitespace, then the official rules only).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence

# The official VQA evaluation's contraction table (keys are the forms without apostrophes).
CONTRACTIONS: dict[str, str] = {
    "aint": "ain't", "arent": "aren't", "cant": "can't", "couldve": "could've", "couldnt": "couldn't",
    "couldn'tve": "couldn't've", "couldnt've": "couldn't've", "didnt": "didn't", "doesnt": "doesn't",
    "dont": "don't", "hadnt": "hadn't", "hadnt've": "hadn't've", "hadn'tve": "hadn't've",
    "hasnt": "hasn't", "havent": "haven't", "hed": "he'd", "hed've": "he'd've", "he'dve": "he'd've",
    "hes": "he's", "howd": "how'd", "howll": "how'll", "hows": "how's", "Id've": "I'd've",
    "I'dve": "I'd've", "Im": "I'm", "Ive": "I've", "isnt": "isn't", "itd": "it'd", "itd've": "it'd've",
    "it'dve": "it'd've", "itll": "it'll", "let's": "let's", "maam": "ma'am", "mightnt": "mightn't",
    "mightnt've": "mightn't've", "mightn'tve": "mightn't've", "mightve": "might've",
    "mustnt": "mustn't", "mustve": "must've", "neednt": "needn't", "notve": "not've",
    "oclock": "o'clock", "oughtnt": "oughtn't", "ow's'at": "'ow's'at", "'ows'at": "'ow's'at",
    "'ow'sat": "'ow's'at", "shant": "shan't", "shed've": "she'd've", "she'dve": "she'd've",
    "she's": "she's", "shouldve": "should've", "shouldnt": "shouldn't", "shouldnt've": "shouldn't've",
    "shouldn'tve": "shouldn't've", "somebody'd": "somebodyd", "somebodyd've": "somebody'd've",
    "somebody'dve": "somebody'd've", "somebodyll": "somebody'll", "somebodys": "somebody's",
    "someoned": "someone'd", "someoned've": "someone'd've", "someone'dve": "someone'd've",
    "someonell": "someone'll", "someones": "someone's", "somethingd": "something'd",
    "somethingd've": "something'd've", "something'dve": "something'd've",
    "somethingll": "something'll", "thats": "that's", "thered": "there'd",
    "thered've": "there'd've", "there'dve": "there'd've", "therere": "there're", "theres": "there's",
    "theyd": "they'd", "theyd've": "they'd've", "they'dve": "they'd've", "theyll": "they'll",
    "theyre": "they're", "theyve": "they've", "twas": "'twas", "wasnt": "wasn't",
    "wed've": "we'd've", "we'dve": "we'd've", "weve": "we've", "werent": "weren't",
    "whatll": "what'll", "whatre": "what're", "whats": "what's", "whatve": "what've",
    "whens": "when's", "whered": "where'd", "wheres": "where's", "whereve": "where've",
    "whod": "who'd", "whod've": "who'd've", "who'dve": "who'd've", "wholl": "who'll",
    "whos": "who's", "whove": "who've", "whyll": "why'll", "whyre": "why're", "whys": "why's",
    "wont": "won't", "wouldve": "would've", "wouldnt": "wouldn't", "wouldnt've": "wouldn't've",
    "wouldn'tve": "wouldn't've", "yall": "y'all", "yall'll": "y'all'll", "y'allll": "y'all'll",
    "yall'd've": "y'all'd've", "y'alld've": "y'all'd've", "y'all'dve": "y'all'd've",
    "youd": "you'd", "youd've": "you'd've", "you'dve": "you'd've", "youll": "you'll",
    "youre": "you're", "youve": "you've",
}  # fmt: skip

NUMBER_WORDS: dict[str, str] = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip

ARTICLES: frozenset[str] = frozenset({"a", "an", "the"})

# The apostrophe and the period are handled elsewhere (contractions, the period rule).
PUNCTUATION: tuple[str, ...] = (
    ";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!",
)  # fmt: skip

_PERIOD = re.compile(r"(?!<=\d)(\.)(?!\d)")  # sic: see the module docstring
_PERIOD_LIMIT = int(re.UNICODE)  # sic: the official code's `count` argument (32)
_DIGIT_COMMA_DIGIT = re.compile(r"(?<=\d)(\,)+(?=\d)")

# The score of an answer given by k of the other annotators.
_MATCHES_NEEDED = 3


def process_punctuation(text: str) -> str:
    """Delete or blank out punctuation, then periods not followed by a digit (official rules).

    A mark is deleted when it touches a space anywhere in the text (or the text has a comma between
    digits, as in "1,000"); otherwise it becomes a space, so "black/white" becomes "black white".
    """
    delete_marks = _DIGIT_COMMA_DIGIT.search(text) is not None
    out = text
    for mark in PUNCTUATION:
        if delete_marks or f"{mark} " in text or f" {mark}" in text:
            out = out.replace(mark, "")
        else:
            out = out.replace(mark, " ")
    return _PERIOD.sub("", out, count=_PERIOD_LIMIT)


def process_digit_article(text: str) -> str:
    """Lowercase, number words to digits, drop articles, restore contractions; single spaces."""
    words = [NUMBER_WORDS.get(word, word) for word in text.lower().split()]
    words = [CONTRACTIONS.get(word, word) for word in words if word not in ARTICLES]
    return " ".join(words)


def normalize_answer(text: str) -> str:
    """The EvalAI answer processor: what TextVQA and VizWiz apply to predictions and answers alike."""
    text = text.lower().replace(",", "").replace("?", "").replace("'s", " 's").strip()
    text = text.replace("\n", " ").replace("\t", " ").strip()
    return process_digit_article(process_punctuation(text))


def normalize_vqav2_answer(text: str) -> str:
    """The VQAv2 evaluation's normalisation: whitespace, punctuation, digits/articles/contractions.

    Unlike `normalize_answer` it neither lowercases before the punctuation rules nor splits "'s".
    """
    text = text.replace("\n", " ").replace("\t", " ").strip()
    return process_digit_article(process_punctuation(text))


def vqa_accuracy(prediction: str, answers: Sequence[str]) -> float:
    """VQA accuracy of an already normalised prediction against already normalised answers.

    For each annotator, the prediction scores min(1, matches among the other annotators / 3); the
    accuracy is the mean over annotators (10 in VQAv2, VizWiz and TextVQA). With 10 answers this gives
    0, 0.3, 0.6, 0.9, 1.0 for 0, 1, 2, 3, 4+ matching annotators. The mean is exactly rounded
    (`statistics.mean`), as in the reference scorers, so per-sample values compare equal.
    """
    if not answers:
        raise ValueError("vqa_accuracy needs at least one ground-truth answer; got none")
    matches = sum(answer == prediction for answer in answers)
    per_annotator = []
    for answer in answers:
        others_matching = matches - (answer == prediction)
        per_annotator.append(min(1.0, others_matching / _MATCHES_NEEDED))
    return statistics.mean(per_annotator)


def score_against_answers(
    prediction: str, answers: Sequence[str], normalize: Callable[[str], str]
) -> tuple[str, float]:
    """The normalised prediction and its VQA accuracy against raw annotator answers, all passed
    through the same normaliser (`normalize_answer` or `normalize_vqav2_answer`)."""
    predicted = normalize(prediction)
    return predicted, vqa_accuracy(predicted, [normalize(answer) for answer in answers])
