"""Golden outputs of the Eagle2-9B format (`Eagle2ChatModel`, SigLIP + ConvNeXt channel concat) from the authors'
code on a tiny random checkpoint in the released layout (not run in CI).

Where the code comes from. Eagle2-9B's remote code (`modeling_eagle_chat.py`, `configuration_eagle_chat.py`,
`multi_backbone_channel_concatenation_*`, the SigLIP and ConvNeXt towers) was published only with the hub
checkpoint. Two public copies are used:

- the vision towers, NVIDIA's own: NVlabs/Eagle at 783f656d127ee498137b5ff52603ce36c292d317,
  `Eagle2_5/eaglevl/model/multimodal_encoder/` (`MultiBackboneChannelConcatenationVisionModel` and its config,
  `MultiBackboneChannelConcatenationVisionTower` with the `convnext_512_siglip_448` mode, `ConvNextVisionTower`
  in convnext_encoder.py with its SigLIP-to-CLIP renormalisation, their timm ConvNeXt copy convnext.py, and
  `SiglipVisionTower` over their SigLIP copy `eaglevl/model/siglip/`) — the same files as the extraction at
  /work/authors-eagle2/src used by make_eagle2_5_goldens.py;
- the top-level model, a vendored copy of the hub code: huggingface/transformers at
  981d34c9402b26ac8cac9736c319f7678c08d7e4 (an unmerged contributor branch porting Eagle2),
  `src/transformers/models/eagle2/modeling_ealge2.py` (`Eagle2ChatModel`: the `convnext_512_siglip_448` branch
  that pixel-shuffles the SigLIP map, concatenates it with the ConvNeXt tokens and runs `mlp1`; the hub file's
  transformers 4.37.2-4.39.2 asserts) and `configuration_eagle2.py` (`Eagle2ChatConfig`, the hub's
  `configuration_eagle_chat.py` under another name). The branch is a work in progress: its files were renamed
  and merged, the configuration module does not import as it stands (below), and its own MOB config and tower
  are an older variant that hard-codes the SigLIP tower to 448 px. Only `Eagle2ChatModel`, `version_cmp` and
  `Eagle2ChatConfig` are taken from it. NVIDIA/Isaac-GR00T's `gr00t/model/backbone/eagle2_hg_model/` copy was
  checked too: it is cut down to SigLIP + Llama (no ConvNeXt branch), so it cannot serve for 9B.

Side environment (the one make_eagle2_5_goldens.py documents, reused): /work/authors-eagle2/venv with torch
2.14.1, transformers 4.51.0, tokenizers 0.21.1, timm 1.0.11, numpy 1.26.4; NVlabs/Eagle `Eagle2_5` extracted at
783f656 into /work/authors-eagle2/src/Eagle2_5; the two huggingface/transformers files at 981d34c written
unmodified into one folder (the index serves them as text: `read_file` of the repository, path and commit):

    /work/authors-eagle2/venv/bin/python scripts/make_eagle2_9b_goldens.py \\
        /work/authors-eagle2/src/Eagle2_5 /work/authors-eagle2/src-eagle2-9b/hf-transformers-981d34c/eagle2 \\
        tests/goldens/eagle2_9b

Their files run unmodified; the process around them is changed at run time:

- Module wiring. `modeling_ealge2.py` imports its siblings relatively; a package built here maps
  `.configuration_eagle2` to the branch's file, `.conversation` to NVlabs `eaglevl.conversation`,
  `.multi_backbone_channel_concatentation_model` / `.multi_backbone_channel_concatenation_encoder` to the NVlabs
  modules, and `.flash_attention` to an empty module (CPU, no flash-attn; their SigLIP copy falls back to eager
  attention by itself). `peft` and `internvl.model.c_radio` (LoRA, the RADIO tower: never used at inference) get
  stand-ins.
- `configuration_eagle2.py` annotates with `Union` without importing it: the module runs with `Union` defined.
  Its `MultiBackboneChannelConcatenationVisionModelConfig` name is pointed at NVIDIA's class (NVlabs), the one
  the NVlabs tower reads (`siglip_img_size`, `radio_img_size`).
- The transformers version asserts (4.37.2-4.39.2) in `Eagle2ChatModel.__init__`: `version_cmp` answers true.
- Tiny sizes: `convnext_xxlarge` in convnext_encoder.py is called with tiny `depths`/`dims`/`num_classes`
  (their function accepts them as overrides), and the tower's hard-coded `hidden_size` 3072 is set to the tiny
  last width right after their `load_model`, before `mlp1` is sized from it.
- Saving. transformers 4.51's `save_pretrained` builds the config class without arguments, which their config
  refuses (it needs a vision config); the checkpoint is written as save_pretrained lays it out (the config's own
  `to_json_file`, the state dict as model.safetensors with `format: pt`) and read back with their
  `from_pretrained`.
- dtype. Their ConvNeXt tower casts itself to bfloat16 when built. The tiny ConvNeXt weights are drawn on the
  bfloat16 grid (so the cast loses nothing and the float32 checkpoint holds exactly what the released layout
  would), and the loaded model is cast to float32 before anything is computed.
- `model.chat` moves its inputs with `.cuda()`: `torch.Tensor.cuda` returns the tensor itself while it runs; the
  language model's `generate` is wrapped to also return per-step scores (the ids are unchanged) and to drop the
  `return_dict=None` / `output_hidden_states=None` their `generate` passes on: transformers 4.51 forwards them to
  the model beside its own `return_dict=True` (a duplicate-keyword error), where 4.37-4.39 ignored them.
- Pixel values come from NVIDIA's tiling (`dynamic_preprocess` + `build_transform(norm_type='siglip')` of
  Eagle2_5/deployment/inference.py, the rule Eagle 2's VLMEvalKit wrapper shares, see ../eagle2/README.md) at
  the tiny tile size.

The language model's and the ConvNeXt's weights are redrawn from seeded generators with a wider spread than their
default init (greedy margins are recorded). tests/goldens/eagle2_9b/README.md says what is recorded.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
import types
import typing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_eagle2_5_goldens as base  # noqa: E402  (tokenizer, images and file helpers shared with Eagle 2.5)

SEED = 0
TILE = 28  # SigLIP tile (released: 448)
SIGLIP_PATCH = 7  # 4x4 patches -> 2x2 tokens after the pixel shuffle
CONVNEXT_SIZE = 64  # ConvNeXt input (released: 512); stride 32 -> the same 2x2 token grid
GRID = TILE // SIGLIP_PATCH
CONVNEXT = {"depths": [1, 1, 2, 1], "dims": [8, 16, 24, 32], "num_classes": 10}
TEMPLATE = "qwen2-chat"
NEW_TOKENS = 8
IMAGES = {"square_30x26": (30, 26), "wide_84x40": (84, 40)}
PROMPTS = base.PROMPTS[:2]
MAX_TILES = 6
PACKAGE = "eagle2_9b_reference"
NONE_PASSED = ("return_dict", "output_hidden_states")  # their generate() passes these as None


def tiny_config(vocab_size: int, bos_id: int, eos_id: int) -> dict:
    siglip = {"model_type": "siglip_vision_model", "hidden_size": 32, "intermediate_size": 64,
              "num_hidden_layers": 2, "num_attention_heads": 2, "num_channels": 3, "image_size": TILE,
              "patch_size": SIGLIP_PATCH, "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6,
              "attention_dropout": 0.0}
    vision = {"model_type": "MOB", "vision_path": "MOB:convnext-1024;palisiglip",
              "moe_version_type": "convnext_512_siglip_448", "grid_size": GRID, "hidden_size": "lazy_calculation",
              "mm_vision_select_layer": -1, "convnext_img_size": CONVNEXT_SIZE, "siglip_img_size": TILE,
              "radio_img_size": TILE, "image_size": {"siglip": TILE, "convnext": CONVNEXT_SIZE, "radio": TILE},
              "normalize_type": "siglip", "delay_load": True, "freeze_backbones": None,
              "vision_tower_siglip_path": "google/paligemma-3b-pt-448 (tiny stand-in, not read)",
              "vision_tower_convnext_path": "convnext_xxlarge.clip_laion2b_soup", "siglip_vision_config": siglip}
    text = dict(base.tiny_config_dicts(vocab_size, 0, bos_id, eos_id)["text_config"])
    return {"vision_config": vision, "llm_config": text, "select_layer": -1, "force_image_size": TILE,
            "downsample_ratio": 0.5, "template": TEMPLATE, "dynamic_image_size": True, "use_thumbnail": True,
            "min_dynamic_patch": 1, "max_dynamic_patch": MAX_TILES, "mlp_checkpoint": False,
            "use_backbone_lora": 0, "use_llm_lora": 0, "tie_word_embeddings": False,
            "architectures": ["Eagle2ChatModel"], "torch_dtype": "float32",
            "auto_map": {"AutoConfig": "configuration_eagle_chat.Eagle2ChatConfig",
                         "AutoModel": "modeling_eagle_chat.Eagle2ChatModel"}}


def run_file(name: str, path: Path, preset: dict) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = str(path)
    module.__package__ = name.rpartition(".")[0]
    module.__dict__.update(preset)
    sys.modules[name] = module
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def load_their_code(eagle_src: Path, branch_src: Path) -> types.SimpleNamespace:
    """NVIDIA's towers (NVlabs/Eagle) wired under the branch's `Eagle2ChatModel`, as the hub folder wires them."""
    base.stub_unused_imports()
    radio = types.ModuleType("internvl.model.c_radio")
    radio.RADIOModel = radio.RADIOConfig = type("RADIOStandIn", (), {})
    for name in ("internvl", "internvl.model"):
        sys.modules[name] = types.ModuleType(name)
    sys.modules["internvl.model.c_radio"] = radio
    their = base.load_their_code(eagle_src)
    import eaglevl.model.multimodal_encoder.configuration_multi_backbone_channel_concatentation_model as mob_config
    import eaglevl.model.multimodal_encoder.convnext_encoder as convnext_encoder
    import eaglevl.model.multimodal_encoder.multi_backbone_channel_concatenation_encoder as mob_encoder
    import eaglevl.model.multimodal_encoder.multi_backbone_channel_concatentation_model as mob_model

    package = types.ModuleType(PACKAGE)
    package.__path__ = []
    sys.modules[PACKAGE] = package
    sys.modules[f"{PACKAGE}.conversation"] = their.conversation
    sys.modules[f"{PACKAGE}.flash_attention"] = types.ModuleType(f"{PACKAGE}.flash_attention")
    sys.modules[f"{PACKAGE}.multi_backbone_channel_concatentation_model"] = mob_model
    sys.modules[f"{PACKAGE}.multi_backbone_channel_concatenation_encoder"] = mob_encoder
    config = run_file(f"{PACKAGE}.configuration_eagle2", branch_src / "configuration_eagle2.py",
                      {"Union": typing.Union})
    config.MultiBackboneChannelConcatenationVisionModelConfig = mob_config.MultiBackboneChannelConcatenationVisionModelConfig
    modeling = run_file(f"{PACKAGE}.modeling_ealge2", branch_src / "modeling_ealge2.py", {})
    modeling.version_cmp = lambda *a, **k: True

    convnext_encoder.convnext_xxlarge = functools.partial(convnext_encoder.convnext_xxlarge, **CONVNEXT)
    their_load = convnext_encoder.ConvNextVisionTower.load_model

    def tiny_load(self):
        their_load(self)
        self.vision_tower.hidden_size = CONVNEXT["dims"][-1]

    convnext_encoder.ConvNextVisionTower.load_model = tiny_load
    return types.SimpleNamespace(base=their, config=config, modeling=modeling, convnext_encoder=convnext_encoder,
                                 mob_model=mob_model)


def redraw(model) -> None:
    """Seeded weights with spread: the LLM's matrices as for Eagle 2.5; the ConvNeXt on the bfloat16 grid."""
    import torch

    generator = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for name, param in model.language_model.named_parameters():
            if param.dim() >= 2:
                param.copy_(torch.randn(param.shape, generator=generator) * (1.0 if "lm_head" in name else 0.3))
        convnext = model.vision_model.vision_model.vision_towers[0].vision_tower
        for name, param in convnext.named_parameters():
            if param.dim() >= 2:
                value = torch.randn(param.shape, generator=generator) * 0.3
            elif name.endswith("weight"):
                value = 0.5 + 0.2 * torch.randn(param.shape, generator=generator)
            else:
                value = 0.1 * torch.randn(param.shape, generator=generator)
            param.copy_(value.to(torch.bfloat16).float())


def build_and_reload(their, checkpoint: Path, tiny: dict):
    import torch
    from safetensors.torch import save_file

    model_class = their.modeling.Eagle2ChatModel
    config = their.config.Eagle2ChatConfig(**tiny)
    built = model_class(config).eval()
    assert type(built.vision_model) is their.mob_model.MultiBackboneChannelConcatenationVisionModel
    redraw(built)
    built = built.float()
    checkpoint.mkdir(parents=True, exist_ok=True)
    built.config.to_json_file(str(checkpoint / "config.json"))
    save_file({k: v.contiguous() for k, v in built.state_dict().items()}, str(checkpoint / "model.safetensors"),
              metadata={"format": "pt"})
    model = model_class.from_pretrained(str(checkpoint), torch_dtype=torch.float32).eval().float()
    for sub in (model.config, model.config.llm_config, model.language_model.config):
        sub._attn_implementation = "eager"
    state = model.state_dict()
    for key, value in built.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert model.num_image_token == (GRID // 2) ** 2
    return model


def their_pixel_values(their, image):
    import torch

    their.base.chosen.clear()
    tiles = their.base.prep["dynamic_preprocess"](image, min_num=1, max_num=MAX_TILES, image_size=TILE,
                                                  use_thumbnail=True)
    transform = their.base.prep["build_transform"](input_size=TILE, norm_type="siglip")
    return torch.stack([transform(t) for t in tiles])


def tower_inputs(model):
    """Forward pre-hooks recording what each tower receives (ConvNeXt: resized, then renormalised for CLIP)."""
    towers = {tower.name: tower for tower in model.vision_model.vision_model.vision_towers}
    seen: dict = {}

    def record(key):
        def hook(_module, args):
            seen[key] = args[0].detach().clone()
        return hook

    handles = [towers["siglip"].register_forward_pre_hook(record("siglip.pixel_values")),
               towers["convnext"].register_forward_pre_hook(record("convnext.pixel_values")),
               towers["convnext"].vision_tower.stem.register_forward_pre_hook(record("convnext.clip_normalized"))]
    return seen, handles


def image_goldens(their, model, images_dir: Path, tensors: dict) -> tuple[list[dict], dict]:
    import torch
    from PIL import Image

    records, pil_images = [], {}
    seen, handles = tower_inputs(model)
    for index, (name, size) in enumerate(IMAGES.items()):
        path = images_dir / f"{name}.png"
        Image.fromarray(base.image_array(SEED + index, size)).save(path)
        image = Image.open(path)
        image.load()
        pil_images[name] = image
        pixel_values = their_pixel_values(their, image)
        with torch.no_grad():
            towers = model.vision_model(pixel_values=pixel_values, output_hidden_states=False,
                                        return_dict=True).last_hidden_state
            siglip = towers["siglip"]
            grid = int(siglip.shape[1] ** 0.5)
            shuffled = model.pixel_shuffle(siglip.reshape(siglip.shape[0], grid, grid, -1),
                                           scale_factor=model.downsample_ratio)
            shuffled = shuffled.reshape(shuffled.shape[0], -1, shuffled.shape[-1])
            concatenated = torch.cat([shuffled, towers["convnext"]], dim=-1)
            projected = model.mlp1(concatenated)
            assert torch.equal(projected, model.extract_feature(pixel_values))
        named = {"pixel_values": pixel_values, "siglip.pixel_values": seen["siglip.pixel_values"],
                 "convnext.pixel_values": seen["convnext.pixel_values"],
                 "convnext.clip_normalized": seen["convnext.clip_normalized"], "siglip.features": siglip,
                 "convnext.features": towers["convnext"], "pixel_shuffled": shuffled, "concatenated": concatenated,
                 "mlp1": projected}
        tensors.update({f"{name}.{k}": v.contiguous() for k, v in named.items()})
        (chosen,) = their.base.chosen
        records.append({"name": name, "file": f"images/{name}.png", "width": size[0], "height": size[1],
                        "grid_cols": chosen[0], "grid_rows": chosen[1], "num_tiles": len(pixel_values),
                        "shapes": {k: list(v.shape) for k, v in named.items()}})
    for handle in handles:
        handle.remove()
    return records, pil_images


def prompt_goldens(model, tokenizer, fast, pil_images: dict, their, tensors: dict) -> list[dict]:
    import torch

    calls: list = []
    lm_generate = model.language_model.generate
    their_generate = model.generate

    def recording_generate(*a, **k):
        k = {key: v for key, v in k.items() if not (key in NONE_PASSED and v is None)}
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
        for image_name in IMAGES:
            pixel_values = their_pixel_values(their, pil_images[image_name])
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
                    "image_tokens": input_ids.count(model.img_context_token_id), "prompt": prompt,
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
    parser = argparse.ArgumentParser(description="Golden Eagle2-9B-format outputs from the authors' code.")
    parser.add_argument("eagle2_5_source", type=Path, help="NVlabs/Eagle Eagle2_5/ at 783f656")
    parser.add_argument("branch_source", type=Path, help="folder with the transformers@981d34c eagle2 files")
    parser.add_argument("out", type=Path, help="tests/goldens/eagle2_9b")
    args = parser.parse_args()
    checkpoint = args.out / "tiny-checkpoint"
    images_dir = args.out / "images"
    images_dir.mkdir(parents=True, exist_ok=True)

    import numpy as np
    import PIL
    import timm
    import tokenizers
    import torch
    import transformers
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    assert importlib.util.find_spec("flash_attn") is None
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    their = load_their_code(args.eagle2_5_source.resolve(), args.branch_source.resolve())
    fast = base.build_tokenizer(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint), use_fast=False)
    ids_of = {t: tokenizer.convert_tokens_to_ids(t) for t in base.QWEN_SPECIAL + base.EAGLE_SPECIAL}
    tiny = tiny_config(len(tokenizer), ids_of["<|endoftext|>"], ids_of["<|im_end|>"])
    model = build_and_reload(their, checkpoint, tiny)
    golden: dict = {"meta": {
        "generator": "scripts/make_eagle2_9b_goldens.py",
        "towers_source": "NVlabs/Eagle 783f656d127ee498137b5ff52603ce36c292d317 Eagle2_5/eaglevl/model/",
        "model_source": "huggingface/transformers 981d34c9402b26ac8cac9736c319f7678c08d7e4 "
                        "src/transformers/models/eagle2/{modeling_ealge2,configuration_eagle2}.py",
        "transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "timm": timm.__version__,
        "torch": torch.__version__, "pillow": PIL.__version__, "numpy": np.__version__,
        "python": sys.version.split()[0], "dtype": "float32", "device": "cpu", "attn_implementation": "eager",
        "seed": SEED, "template": TEMPLATE, "system_message": model.system_message, "tensors": "tensors.safetensors",
    }}
    golden["tiny_config"] = tiny
    golden["model"] = {"num_image_token": model.num_image_token, "tile": TILE, "siglip_patch": SIGLIP_PATCH,
                       "convnext_size": CONVNEXT_SIZE, "convnext": CONVNEXT,
                       "mlp1_input": int(model.mlp1[0].normalized_shape[0]),
                       "parameters": sum(p.numel() for p in model.parameters())}
    golden["tokenizer"] = {"len": len(tokenizer), "special_token_ids": ids_of,
                           "image_context_id": ids_of["<IMG_CONTEXT>"], "eos_token": tokenizer.eos_token}
    golden["checkpoint_keys"] = sorted(model.state_dict())
    tensors: dict = {}
    golden["images"], pil_images = image_goldens(their, model, images_dir, tensors)
    golden["prompts"] = prompt_goldens(model, tokenizer, fast, pil_images, their, tensors)
    save_file(tensors, str(args.out / "tensors.safetensors"))
    base.write_golden(args.out / "goldens.json", golden)


if __name__ == "__main__":
    main()
