"""``python -m automl.cli`` runs the command-line interface (as ``python -m automl`` does)."""

from automl.cli.app import main

if __name__ == "__main__":
    main()
