"""The Eagle 2 evaluation protocol, as NVIDIA published it, per benchmark.

Source: their VLMEvalKit fork, `Eagle2/vlmeval/vlmeval/vlm/eagle2/eagle2_chat.py` and `utils.py` in
NVlabs/Eagle at 5d7476c (deleted later). What it does, per dataset:

- Decoding: greedy. The constructor sets `max_new_tokens` 512, but `build_prompt`, which runs for every
  image benchmark, replaces the settings with `max_new_tokens` 8192 before generation: 8192 is what ran.
- Tiles: at most 6; 12 for ChartQA test and MMMU; 18 for DocVQA; 24 for InfoVQA and OCRBench; a thumbnail
  whenever there is more than one tile.
- Upscaling: each image's width and height doubled (bilinear) before tiling, except for MathVista, AI2D
  and InfoVQA.
- Prompts: MME `{question} Answer the question using a single word or phrase.` (a space); POPE (another
  yes/no benchmark) the bare question; TextVQA,
  ChartQA, OCRBench, GQA (and DocVQA, InfoVQA, OCRVQA) `{question}\\nAnswer the question using a single
  word or phrase.`; multiple choice: the question, each option as `\\nA. …`, then `\\nAnswer with the
  option's letter from the given choices directly.` (`\\nAnswer the question directly.` for MMMU's open
  questions, which VLMEvalKit runs through the same builder); MathVista `{question} Answer the question
  with a step-by-step process if the problem is complex, otherwise answer directly. Finally give the
  final answer with "The answer is ..."`.
- Images: one image is `<image>\\n` before the text; several are `<image 1><image>\\n<image 2><image>\\n…`
  before it, and the dataset's own `<image k>` references stay in the text (MMMU).

Here: the tasks (tasks/) keep their own prompts; this module turns a task's request into the one
Eagle 2's evaluation would have sent, by replacing the task's instruction with Eagle 2's and placing the
images as above; ScienceQA's "Context: " label before the hint is dropped. The question body otherwise
stays the task's, which differs from VLMEvalKit's in three places (tests/model_adapters/eagle2/
test_protocol_goldens.py checks the rest against NVIDIA's wrapper): TextVQA's question is capitalised by
the task (and `textvqa` adds the OCR-token line: use `textvqa_noocr`), MMBench puts hint, question and
options on one line, and MathVista's text is the task's query with its answer-format hint. MMMU's
references are renumbered in order of appearance with one image per reference (the task's images), where
VLMEvalKit keeps the dataset's numbers and each distinct image once; single-image questions, most of
MMMU, come out the same. A request
whose text does not end with the instruction expected of its task is an error, never a silent
pass-through. Tasks not listed keep their text and get the defaults (6 tiles, upscaling, 8192 tokens).

Eagle 2.5's evaluation settings were never published; the Eagle 2 protocol is used for it too
(docs/model.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from eagle_eval.core.records import IMAGE_PLACEHOLDER, Request

MAX_NEW_TOKENS = 8192
DEFAULT_TILES = 6
SHORT = "Answer the question using a single word or phrase."
LETTER = "Answer with the option's letter from the given choices directly."
MATHVISTA = (" Answer the question with a step-by-step process if the problem is complex, otherwise answer "
             'directly. Finally give the final answer with "The answer is ..."')


@dataclass(frozen=True)
class Rewrite:
    """Replace the task's trailing instruction `old` (may be empty: append) with `new`."""

    old: str
    new: str

    def apply(self, text: str, task: str) -> str:
        if not text.endswith(self.old):
            raise ValueError(f"the Eagle 2 protocol expects {task} prompts to end with {self.old!r}; this one ends "
                             f"{text[-60:]!r}. The task's prompt changed: update model_adapters/eagle2/protocol.py, "
                             "or run with --model-arg protocol=task")
        return text[:len(text) - len(self.old)] + self.new


@dataclass(frozen=True)
class TaskSettings:
    max_tiles: int = DEFAULT_TILES
    upscale: bool = True
    rewrites: tuple[Rewrite, ...] = ()  # the first whose `old` ends the text applies; none matching: error
    drop_prefix: str = ""  # a label the task puts before the hint that Eagle 2's prompt does not have


_TASK_SHORT = Rewrite("\n" + SHORT, "\n" + SHORT)
EAGLE2_TASKS: dict[str, TaskSettings] = {
    "mme": TaskSettings(rewrites=(Rewrite("\n" + SHORT, " " + SHORT),)),
    "textvqa": TaskSettings(rewrites=(_TASK_SHORT,)),
    "textvqa_noocr": TaskSettings(rewrites=(_TASK_SHORT,)),
    "chartqa": TaskSettings(max_tiles=12, rewrites=(Rewrite("\nAnswer the question with a single word.", "\n" + SHORT),)),
    "ocrbench": TaskSettings(max_tiles=24, rewrites=(Rewrite("", "\n" + SHORT),)),
    "gqa": TaskSettings(rewrites=(_TASK_SHORT,)),
    "pope": TaskSettings(rewrites=(Rewrite("\n" + SHORT, ""),)),
    "mmbench": TaskSettings(rewrites=(Rewrite("\n\n" + LETTER, "\n" + LETTER), Rewrite("\n" + LETTER, "\n" + LETTER))),
    "seed": TaskSettings(rewrites=(Rewrite("\n" + LETTER, "\n" + LETTER),)),
    "sqa": TaskSettings(rewrites=(Rewrite("\n" + LETTER, "\n" + LETTER),), drop_prefix="Context: "),
    "mmmu": TaskSettings(max_tiles=12, rewrites=(
        Rewrite("\nAnswer with the option letter from the given choices directly.", "\n" + LETTER),
        Rewrite("\n" + SHORT, "\nAnswer the question directly."),
    )),
    "mathvista": TaskSettings(upscale=False, rewrites=(Rewrite("", MATHVISTA),)),
}


@dataclass(frozen=True)
class PreparedRequest:
    """A request as the model receives it under a protocol, and how its images are tiled."""

    request: Request
    max_tiles: int
    upscale: bool


def settings_for(task: str) -> TaskSettings:
    return EAGLE2_TASKS.get(task, TaskSettings())


def place_images(text: str, num_images: int) -> str:
    """The user turn as VLMEvalKit's `reorganize_prompt` hands it to `model.chat`: one image gets `<image>\\n`
    in front; several get `<image 1><image>\\n<image 2><image>\\n…` in front. A task's inline placeholders
    (MMMU) become the dataset's own references `<image 1>`, `<image 2>`, … in the text, as VLMEvalKit keeps them."""
    found = text.count(IMAGE_PLACEHOLDER)
    if found and found != num_images:
        raise ValueError(f"the request text holds {found} '{IMAGE_PLACEHOLDER}' placeholder(s) but carries "
                         f"{num_images} image(s)")
    for number in range(1, found + 1):
        text = text.replace(IMAGE_PLACEHOLDER, f"<image {number}>", 1)
    if num_images == 1:
        return f"{IMAGE_PLACEHOLDER}\n{text}"
    return "".join(f"<image {i}>{IMAGE_PLACEHOLDER}\n" for i in range(1, num_images + 1)) + text


def eagle2_request(request: Request, cap: int | None = None) -> PreparedRequest:
    """`request` under the Eagle 2 protocol: its instruction replaced, its images placed as VLMEvalKit placed
    them, 8192 new tokens (or `cap`), no stop strings."""
    settings = settings_for(request.task)
    text = request.text
    if settings.drop_prefix and text.startswith(settings.drop_prefix):
        text = text[len(settings.drop_prefix):]
    if settings.rewrites:
        rule = next((r for r in settings.rewrites if r.old and text.endswith(r.old)), None)
        rule = rule or next((r for r in settings.rewrites if not r.old), settings.rewrites[0])
        text = rule.apply(text, request.task)
    if request.images:
        text = place_images(text, len(request.images))
    budget = MAX_NEW_TOKENS if cap is None else min(cap, MAX_NEW_TOKENS)
    generation = replace(request.generation, max_new_tokens=budget, until=())
    return PreparedRequest(replace(request, text=text, generation=generation), settings.max_tiles, settings.upscale)


def task_request(request: Request, max_tiles: int, cap: int | None = None) -> PreparedRequest:
    """`request` as the task wrote it (`--model-arg protocol=task`): the checkpoint's own tile limit, no upscaling."""
    if cap is not None and cap < request.generation.max_new_tokens:
        request = replace(request, generation=replace(request.generation, max_new_tokens=cap))
    return PreparedRequest(request, max_tiles, False)
