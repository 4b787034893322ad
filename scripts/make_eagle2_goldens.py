"""Golden Eagle 2 evaluation inputs from NVIDIA's own VLMEvalKit wrapper for Eagle 2 (not run in CI).

NVIDIA evaluated Eagle2-1B/2B/9B with a VLMEvalKit fork kept in NVlabs/Eagle under `Eagle2/vlmeval/` (present at
commit 5d7476c0c3f0656723df7088e9cb3bd52fc2f158, deleted later). Its `Eagle2Chat` wrapper
(`vlmeval/vlm/eagle2/eagle2_chat.py`) and helpers (`vlmeval/vlm/eagle2/utils.py`) decide, per benchmark, the prompt
text, the tile limit, a 2x upscale and the image tiles, and then call the checkpoint's own `model.chat`. That
model code (`Eagle2ChatModel`, `modeling_eagle_chat.py` and its SigLIP/ConvNeXt towers) ships only with the hub
checkpoints, never in NVlabs/Eagle, so this script records everything up to the `model.chat` call:

- per benchmark: the `question` string, `num_patches_list`, the pixel tensor's shape and the generation kwargs
  that `Eagle2Chat.build_prompt` + `generate_inner` hand to `model.chat`, for one seeded image;
- tile choice: their `load_image` (2x bilinear upscale or not, then `dynamic_preprocess` with the thumbnail, 448
  tiles) for many image sizes at max tiles 6, 12, 18 and 24;
- pixel values: their `load_image(..., input_size=64, norm_type='siglip')` for three seeded PNG images, with and
  without the upscale, so the tensors stay small.

tests/goldens/eagle2/README.md describes every field. It runs in the side environment of
scripts/make_eagle2_5_goldens.py (that script's docstring has the commands) plus `pandas==2.2.3`, on a copy of
their `Eagle2/` folder kept outside this repository:

    /work/authors-eagle2/venv/bin/pip install pandas==2.2.3
    mkdir -p /work/authors-eagle2/src-eagle2
    git --git-dir=<clone of NVlabs/Eagle> archive 5d7476c0c3f0656723df7088e9cb3bd52fc2f158 Eagle2 \\
        | tar -x -C /work/authors-eagle2/src-eagle2
    /work/authors-eagle2/venv/bin/python scripts/make_eagle2_goldens.py /work/authors-eagle2/src-eagle2/Eagle2 \\
        tests/goldens/eagle2 --source-commit 5d7476c0c3f0656723df7088e9cb3bd52fc2f158

Their code runs unmodified; around it, at run time:

- `Eagle2Chat` and the helpers are taken by name from their files (the rest of VLMEvalKit, which imports dozens
  of model and dataset libraries, is not loaded); `listinstr` and `cn_string` come from their `smp/misc.py`.
- `DATASET_TYPE` / `DATASET_MODALITY` answer from a table of the benchmarks used here, copied from the `TYPE`
  of the dataset class that lists each name at that commit (`image_yorn.py`: Y/N, `image_mcq.py`: MCQ,
  `image_vqa.py`: VQA); every one is an image benchmark.
- The wrapper object is made without its `__init__` (which loads the checkpoint): `version` 'V2.0',
  `norm_type` 'siglip' (what `__init__` sets for `siglip_vision_model` and `MOB` towers, i.e. all three
  checkpoints), `kwargs` as `__init__` leaves them. `dump_image` returns the seeded PNG; `model.chat` records its
  arguments; `torch.Tensor.cuda` returns the tensor itself while the wrapper runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 0
RELEASED_TILE = 448
TINY_TILE = 64
MAX_TILES = (6, 12, 18, 24)

IMAGES = {"square_48x40": (48, 40), "wide_160x96": (160, 96), "tall_50x130": (50, 130)}
REQUEST_IMAGE = ("request_448x448", (448, 448))  # one grey; only the shapes it gives are recorded

# The TYPE of the VLMEvalKit dataset class listing each name at 5d7476c.
DATASET_TYPES = {
    "MME": "Y/N", "HallusionBench": "Y/N", "POPE": "Y/N",
    "MMBench_DEV_EN": "MCQ", "MMBench_DEV_CN": "MCQ", "MMMU_DEV_VAL": "MCQ", "AI2D_TEST": "MCQ",
    "ScienceQA_TEST": "MCQ",
    "TextVQA_VAL": "VQA", "ChartQA_TEST": "VQA", "DocVQA_VAL": "VQA", "InfoVQA_VAL": "VQA", "OCRBench": "VQA",
    "MathVista_MINI": "VQA", "MMVet": "VQA", "LLaVABench": "VQA", "GQA_TestDev_Balanced": "VQA",
}
YES_NO = {"question": "Is there a red sign in the image?"}
CHOICES = {"question": "Which animal is shown?", "hint": "Look at the left side.", "A": "cat", "B": "dog",
           "C": "bird", "D": "fish"}
CASES = [  # (dataset, line as the benchmark's TSV row would give it)
    ("MME", YES_NO), ("HallusionBench", YES_NO), ("POPE", {"question": "Is there a dog in the image?"}),
    ("MMBench_DEV_EN", CHOICES),
    ("MMBench_DEV_CN", {"question": "图中是什么动物？", "hint": None, "A": "猫", "B": "狗"}),
    ("MMMU_DEV_VAL", {"question": "What is the total shown? <image 1>", "A": "10", "B": "12", "C": None}),
    ("MMMU_DEV_VAL", {"question": "What is the total shown? <image 1>"}),
    ("AI2D_TEST", {**CHOICES, "hint": None}), ("ScienceQA_TEST", CHOICES),
    ("TextVQA_VAL", {"question": "what is written on the sign?"}),
    ("ChartQA_TEST", {"question": "What is the highest value in the chart?"}),
    ("DocVQA_VAL", {"question": "What is the date on the letter?"}),
    ("InfoVQA_VAL", {"question": "How many people are shown?"}),
    ("OCRBench", {"question": "what is written in the image?"}),
    ("MathVista_MINI", {"question": "What is the value of x?"}),
    ("MMVet", {"question": "What is funny about this image?"}),
    ("LLaVABench", {"question": "Describe the scene."}),
    ("GQA_TestDev_Balanced", {"question": "Is the sky blue?"}),
]
TILE_SIZES = [  # (width, height)
    (8, 8), (10, 30), (32, 32), (64, 64), (100, 100), (130, 50), (224, 224), (300, 200), (448, 448), (500, 501),
    (640, 360), (640, 480), (480, 640), (800, 200), (200, 800), (896, 448), (1000, 100), (100, 1000), (2048, 64),
    (1024, 768), (1920, 1080), (1080, 1920), (4000, 3000), (3000, 300),
]


def load_eagle2_5_helpers() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("make_eagle2_5_goldens", HERE / "make_eagle2_5_goldens.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_their_code(src: Path, helpers) -> types.SimpleNamespace:
    import math
    import re
    import string
    import warnings

    import pandas as pd
    import torch
    import torchvision.transforms as T
    from PIL import Image
    from torchvision.transforms.functional import InterpolationMode

    vlm = src / "vlmeval" / "vlmeval"
    misc = helpers.load_named(vlm / "smp" / "misc.py", {"listinstr", "cn_string"}, {"pd": pd})

    def dataset_type(dataset, *, default="MCQ"):
        return DATASET_TYPES[dataset]

    def dataset_modality(dataset, *, default="IMAGE"):
        assert dataset is None or dataset in DATASET_TYPES, dataset
        return "IMAGE"

    namespace = {"T": T, "InterpolationMode": InterpolationMode, "Image": Image, "torch": torch, "pd": pd,
                 "re": re, "string": string, "math": math, "warnings": warnings, "BaseModel": object,
                 "listinstr": misc["listinstr"], "cn_string": misc["cn_string"],
                 "DATASET_TYPE": dataset_type, "DATASET_MODALITY": dataset_modality}
    helpers.load_named(vlm / "vlm" / "eagle2" / "utils.py",
                       {"IMAGENET_MEAN", "IMAGENET_STD", "SIGLIP_MEAN", "SIGLIP_STD", "build_transform",
                        "find_closest_aspect_ratio", "find_closest_aspect_ratio_v2", "dynamic_preprocess",
                        "load_image", "build_multi_choice_prompt", "build_video_prompt", "reorganize_prompt"},
                       namespace)
    helpers.load_named(vlm / "vlm" / "eagle2" / "eagle2_chat.py", {"Eagle2Chat"}, namespace)
    chosen: list = []
    their_choice = namespace["find_closest_aspect_ratio_v2"]

    def recording_choice(*a, **k):
        ratio = their_choice(*a, **k)
        chosen.append(tuple(ratio))
        return ratio

    namespace["find_closest_aspect_ratio_v2"] = recording_choice
    return types.SimpleNamespace(ns=namespace, chosen=chosen)


def wrapper(their, image_path: Path):
    """Their Eagle2Chat without its checkpoint: model.chat records what it is given."""
    calls: list = []

    class RecordingModel:
        def chat(self, tokenizer, **kwargs):
            calls.append(kwargs)
            return ""

    eagle = their.ns["Eagle2Chat"].__new__(their.ns["Eagle2Chat"])
    eagle.version = "V2.0"
    eagle.norm_type = "siglip"
    eagle.kwargs = dict(do_sample=False, max_new_tokens=512, top_p=None, num_beams=1)  # as __init__ leaves them
    eagle.tokenizer = None
    eagle.model = RecordingModel()
    eagle.dump_image = lambda line, dataset: [str(image_path)]
    return eagle, calls


def request_rows(their, image_path: Path, recorded_path: str) -> list[dict]:
    import pandas as pd
    import torch

    eagle, calls = wrapper(their, image_path)
    rows = []
    cuda = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *a, **k: self
    try:
        for dataset, line in CASES:
            calls.clear()
            their.chosen.clear()
            series = pd.Series({k: v for k, v in line.items()})
            assert eagle.use_custom_prompt(dataset)
            message = eagle.build_prompt(series, dataset)
            eagle.generate_inner(message, dataset)
            (call,) = calls
            rows.append({
                "dataset": dataset, "dataset_type": DATASET_TYPES[dataset],
                "line": {k: v for k, v in line.items() if v is not None},
                "message": [dict(m, value=recorded_path) if m["type"] == "image" else m for m in message],
                "question": call["question"], "num_patches_list": call["num_patches_list"],
                "pixel_values_shape": list(call["pixel_values"].shape),
                "pixel_values_dtype": str(call["pixel_values"].dtype).replace("torch.", ""),
                "max_num": eagle.max_num, "grid": list(their.chosen[0]),
                "generation_config": call["generation_config"], "verbose": call.get("verbose"),
            })
    finally:
        torch.Tensor.cuda = cuda
    return rows


def tile_rows(their, scratch: Path) -> list[dict]:
    from PIL import Image

    rows = []
    for width, height in TILE_SIZES:
        path = scratch / f"blank_{width}x{height}.png"
        Image.new("RGB", (width, height), (127, 127, 127)).save(path)
        for upscale in (False, True):
            for max_num in MAX_TILES:
                their.chosen.clear()
                pixel_values = their.ns["load_image"](str(path), max_num=max_num, norm_type="siglip",
                                                      upscale=upscale)
                (grid,) = their.chosen
                assert pixel_values.shape[1:] == (3, RELEASED_TILE, RELEASED_TILE)
                rows.append({"width": width, "height": height, "upscale": upscale, "max_num": max_num,
                             "tile_size": RELEASED_TILE, "grid_cols": grid[0], "grid_rows": grid[1],
                             "num_tiles": pixel_values.shape[0]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="Golden Eagle 2 evaluation inputs from the authors' wrapper.")
    parser.add_argument("eagle2_source", type=Path, help="their Eagle2/ folder (holding vlmeval/)")
    parser.add_argument("out", type=Path, help="tests/goldens/eagle2")
    parser.add_argument("--source-commit", default="unknown", help="the NVlabs/Eagle commit of the source")
    args = parser.parse_args()
    images_dir = args.out / "images"
    images_dir.mkdir(parents=True, exist_ok=True)

    import tempfile

    import numpy as np
    import pandas as pd
    import PIL
    import torch
    import torchvision
    from PIL import Image
    from safetensors.torch import save_file

    torch.set_num_threads(1)
    helpers = load_eagle2_5_helpers()
    their = load_their_code(args.eagle2_source.resolve(), helpers)
    golden: dict = {"meta": {
        "generator": "scripts/make_eagle2_goldens.py", "eagle_source": "NVlabs/Eagle Eagle2/vlmeval/",
        "eagle_source_commit": args.source_commit, "torch": torch.__version__,
        "torchvision": torchvision.__version__, "pillow": PIL.__version__, "numpy": np.__version__,
        "pandas": pd.__version__, "python": sys.version.split()[0], "norm_type": "siglip",
        "mean": list(their.ns["SIGLIP_MEAN"]), "std": list(their.ns["SIGLIP_STD"]),
        "tensors": "tensors.safetensors",
    }}
    name, size = REQUEST_IMAGE
    request_path = images_dir / f"{name}.png"
    Image.new("RGB", size, (127, 127, 127)).save(request_path)
    golden["requests"] = request_rows(their, request_path, f"images/{name}.png")
    with tempfile.TemporaryDirectory() as scratch:
        golden["tile_choice"] = tile_rows(their, Path(scratch))

    tensors, records = {}, []
    for index, (name, size) in enumerate(IMAGES.items()):
        path = images_dir / f"{name}.png"
        Image.fromarray(helpers.image_array(SEED + index, size)).save(path)
        for upscale in (False, True):
            their.chosen.clear()
            pixel_values = their.ns["load_image"](str(path), input_size=TINY_TILE, max_num=6, norm_type="siglip",
                                                  upscale=upscale)
            key = f"{name}.{'upscaled' if upscale else 'plain'}.pixel_values"
            tensors[key] = pixel_values.contiguous()
            records.append({"name": name, "file": f"images/{name}.png", "width": size[0], "height": size[1],
                            "input_size": TINY_TILE, "max_num": 6, "upscale": upscale,
                            "grid_cols": their.chosen[0][0], "grid_rows": their.chosen[0][1],
                            "shape": list(pixel_values.shape), "tensor": key})
    golden["images"] = records
    save_file(tensors, str(args.out / "tensors.safetensors"), metadata={"eagle_source_commit": args.source_commit})
    helpers.write_golden(args.out / "goldens.json", golden)


if __name__ == "__main__":
    main()
