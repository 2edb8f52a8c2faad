"""``python -m actions_core``: the same command as the ``actions`` console script."""

from actions_core.cli import main

if __name__ == "__main__":
    main()
