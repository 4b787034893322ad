"""Any server that speaks the OpenAI chat-completions API: `--model openai:<model name>`."""
