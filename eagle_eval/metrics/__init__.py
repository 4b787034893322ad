"""The benchmarks' scoring rules as pure functions over plain values (answers, targets, per-sample scores).

Each module matches one official scorer (or lmms-eval's) to the last digit; tasks/ call them. May
import core only. Read first: vqa.py (the EvalAI normaliser most tasks share).
"""
