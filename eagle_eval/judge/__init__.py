"""LLM judges for free-form answers (MathVista, MMBench): the chat client and the judge around it.

May import core only. Read first: llm_judge.py.
"""
