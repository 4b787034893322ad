"""--predict-only: generate and write samples, score nothing; scored later without the model."""

from __future__ import annotations

import json


def test_predict_only_writes_samples_and_is_scored_later(toy_world, eagle, tmp_path):
    args = ("run", "--model", "toy", "--tasks", "toyqa", "--output-dir", str(tmp_path), "--no-progress")
    result = eagle(*args, "--predict-only")
    assert result.code == 0, result.err
    (run_dir,) = list(tmp_path.iterdir())
    results = json.loads((run_dir / "results.json").read_text())
    assert results["settings"]["predict_only"] is True and results["results"] == {}
    assert results["predicted"] == {"toyqa": {"n_samples": 10, "n_errors": 0, "samples_file": "samples/toyqa.jsonl",
                                              "model_fingerprint": results["model"]["fingerprint"]}}
    assert len((run_dir / "samples" / "toyqa.jsonl").read_text().splitlines()) == 10
    assert not (run_dir / "scores").exists()
    assert "not scored (--predict-only)" in result.out and "eagle-eval score --task toyqa" in result.out
    assert "headline" not in result.out  # no empty results table

    # The toy model answers doc i with i + i except every third doc (0, 3, 6, 9): 6 of 10 right.
    scored = eagle("score", "--task", "toyqa", "--predictions", str(run_dir / "samples" / "toyqa.jsonl"),
                   "--output", str(tmp_path / "scored" / "results.json"))
    assert scored.code == 0, scored.err
    later = json.loads((tmp_path / "scored" / "results.json").read_text())
    assert later["results"]["toyqa"]["headline"]["value"] == 60.0

    # Another task run in the same directory keeps the unscored one listed.
    assert eagle(*args[:4], "toypope", *args[5:]).code == 0
    mixed = json.loads((run_dir / "results.json").read_text())
    assert set(mixed["results"]) == {"toypope"} and set(mixed["predicted"]) == {"toyqa"}
    # The same run without the flag lands in the same directory and scores every stored prediction.
    toy_world.new_adapter()
    again = eagle(*args)
    assert again.code == 0 and toy_world.adapter.calls == []
    final = json.loads((run_dir / "results.json").read_text())
    assert final["results"]["toyqa"]["headline"]["value"] == 60.0 and final["predicted"] == {}
    assert final["settings"]["predict_only"] is False
