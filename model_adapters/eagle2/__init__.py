"""Eagle 2 / 2.5 from transformers' own SigLIP (SigLIP2) and Qwen2, with what no library provides written here.

The Eagle 2.5 format (Eagle2.5-8B, and Eagle2-1B/2B as re-released): tiling (tiling.py), the pixel shuffle
and the splice of image tokens (modeling.py), the chat template (templates.py), strict loading of the
released safetensors (checkpoint.py) and NVIDIA's published evaluation settings (protocol.py). The
original Eagle 2 format of Eagle2-9B, SigLIP and ConvNeXt-XXL channel-concatenated (chat_format.py),
with its expert knock-out (knockout.py). Presets, registration, FLOPs and the tiny test checkpoint
beside them.

Imports api, ablation (knock-out records) and core, and from the Eagle-X package its ConvNeXt expert,
checkpoint reading and strict-loading steps; never tasks, the run or the CLI. Read first: modeling.py.
"""
