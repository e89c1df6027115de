"""``python -m automl`` runs the command-line interface."""

from automl.cli import main

if __name__ == "__main__":
    main()
