"""`python -m eagle_eval ...` is `eagle-eval ...`."""

from eagle_eval.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
