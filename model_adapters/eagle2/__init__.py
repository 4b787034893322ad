"""Eagle 2 / 2.5 (NVIDIA's Eagle2-1B/2B re-released in the Eagle 2.5 format, Eagle2.5-8B) from transformers' own
SigLIP and Qwen2, with what no library provides written here: tiling (tiling.py), the pixel shuffle and the
splice (modeling.py), the template (templates.py), strict loading of the released safetensors
(checkpoint.py) and NVIDIA's published evaluation settings (protocol.py). Read first: modeling.py.
"""
