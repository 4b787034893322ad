"""Hugging Face transformers vision-language models: `--model hf:<hub id or folder>` and named presets."""
