"""Input truncation to the checkpoint's `tokenizer_model_max_length`, as the authors' inference code cuts.

Their rule (eagle_arch.prepare_inputs_labels_for_multimodal): splice each row's image embeddings in,
then keep the row's first `tokenizer_model_max_length` positions. The reference here applies that rule
by hand to the untruncated spliced row and runs the LLM on it directly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.eagle.adapter import EagleAdapter
from eagle_eval.model_adapters.eagle.checkpoint import load_eagle
from eagle_eval.model_adapters.eagle.config import EagleConfig, EagleConfigError
from eagle_eval.model_adapters.eagle.preprocessing import images_to_uint8, normalize_uint8
from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.registration import parse_switch
from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint

LIMIT = 190  # one-image prompts of the tiny model take ~124 positions, this two-image one 209


@pytest.fixture(scope="module")
def limited_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("limited") / "eagle-tiny-limited"
    shutil.copytree(ensure_tiny_checkpoint("eagle-tiny"), target)
    config = json.loads((target / "config.json").read_text())
    config["tokenizer_model_max_length"] = LIMIT
    (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.fixture(scope="module")
def adapters(limited_dir: Path) -> dict[str, EagleAdapter]:
    loaded = load_eagle(limited_dir, device="cpu", released_preset=False)
    return {"on": EagleAdapter("eagle-tiny", loaded, batch_size=2),
            "off": EagleAdapter("eagle-tiny", loaded, batch_size=2, truncate_inputs=False)}


def _image(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (40, 48, 3), dtype=np.uint8))


def _requests() -> list[Request]:
    settings = GenerationSettings(max_new_tokens=6)
    return [
        Request("t", "val", 0, "Compare <image> and <image>. Which one shows a red car? Answer yes or no.",
                [_image(0), _image(1)], settings),
        Request("t", "val", 1, "Is there a dog?", [_image(2)], settings),
    ]


def _authors_rule_answer(adapter: EagleAdapter, request: Request, limit: int | None) -> str:
    """Greedy decoding of the spliced row cut to `limit` by slicing, fed to the LLM without our batching."""
    model = adapter.model
    ids = adapter.prompt_ids(request)
    pixels = normalize_uint8(images_to_uint8(request.images, model.config.vision.image_size), adapter.loaded.dtype)
    row = model.build_inputs([ids], model.encode_images(pixels)).inputs_embeds[0]
    embeds = row[:limit][None]
    tokens: list[int] = []
    with torch.no_grad():
        for _ in range(request.generation.max_new_tokens):
            logits = model.llm(inputs_embeds=embeds).logits[0, -1]
            token = int(logits.argmax())
            if token in adapter.loaded.eos_token_ids:
                break
            tokens.append(token)
            embeds = torch.cat([embeds, model.model.embed_tokens(torch.tensor([[token]]))], dim=1)
    return adapter.text_tokenizer.decode(tokens).strip()


def test_config_reads_and_writes_the_authors_key(tmp_path: Path, limited_dir: Path) -> None:
    config = EagleConfig.from_file(limited_dir / "config.json")
    assert config.tokenizer_model_max_length == LIMIT
    config.save(tmp_path / "config.json")
    assert json.loads((tmp_path / "config.json").read_text())["tokenizer_model_max_length"] == LIMIT
    assert get_preset("eagle-tiny").eagle_config().tokenizer_model_max_length is None
    data = json.loads((limited_dir / "config.json").read_text())
    with pytest.raises(EagleConfigError, match="tokenizer_model_max_length"):
        EagleConfig.from_json_dict({**data, "tokenizer_model_max_length": "2048"})


def test_the_cut_keeps_each_rows_first_positions_after_splicing(adapters: dict[str, EagleAdapter]) -> None:
    adapter = adapters["on"]
    model = adapter.model
    requests = _requests()
    rows = [adapter.prompt_ids(r) for r in requests]
    images = [image for r in requests for image in r.images]
    pixels = normalize_uint8(images_to_uint8(images, model.config.vision.image_size), adapter.loaded.dtype)
    embeds = model.encode_images(pixels)
    full = model.build_inputs(rows, embeds)
    cut = model.build_inputs(rows, embeds, max_length=LIMIT)
    lengths = [len(rows[0]) + 2 * (embeds.shape[1] - 1), len(rows[1]) + embeds.shape[1] - 1]
    assert full.lengths == lengths and lengths[0] > LIMIT > lengths[1]
    assert cut.lengths == [LIMIT, lengths[1]]
    # Row 0 keeps positions 0..LIMIT-1 of its spliced sequence (both images whole here, the tail lost).
    assert torch.equal(cut.inputs_embeds[0], full.inputs_embeds[0, -lengths[0]:][:LIMIT])
    assert cut.position_ids[0].tolist() == list(range(LIMIT))
    # Row 1 is untouched, left-padded to the new batch length.
    assert torch.equal(cut.inputs_embeds[1, -lengths[1]:], full.inputs_embeds[1, -lengths[1]:])
    assert cut.attention_mask[1].sum() == lengths[1]


@pytest.mark.slow
def test_adapter_answers_match_the_authors_rule_and_note_the_cut(adapters: dict[str, EagleAdapter]) -> None:
    adapter = adapters["on"]
    requests = _requests()
    answers = adapter.generate(requests)
    notes = adapter.last_call_stats().notes
    assert [n["input_truncated"] for n in notes] == [True, False]
    assert notes[0]["input_positions"] > LIMIT
    assert answers == [_authors_rule_answer(adapter, r, LIMIT) for r in requests]
    info = adapter.info()
    assert info.settings == {"input_max_length": LIMIT}
    assert info.extra["input_truncation"]["max_length"] == LIMIT


@pytest.mark.slow
def test_opting_out_is_explicit_recorded_and_fingerprinted(adapters: dict[str, EagleAdapter]) -> None:
    on, off = adapters["on"], adapters["off"]
    requests = _requests()
    answers = off.generate(requests)
    assert [n["input_truncated"] for n in off.last_call_stats().notes] == [False, False]
    assert answers[0] == _authors_rule_answer(off, requests[0], None)
    assert answers[0] != _authors_rule_answer(off, requests[0], LIMIT)  # the cut matters for this prompt
    assert off.info().settings == {"input_max_length": "off"}
    assert off.info().extra["input_truncation"]["rule"].startswith("off")
    assert on.info().fingerprint() != off.info().fingerprint()


def test_the_opt_out_is_a_declared_model_arg() -> None:
    from eagle_eval.api.registry import ModelArgError, get_model_entry

    for preset in ("eagle-tiny", "eagle-x5-7b"):
        get_model_entry(preset).check_model_args({"truncate_inputs": "false"})
        with pytest.raises(ModelArgError, match="truncate_inputs"):
            get_model_entry(preset).check_model_args({"truncate_inputs": "maybe"})


def test_truncate_inputs_option_parses_switches() -> None:
    assert parse_switch("false", "truncate_inputs") is False and parse_switch("On", "x") is True
    assert parse_switch(True, "x") is True
    with pytest.raises(ValueError, match="truncate_inputs"):
        parse_switch("maybe", "truncate_inputs")


@pytest.mark.slow
def test_a_run_counts_the_truncated_mmmu_samples(adapters: dict[str, EagleAdapter], tmp_path: Path) -> None:
    from eagle_eval.run.runner import RunConfig, run_evaluation

    bundled = Path(__file__).resolve().parents[3] / "data" / "hub"
    config = RunConfig(model="eagle-tiny", tasks=["mmmu"], data_root=bundled, output_dir=tmp_path, batch_size=2,
                       limit=2, device="cpu", show_progress=False)
    outcome = run_evaluation(config, adapter=adapters["on"])
    samples = [json.loads(line) for line in (outcome.run_dir / "samples" / "mmmu.jsonl").read_text().splitlines()]
    cut = [s["doc_id"] for s in samples if s["notes"]["input_truncated"]]
    assert all((s["notes"]["input_positions"] > LIMIT) == (s["doc_id"] in cut) for s in samples)
    assert 0 < len(cut) < len(samples)
    assert outcome.results.results["mmmu"].n_input_truncated == len(cut)
    assert json.loads(outcome.results_path.read_text())["model"]["settings"] == {"input_max_length": LIMIT}
