"""Write the request texts whose tokenization the goldens pin: every bundled doc of every task, plus
inline multi-image prompts in MMMU's style.

    .venv/bin/python scripts/write_prompt_cases.py tests/goldens/eagle_prompt_cases.json

The output is the input of scripts/make_tokenization_goldens.py (see its docstring for the whole
procedure); tests/model_adapters/eagle/test_eagle_tokenization_goldens.py checks that it still lists every task's prompts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "data" / "hub"

# MMMU puts `<image>` inline; what follows an image decides whether a lone `▁` survives tokenization.
INLINE_CASES: tuple[tuple[str, int], ...] = (
    ("Consider the circuits <image> and <image>. Which one has the higher resistance?", 2),
    ("Look at <image>, then <image>; which differs?\nA. first\nB. second", 2),
    ("Table:<image>\nChart: <image>\n(A) 1 (B) 2\nAnswer with the option's letter from the given choices directly.", 2),
    ("Compare <image><image> and answer.", 2),
    ("<image>\nWhat is shown?", 1),
    ("The last figure is <image>", 1),
    ("Two  spaces <image>  around\t<image>\ttabs", 2),
    ("Quel est ce tableau <image> ? Réponse: 中文 — “quoted”", 1),
    ("Literal markers </s> and <s> stay special <image>.", 1),
    ("A question without any image.", 0),
    ("", 1),
)


def task_cases() -> list[dict[str, object]]:
    sys.path.insert(0, str(REPO))
    from eagle_eval.api.registry import get_task, task_names

    cases: list[dict[str, object]] = []
    for name in task_names():
        task = get_task(name)
        for doc in task.load_docs(BUNDLED):
            cases.append({"task": name, "doc_id": doc.doc_id, "split": doc.split, "text": task.prompt(doc),
                          "images": len(task.images(doc))})
    return cases


def all_cases() -> list[dict[str, object]]:
    inline = [{"task": "inline", "doc_id": i, "split": "", "text": text, "images": images}
              for i, (text, images) in enumerate(INLINE_CASES)]
    return task_cases() + inline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    out = parser.parse_args().out
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in all_cases())
    out.write_text("[\n" + lines + "\n]\n")


if __name__ == "__main__":
    main()
