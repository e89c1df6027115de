"""The search engine: space, trials with cross-validation, the Optuna study, executors."""
