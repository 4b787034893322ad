"""Tables mark a number whose data or checkpoint was read at an unpinned revision."""

from __future__ import annotations

import json

A = "a" * 40


def markdown_rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if not set(line) <= set("|-: ")]
    return [[row[1], *row[3:]] for row in rows]  # without the Rank and Score columns


def _source(pinned: bool | None, revision: str = "main") -> dict:
    record = {"repo": "lmms-lab/x", "config": None, "split": "test", "revision": revision}
    if pinned is not None:
        record |= {"provenance": {"commit": A, "content_hash": "unknown"}, "pinned": pinned}
    return record


def _with_sources(path, sources: dict, model_pinned=None):
    data = json.loads(path.read_text())
    for task, records in sources.items():
        data["results"][task]["sources"] = records
    data["model"]["pinned"] = model_pinned
    path.write_text(json.dumps(data))
    return path


def test_unpinned_sources_are_marked_and_pinned_ones_are_not(toy_world, eagle, write_run):
    path = write_run("m", {"textvqa": ("TextVQA", 71.5), "pope": ("POPE", 88.0), "mme": ("MME", 1500.0)})
    # textvqa: confirmed by a lock; pope: read at main; mme: an older file whose task pinned a commit.
    _with_sources(path, {"textvqa": [_source(True)], "pope": [_source(False)], "mme": [_source(None, A)]})
    result = eagle("table", path, "--tasks", "paper")
    assert result.code == 0, result.err
    _, run = markdown_rows(result.out)
    assert (run[4], run[13], run[7]) == ("71.5", "88.0§", "1500")
    assert "§ unpinned source" in result.out


def test_an_unpinned_checkpoint_marks_every_number(toy_world, eagle, write_run):
    path = write_run("m", {"textvqa": ("TextVQA", 71.5)})
    _with_sources(path, {"textvqa": [_source(True)]}, model_pinned=False)
    _, run = markdown_rows(eagle("table", path, "--tasks", "paper").out)
    assert run[4] == "71.5§"
    latex = eagle("table", path, "--format", "latex").out
    assert r"71.5$^\S$" in latex
    csv = eagle("table", path, "--format", "csv").out
    assert "TextVQA marks" in csv and ",71.5,§" in csv  # the mark in a column of its own
