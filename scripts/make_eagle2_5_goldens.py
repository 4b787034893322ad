"""Golden outputs from NVIDIA's own Eagle 2.5 code on a tiny random checkpoint, released layout (not run in CI).

It builds the authors' `Eagle2_5_VLForConditionalGeneration` (NVlabs/Eagle, `Eagle2_5/eaglevl/model/eagle2_5/`)
at a tiny size from the released architecture (SigLIP vision tower as `siglip_vision_model`, Qwen2 language
model, pixel shuffle 0.5, two-layer `mlp1` connector, `select_layer` -4, `qwen2-chat` template), with seeded
random weights, saves it with their `save_pretrained` next to a tiny byte-level BPE tokenizer in the Qwen2 layout,
loads it back with their `from_pretrained`, and records what their code produces from that folder:

- tile choice: their `dynamic_preprocess` (Eagle2_5/deployment/inference.py, the inference worker that drives
  `model.chat`) for many image sizes at max tiles 6, 12 and 24, with and without the thumbnail, at the tiny tile
  size and at the released 448;
- pixel values: the same `dynamic_preprocess` plus their `build_transform(..., norm_type='siglip')` for three
  seeded PNG images;
- vision features at `select_layer`, after their `pixel_shuffle` and after `mlp1` (their `extract_feature`);
- prompt ids and greedy answers through their `model.chat` (the `<image>\\n` prefix, `get_conv_template(template)`
  with the deployment's default system message, `<img>` + `<IMG_CONTEXT>` x tokens per tile x tiles + `</img>`).

The language model's matrices are redrawn from a seeded generator with a wider spread than its default init, so
that greedy choices are far apart (the margins are recorded). Two runs write byte-identical files.

It must run in an environment of its own with the releases NVlabs/Eagle pins for Eagle 2.5
(Eagle2_5/pyproject.toml: transformers 4.51.0, tokenizers 0.21.1, timm 1.0.11, sentencepiece 0.2.0,
numpy 1.26.4, accelerate 1.5.2), on a copy of their source kept outside this repository. The exact commands:

    python3 -m venv /work/authors-eagle2/venv
    /work/authors-eagle2/venv/bin/pip install torch==2.14.1 torchvision==0.29.1 transformers==4.51.0 \\
        tokenizers==0.21.1 timm==1.0.11 sentencepiece==0.2.0 numpy==1.26.4 accelerate==1.5.2 \\
        einops pillow safetensors protobuf
    mkdir -p /work/authors-eagle2/src
    git --git-dir=<clone of NVlabs/Eagle> archive 783f656d127ee498137b5ff52603ce36c292d317 Eagle2_5 \\
        | tar -x -C /work/authors-eagle2/src
    /work/authors-eagle2/venv/bin/python scripts/make_eagle2_5_goldens.py /work/authors-eagle2/src/Eagle2_5 \\
        tests/goldens/eagle2_5 --source-commit 783f656d127ee498137b5ff52603ce36c292d317

Their files run unmodified; this script changes only the process around them, at run time:

- flash-attention. Their model constructor forces `flash_attention_2` on the vision config and asserts it on the
  Qwen2 config; flash-attn needs CUDA and is not installed. The config is built (and saved) with
  `attn_implementation="flash_attention_2"` as released, transformers' availability check for flash-attn is
  replaced by a no-op while their constructor and `from_pretrained` run, and then every vision and language config
  of the loaded model is switched to `eager` before anything is computed (float32, CPU).
- Imports their modeling module makes but inference never uses: `peft` (LoRA wrappers), the C-RADIO tower
  (imports flash-attn at module level) and their liger/triton training loss get stand-in modules.
- `model.chat` calls `get_conv_template` without importing it and reads `self.system_message`, which only their
  deployment subclass sets (`'You are a helpful assistant.'`): the module gets their `eaglevl.conversation`
  function and the model that attribute, as the deployment copy of the class has them.
- `model.chat` moves its inputs with `.cuda()`: `torch.Tensor.cuda` returns the tensor itself while it runs.
- Their `pixel_shuffle` calls `.view` on the selected SigLIP layer, which on this CPU build is a transposed
  (non-contiguous) layout inherited from the patch embedding through the residual adds; `.view` refuses it. The
  model's `pixel_shuffle` is given `x.contiguous()` (same values, other memory layout).
- The language model's `generate` is wrapped to also return per-step scores (for logit margins); the ids it
  returns are unchanged.
- `dynamic_preprocess`, `find_closest_aspect_ratio` and `build_transform` are taken by name from
  deployment/inference.py (its other imports, decord and the TensorRT worker, are not needed); the training copy
  in eaglevl/train/dataset.py (`find_closest_aspect_ratio_v2`) is checked to choose the same grids.

tests/goldens/eagle2_5/README.md says what a reimplementation has to match.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import types
from pathlib import Path

SEED = 0
TINY_TILE = 64
RELEASED_TILE = 448
SYSTEM_MESSAGE = "You are a helpful assistant."  # the deployment worker's default (modeling_eagle2_5_vl_inference.py)
TEMPLATE = "qwen2-chat"
NEW_TOKENS = 8

# Qwen2.5's own special tokens, in its order, then the ones Eagle adds (InternVL order: <img>, </img>,
# <IMG_CONTEXT>, ...), so that <IMG_CONTEXT> sits two places after <img> as 151667 does after 151665.
QWEN_SPECIAL = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
]
EAGLE_SPECIAL = ["<img>", "</img>", "<IMG_CONTEXT>", "<quad>", "</quad>", "<ref>", "</ref>", "<box>", "</box>",
                 "<interval>", "</interval>"]
QWEN2_PRETOKENIZE = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                     r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
BPE_VOCAB = 420  # byte alphabet (256) plus merges learnt from CORPUS

# ChatML with the qwen2-chat defaults; checked below to render exactly what their conversation template renders.
CHAT_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}"
    "{% set messages = messages[1:] %}{% else %}{% set system = 'You are a helpful assistant.' %}{% endif %}"
    "{{ '<|im_start|>system\\n' + system + '<|im_end|>\\n' }}"
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

CORPUS = """What is shown in the image? Answer the question using a single word or phrase.
Answer with the option's letter from the given choices directly.
Which color is the sign? The sign is red. What is the title of the chart? How many people are there?
Describe this image in detail. A. cat B. dog C. bird D. fish. Options: yes, no.
The quick brown fox jumps over the lazy dog. There are two cars and a bus on the street.
Is there a person in the picture? What does the text say? Read the numbers: 0 1 2 3 4 5 6 7 8 9 10 2024.
Question: what is the value of the largest bar in the chart? Hint: please answer the question.
You are a helpful assistant. The answer is blue. The image shows a small house near the river.
"""

TILE_SIZES = [  # (width, height)
    (8, 8), (10, 30), (32, 32), (64, 64), (100, 100), (130, 50), (448, 448), (500, 501), (640, 360), (640, 480),
    (480, 640), (800, 200), (200, 800), (896, 448), (1344, 448), (1000, 100), (100, 1000), (2048, 64),
    (1024, 768), (1920, 1080), (1080, 1920), (300, 1200), (4000, 3000), (3000, 300),
]
MAX_TILES = (6, 12, 24)

IMAGES = {  # name: (width, height), all seeded
    "square_48x40": (48, 40),
    "wide_160x96": (160, 96),
    "tall_50x130": (50, 130),
}

PROMPTS = [  # (style, question text as a task would send it)
    ("short_answer", "What is the color of the sign?\nAnswer the question using a single word or phrase."),
    ("multiple_choice", "Which animal is shown?\nA. cat\nB. dog\nC. bird\nD. fish\n"
                        "Answer with the option's letter from the given choices directly."),
    ("plain", "Describe this image."),
]
PROMPT_IMAGES = ["wide_160x96", "square_48x40"]


def tiny_config_dicts(vocab_size: int, image_context_id: int, bos_id: int, eos_id: int) -> dict:
    vision = {
        "model_type": "siglip_vision_model", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 4,
        "num_attention_heads": 2, "num_channels": 3, "image_size": TINY_TILE, "patch_size": 16,
        "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6, "attention_dropout": 0.0,
    }
    text = {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": vocab_size, "hidden_size": 32,
        "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "hidden_act": "silu", "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "tie_word_embeddings": False, "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 2,
        "attention_dropout": 0.0, "bos_token_id": bos_id, "eos_token_id": eos_id,
        "initializer_range": 0.02, "torch_dtype": "float32",
    }
    return {
        "vision_config": vision, "text_config": text, "select_layer": -4, "force_image_size": TINY_TILE,
        "downsample_ratio": 0.5, "template": TEMPLATE, "dynamic_image_size": True, "use_thumbnail": True,
        "min_dynamic_tiles": 1, "max_dynamic_tiles": 12, "image_token_index": image_context_id,
        "use_pixel_shuffle": True, "mlp_connector_layers": 2, "pad2square": False, "loss_version": "v1",
        "mlp_checkpoint": False, "use_backbone_lora": 0, "use_llm_lora": 0,
    }


def stub_unused_imports() -> None:
    """Stand-ins for modules their modeling file imports but image-and-text inference never calls."""
    def unusable(name):
        def fail(*args, **kwargs):
            raise RuntimeError(f"{name} is a stand-in here")
        return fail

    peft = types.ModuleType("peft")
    peft.LoraConfig = unusable("peft.LoraConfig")
    peft.get_peft_model = unusable("peft.get_peft_model")
    sys.modules["peft"] = peft
    radio = types.ModuleType("eaglevl.model.c_radio.radio_model")
    radio.RADIOModel = type("RADIOModel", (), {"__init__": unusable("RADIOModel")})
    radio.RADIOConfig = type("RADIOConfig", (), {"__init__": unusable("RADIOConfig")})
    sys.modules["eaglevl.model.c_radio.radio_model"] = radio
    liger = types.ModuleType("eaglevl.train.liger_loss_weight_ops")
    liger.LigerFusedLinearCrossEntropyLoss = unusable("LigerFusedLinearCrossEntropyLoss")
    sys.modules["eaglevl.train.liger_loss_weight_ops"] = liger


def load_named(path: Path, names: set[str], namespace: dict) -> dict:
    """Run only the named top-level functions, classes and assignments of a source file, in `namespace`."""

    def name_of(node: ast.stmt) -> str | None:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            return node.name
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
        return None

    keep = [node for node in ast.parse(path.read_text()).body if name_of(node) in names]
    missing = names - {name_of(node) for node in keep}
    if missing:
        raise SystemExit(f"{path}: not found: {sorted(missing)}")
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


def build_tokenizer(out: Path):
    """A byte-level BPE tokenizer in Qwen2's layout: NFC, Qwen2's split regex, byte-level pieces, the special
    tokens appended after the learnt vocabulary in Qwen2.5 + Eagle order."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )
    from transformers import Qwen2TokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, min_frequency=1, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tok.train_from_iterator(CORPUS.splitlines() * 4, trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in QWEN_SPECIAL + EAGLE_SPECIAL])
    out.mkdir(parents=True, exist_ok=True)
    tok.model.save(str(out))  # vocab.json + merges.txt, for the slow Qwen2Tokenizer their worker loads
    fast = Qwen2TokenizerFast(tokenizer_object=tok, bos_token=None, unk_token=None, eos_token="<|im_end|>",
                              pad_token="<|endoftext|>", model_max_length=32768, errors="replace",
                              additional_special_tokens=EAGLE_SPECIAL)
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(out))
    return fast


def image_array(seed: int, size: tuple[int, int]):
    """A seeded RGB image: a smooth colour field plus noise, so resampling has detail to get right."""
    import numpy as np

    width, height = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    base = np.stack([128 + 100 * np.sin(xx / (3 + c) + yy / (5 + 2 * c) + c) for c in range(3)], axis=-1)
    grain = rng.normal(0, 40, size=(height, width, 3))
    return np.clip(np.rint(base + grain), 0, 255).astype(np.uint8)


def write_golden(path: Path, golden: dict) -> None:
    """One list entry per line, so a diff shows which case changed."""
    lines = []
    for n, (key, value) in enumerate(golden.items()):
        comma = "," if n < len(golden) - 1 else ""
        if isinstance(value, list):
            rows = ",\n".join(json.dumps(r, ensure_ascii=False) for r in value)
            lines.append(f"{json.dumps(key)}: [\n{rows}\n]{comma}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    path.write_text("{\n" + "\n".join(lines) + "\n}\n")


def load_their_code(src: Path) -> types.SimpleNamespace:
    """Their modeling and conversation modules, and the preprocessing functions of their inference worker with
    the chosen grid recorded (and checked against the training copy of the rule)."""
    import torchvision.transforms as T
    from torchvision.transforms.functional import InterpolationMode

    sys.path.insert(0, str(src))
    stub_unused_imports()
    import eaglevl.conversation as conversation
    import eaglevl.model.eagle2_5 as eagle2_5
    import eaglevl.model.eagle2_5.modeling_eagle2_5_vl as modeling

    prep = load_named(src / "deployment" / "inference.py",
                      {"IMAGENET_MEAN", "IMAGENET_STD", "SIGLIP_MEAN", "SIGLIP_STD", "build_transform",
                       "find_closest_aspect_ratio", "dynamic_preprocess"},
                      {"T": T, "InterpolationMode": InterpolationMode})
    train_prep = load_named(src / "eaglevl" / "train" / "dataset.py", {"find_closest_aspect_ratio_v2"}, {})
    chosen: list = []
    their_choice = prep["find_closest_aspect_ratio"]

    def recording_choice(*a, **k):
        ratio = their_choice(*a, **k)
        chosen.append(tuple(ratio))
        assert tuple(train_prep["find_closest_aspect_ratio_v2"](*a, **k)) == tuple(ratio)
        return ratio

    prep["find_closest_aspect_ratio"] = recording_choice
    return types.SimpleNamespace(conversation=conversation, modeling=modeling, eagle2_5=eagle2_5, prep=prep,
                                 chosen=chosen)


def build_and_reload(their, checkpoint: Path, tiny: dict):
    """Their model built from the tiny config, saved with their save_pretrained, loaded back with their
    from_pretrained, then switched to eager attention and given what their chat() lacks."""
    import torch
    from transformers.modeling_utils import PreTrainedModel

    model_class = their.eagle2_5.Eagle2_5_VLForConditionalGeneration
    original_check = PreTrainedModel.__dict__["_check_and_enable_flash_attn_2"]
    PreTrainedModel._check_and_enable_flash_attn_2 = classmethod(lambda cls, config, *a, **k: config)
    try:
        config = their.eagle2_5.Eagle2_5_VLConfig(
            **tiny, attn_implementation="flash_attention_2", architectures=["Eagle2_5_VLForConditionalGeneration"],
            auto_map={"AutoConfig": "configuration_eagle2_5_vl.Eagle2_5_VLConfig",
                      "AutoModel": "modeling_eagle2_5_vl.Eagle2_5_VLForConditionalGeneration"},
            torch_dtype="float32")
        built = model_class(config).eval()
        # The language model's default init (std 0.02) leaves near-uniform logits; wider seeded weights keep
        # greedy choices well apart so that another attention kernel cannot flip them.
        generator = torch.Generator().manual_seed(SEED + 1)
        with torch.no_grad():
            for name, param in built.language_model.named_parameters():
                if param.dim() >= 2:
                    scale = 1.0 if "lm_head" in name else 0.3
                    param.copy_(torch.randn(param.shape, generator=generator) * scale)
        built.save_pretrained(str(checkpoint), safe_serialization=True)
        model = model_class.from_pretrained(str(checkpoint), torch_dtype=torch.float32).eval()
    finally:
        PreTrainedModel._check_and_enable_flash_attn_2 = original_check
    configs = (model.config, model.config.vision_config, model.config.text_config, model.vision_model.config,
               model.language_model.config, model.language_model.model.config)
    for sub in {id(c): c for c in configs}.values():
        sub._attn_implementation = "eager"
    for key, value in built.state_dict().items():
        assert torch.equal(value, model.state_dict()[key]), key
    their.modeling.get_conv_template = their.conversation.get_conv_template
    model.system_message = SYSTEM_MESSAGE
    their_shuffle = model.pixel_shuffle

    def contiguous_shuffle(x, scale_factor=0.5):
        return their_shuffle(x.contiguous(), scale_factor=scale_factor)

    model.pixel_shuffle = contiguous_shuffle
    return model


def check_chat_template(their, fast) -> str:
    """The tokenizer's chat template renders what their conversation template renders; returns its stop string."""
    conv = their.conversation.get_conv_template(TEMPLATE)
    conv.system_message = SYSTEM_MESSAGE
    conv.append_message(conv.roles[0], "<image>\nHello?")
    conv.append_message(conv.roles[1], None)
    rendered = fast.apply_chat_template([{"role": "user", "content": "<image>\nHello?"}], tokenize=False,
                                        add_generation_prompt=True)
    assert rendered == conv.get_prompt(), (rendered, conv.get_prompt())
    return conv.sep


def tile_choice_rows(their) -> list[dict]:
    from PIL import Image

    rows = []
    for tile in (TINY_TILE, RELEASED_TILE):
        for width, height in TILE_SIZES:
            blank = Image.new("RGB", (width, height), (127, 127, 127))
            for max_num in MAX_TILES:
                for thumbnail in (False, True):
                    their.chosen.clear()
                    tiles = their.prep["dynamic_preprocess"](blank, min_num=1, max_num=max_num, image_size=tile,
                                                             use_thumbnail=thumbnail)
                    (grid,) = their.chosen
                    assert all(t.size == (tile, tile) for t in tiles)
                    rows.append({"tile_size": tile, "width": width, "height": height, "min_num": 1,
                                 "max_num": max_num, "use_thumbnail": thumbnail, "grid_cols": grid[0],
                                 "grid_rows": grid[1], "num_tiles": len(tiles)})
    return rows


def their_pixel_values(their, model, image):
    import torch

    their.chosen.clear()
    tiles = their.prep["dynamic_preprocess"](image, min_num=1, max_num=model.config.max_dynamic_tiles,
                                             image_size=TINY_TILE, use_thumbnail=model.config.use_thumbnail)
    transform = their.prep["build_transform"](input_size=TINY_TILE, norm_type="siglip")
    return torch.stack([transform(t) for t in tiles])


def image_goldens(their, model, images_dir: Path, tensors: dict) -> tuple[list[dict], dict]:
    """Pixel values and vision features for each seeded image (written as PNG and read back)."""
    import torch
    from PIL import Image

    records, pil_images = [], {}
    for index, (name, size) in enumerate(IMAGES.items()):
        path = images_dir / f"{name}.png"
        Image.fromarray(image_array(SEED + index, size)).save(path)
        image = Image.open(path)
        image.load()
        pil_images[name] = image
        pixel_values = their_pixel_values(their, model, image)
        with torch.no_grad():
            hidden = model.vision_model(pixel_values=pixel_values, output_hidden_states=True,
                                        return_dict=True).hidden_states
            selected = hidden[model.select_layer]
            shuffled = model.pixel_shuffle(selected, scale_factor=model.downsample_ratio)
            projected = model.mlp1(shuffled)
            assert torch.equal(projected, model.extract_feature(pixel_values))
        named = {"pixel_values": pixel_values, "vit_selected": selected, "pixel_shuffled": shuffled,
                 "mlp1": projected}
        tensors.update({f"{name}.{k}": v.contiguous() for k, v in named.items()})
        (grid,) = their.chosen
        records.append({"name": name, "file": f"images/{name}.png", "width": size[0], "height": size[1],
                        "grid_cols": grid[0], "grid_rows": grid[1], "num_tiles": len(pixel_values),
                        "vit_hidden_states": len(hidden),
                        "shapes": {k: list(v.shape) for k, v in named.items()}})
    return records, pil_images


def prompt_goldens(their, model, tokenizer, fast, pil_images: dict, tensors: dict) -> list[dict]:
    """Prompt ids and greedy answers through their chat(), with what it hands to generate recorded."""
    import torch

    calls: list = []
    lm_generate = model.language_model.generate
    their_generate = model.generate

    def recording_generate(*a, **k):
        k = dict(k, return_dict_in_generate=True, output_scores=True)
        result = lm_generate(*a, **k)
        calls.append({**k, "sequences": result.sequences, "scores": result.scores})
        return result.sequences

    def capturing_generate(*a, **k):
        calls.append({"input_ids": k["input_ids"].clone()})
        return their_generate(*a, **k)

    model.language_model.generate = recording_generate
    model.generate = capturing_generate
    cuda = torch.Tensor.cuda
    torch.Tensor.cuda = lambda self, *a, **k: self
    records = []
    try:
        for image_name in PROMPT_IMAGES:
            pixel_values = their_pixel_values(their, model, pil_images[image_name])
            assert torch.equal(pixel_values, tensors[f"{image_name}.pixel_values"])
            for style, question in PROMPTS:
                calls.clear()
                response = model.chat(tokenizer, pixel_values, question,
                                      dict(max_new_tokens=NEW_TOKENS, do_sample=False, num_beams=1))
                seen, call = calls
                input_ids = seen["input_ids"][0].tolist()
                with torch.no_grad():
                    logits = model.language_model(inputs_embeds=call["inputs_embeds"],
                                                  attention_mask=call["attention_mask"]).logits[0, -1]
                key = f"prompt.{image_name}.{style}.last_logits"
                tensors[key] = logits.contiguous()
                prompt = tokenizer.decode(input_ids, skip_special_tokens=False)
                margins = [torch.topk(s[0], 2).values for s in call["scores"]]
                records.append({
                    "image": image_name, "style": style, "question": question, "num_tiles": len(pixel_values),
                    "image_tokens": input_ids.count(model.config.image_token_index), "prompt": prompt,
                    "input_ids": input_ids,
                    "fast_tokenizer_agrees": fast(prompt, add_special_tokens=False)["input_ids"] == input_ids,
                    "generated_ids": call["sequences"][0].tolist(), "response": response,
                    "greedy_margins": [round(float(t[0] - t[1]), 4) for t in margins], "last_logits": key,
                })
    finally:
        torch.Tensor.cuda = cuda
        model.language_model.generate = lm_generate
        model.generate = their_generate
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description="Golden Eagle 2.5 outputs from the authors' code.")
    parser.add_argument("eagle2_5_source", type=Path, help="folder holding their eaglevl/ and deployment/")
    parser.add_argument("out", type=Path, help="tests/goldens/eagle2_5")
    parser.add_argument("--source-commit", default="unknown", help="the NVlabs/Eagle commit of the source")
    args = parser.parse_args()
    checkpoint = args.out / "tiny-checkpoint"
    images_dir = args.out / "images"
    images_dir.mkdir(parents=True, exist_ok=True)

    import numpy as np
    import PIL
    import tokenizers
    import torch
    import torchvision
    import transformers
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    their = load_their_code(args.eagle2_5_source.resolve())
    fast = build_tokenizer(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint), use_fast=False)  # as their worker loads it
    assert type(tokenizer).__name__ == "Qwen2Tokenizer", type(tokenizer)
    ids_of = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL + EAGLE_SPECIAL}
    # One embedding row per token. (Qwen2.5 pads its vocabulary to 152,064 rows; random weights would pick
    # padding rows, which their chat() cannot decode.)
    tiny = tiny_config_dicts(len(tokenizer), ids_of["<IMG_CONTEXT>"], ids_of["<|endoftext|>"], ids_of["<|im_end|>"])
    model = build_and_reload(their, checkpoint, tiny)
    stop = check_chat_template(their, fast)

    golden: dict = {"meta": {
        "generator": "scripts/make_eagle2_5_goldens.py", "eagle_source": "NVlabs/Eagle Eagle2_5/",
        "eagle_source_commit": args.source_commit, "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
        "pillow": PIL.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
        "dtype": "float32", "device": "cpu", "attn_implementation": "eager (saved config says flash_attention_2)",
        "seed": SEED, "template": TEMPLATE, "system_message": SYSTEM_MESSAGE,
        "tensors": "tensors.safetensors",
    }}
    golden["tiny_config"] = tiny
    golden["model"] = {"num_image_token": model.num_image_token, "select_layer": model.select_layer,
                       "downsample_ratio": model.downsample_ratio, "image_size": TINY_TILE, "patch_size": 16,
                       "parameters": sum(p.numel() for p in model.parameters())}
    golden["tokenizer"] = {"len": len(tokenizer), "vocab_size_in_config": tiny["text_config"]["vocab_size"],
                           "special_token_ids": ids_of, "image_token_index": ids_of["<IMG_CONTEXT>"],
                           "eos_token": tokenizer.eos_token, "pad_token": tokenizer.pad_token,
                           "bos_token": tokenizer.bos_token, "chat_eos_id": tokenizer.convert_tokens_to_ids(stop)}
    golden["preprocess"] = {"mean": list(their.prep["SIGLIP_MEAN"]), "std": list(their.prep["SIGLIP_STD"]),
                            "norm_type": "siglip"}
    golden["tile_choice"] = tile_choice_rows(their)
    tensors: dict = {}
    golden["images"], pil_images = image_goldens(their, model, images_dir, tensors)
    golden["prompts"] = prompt_goldens(their, model, tokenizer, fast, pil_images, tensors)
    save_file(tensors, str(args.out / "tensors.safetensors"), metadata={"eagle_source_commit": args.source_commit})
    write_golden(args.out / "goldens.json", golden)


if __name__ == "__main__":
    main()
