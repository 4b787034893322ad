"""results.json: round trip, validation errors, atomic writes."""

from __future__ import annotations

import json
import os

import pytest

from eagle_eval.results.document import ResultsError, RunResults, load_results, write_results


def test_round_trip(write_run):
    path = write_run("m", {"textvqa": ("TextVQA", 71.25), "mme": ("MME", 1500.0)}, subset={"mme"})
    run = load_results(path)
    assert run.results["textvqa"].headline.value == 71.25
    assert run.results["mme"].headline.units == "mme_points" and run.results["mme"].subset is True
    assert load_results(path.parent).run_id == run.run_id  # a run directory works too
    assert json.loads(path.read_text()) == run.to_json()
    assert RunResults.from_json(run.to_json()).to_json() == run.to_json()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("model"), "missing field 'model'"),
        (lambda d: d["results"]["textvqa"]["headline"].update(value="high"), "field 'value' has type str"),
        (lambda d: d["results"]["textvqa"].update(n_samples=True), "field 'n_samples' has type bool"),
        (lambda d: d["results"]["textvqa"].pop("subset"), "missing field 'subset'"),
        (lambda d: d.update(schema_version="1"), "schema_version '1' is not supported"),
    ],
)
def test_invalid_documents_name_the_problem(write_run, mutate, message):
    path = write_run("m", {"textvqa": ("TextVQA", 71.2)})
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=message) as info:
        load_results(path)
    assert str(path) in str(info.value)


def test_write_is_atomic_on_failure(write_run, monkeypatch):
    path = write_run("m", {"textvqa": ("TextVQA", 71.2)})
    before = path.read_bytes()
    run = load_results(path)

    # A value that cannot be serialised: nothing is written, the old file stays whole.
    run.results["textvqa"].metrics["bad"] = object()
    with pytest.raises(TypeError, match="cannot write object to results.json"):
        write_results(path, run)
    assert path.read_bytes() == before

    # A crash between writing the temporary file and renaming it leaves no partial results.json.
    del run.results["textvqa"].metrics["bad"]
    run.results["textvqa"].headline.value = 10.0

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_results(path, run)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json"]  # no temporary left behind


def test_run_results_json_shape(toy_world, toy_run, tmp_path):
    assert toy_run().code == 0
    (run_dir,) = list((tmp_path / "runs").iterdir())
    data = json.loads((run_dir / "results.json").read_text())
    assert list(data) == [
        "schema_version", "run_id", "created_at", "command", "seed", "model", "settings", "results",
        "software", "hardware", "n_errors", "variant", "predicted", "label",
    ]
    assert data["variant"] is None  # the full model
    assert list(data["results"]["toyqa"]) == [
        "task", "paper_column", "headline", "metrics", "n_samples", "n_errors", "subset", "extraction", "judge",
        "timings", "server_scored", "submission_file", "paper_protocol", "sources", "uncertainty",
        "calibration",
        "scoring_errors", "aggregation_error", "subset_reason",
        "n_input_truncated", "n_dataset_image_markers", "n_answers_truncated", "model_fingerprint", "gen_kwargs",
        "docs_fingerprint", "scorer",
    ]
    assert list(data["results"]["toyqa"]["timings"]) == [
        "samples_per_second", "time_to_first_token_s", "wall_seconds", "tokens_generated", "tokens_per_second",
        "samples_generated", "generation_seconds", "ttft_calls", "launches", "samples_reused",
    ]
    assert {"python", "eagle_eval", "torch", "transformers", "datasets", "pandas", "numpy", "platform"} <= set(data["software"])
    assert {"cpu", "cpu_count", "gpus"} <= set(data["hardware"])
