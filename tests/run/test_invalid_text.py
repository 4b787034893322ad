"""Text UTF-8 cannot hold (a lone surrogate, `"\\ud800"` in JSON) enters as U+FFFD, counted, never a traceback."""

from __future__ import annotations

import json

from eagle_eval.core.text_input import valid_text
from eagle_eval.run.scoring import INVALID_TEXT_NOTE, Outcome

LONE = "\ud800"


def _predictions(path, prediction: str) -> None:
    lines = [{"doc_id": i, "prediction": prediction if i == 1 else str(2 * i)} for i in range(10)]
    # json.dumps writes the lone surrogate as the escape `\ud800`, as a hostile file would hold it
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_valid_text_replaces_only_lone_surrogates():
    assert valid_text(f"a{LONE}b?\U0001f600") == ("a\ufffdb?\U0001f600", 1)
    assert valid_text("plain") == ("plain", 0)


def test_an_outcome_records_how_many_code_points_it_replaced():
    outcome = Outcome(prediction=f"x{LONE}{LONE}", notes={"input_truncated": True})
    assert outcome.prediction == "x\ufffd\ufffd"
    assert outcome.notes == {"input_truncated": True, INVALID_TEXT_NOTE: 2}
    assert Outcome(prediction="fine").notes is None


def test_replay_score_and_report_survive_a_lone_surrogate(toy_world, eagle, tmp_path):
    predictions = tmp_path / "predictions.jsonl"
    _predictions(predictions, f"2{LONE}")
    run = eagle("run", "--model", "replay", "--predictions", predictions, "--tasks", "toyqa",
                "--output-dir", tmp_path / "runs", "--no-progress")
    assert run.code == 0, run.err
    (run_dir,) = (tmp_path / "runs").iterdir()
    lines = [json.loads(line) for line in (run_dir / "samples" / "toyqa.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10
    (odd,) = [line for line in lines if line["doc_id"] == 1]
    assert odd["prediction"] == "2\ufffd" and odd["notes"] == {INVALID_TEXT_NOTE: 1}
    scored = eagle("score", "--task", "toyqa", "--predictions", predictions, "--output", tmp_path / "s" / "results.json")
    assert scored.code == 0, scored.err
    report = eagle("report", run_dir, "-o", tmp_path / "page.html")
    assert report.code == 0, report.err
    assert "\ufffd" in (tmp_path / "page.html").read_text(encoding="utf-8")


def test_a_hand_edited_samples_file_with_a_lone_surrogate_still_reports(toy_world, eagle, tmp_path):
    predictions = tmp_path / "predictions.jsonl"
    _predictions(predictions, "2")
    assert eagle("run", "--model", "replay", "--predictions", predictions, "--tasks", "toyqa",
                 "--output-dir", tmp_path / "runs", "--no-progress").code == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    for name in ("samples", "scores"):
        path = run_dir / name / "toyqa.jsonl"
        path.write_text(path.read_text(encoding="utf-8").replace('"prediction": "2"', '"prediction": "2\\ud800"'),
                        encoding="utf-8")
    report = eagle("report", run_dir, "-o", tmp_path / "page.html")
    assert report.code == 0, report.err
    assert "\ufffd" in (tmp_path / "page.html").read_text(encoding="utf-8")



def test_a_scores_file_row_holding_a_lone_surrogate_is_written_as_valid_text(tmp_path):
    from eagle_eval.results.samples import write_jsonl_atomic

    path = tmp_path / "scores.jsonl"
    write_jsonl_atomic(path, [{"split": "test", "doc_id": 0, "parsed": f"judge said {LONE}"}])
    assert json.loads(path.read_text(encoding="utf-8"))["parsed"] == "judge said \ufffd"
