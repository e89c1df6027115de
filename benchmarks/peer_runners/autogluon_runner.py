"""AutoGluon on one split: ``TabularPredictor(...).fit(time_limit=B, num_cpus=cpus)`` with its
default preset and the task's metric, models written under ``--workdir``, then the test
predictions (``predict_proba``: one column per class label).

Run by ``benchmarks/peers.py`` with the Python of AutoGluon's virtual environment; the command
line is :func:`runner_io.parse_args`. AutoGluon takes no search seed: its models use fixed
random states, so ``--seed`` only chooses the split.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from runner_io import parse_args, process_age, read_data, write_info, write_predictions

EVAL_METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "root_mean_squared_error"}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args((__doc__ or "").splitlines()[0], argv)
    from autogluon.tabular import TabularPredictor, __version__

    features, target, test = read_data(args)
    train = features.assign(**{args.target: target})
    predictor = TabularPredictor(
        label=args.target,
        problem_type=args.task,  # AutoGluon's names: binary, multiclass, regression
        eval_metric=EVAL_METRICS[args.metric],
        path=str(args.workdir / "autogluon"),
        verbosity=0,
    )
    started = time.monotonic()
    predictor.fit(train, time_limit=args.time_budget, num_cpus=args.cpus, num_gpus=0)
    fitted = time.monotonic()
    fit_wall_s = process_age()
    fit_s = fitted - started
    if args.task == "regression":
        write_predictions(args.predictions, predictor.predict(test), None, len(test))
    else:
        proba = predictor.predict_proba(test, as_multiclass=True)
        write_predictions(args.predictions, proba.to_numpy(), list(proba.columns), len(test))
    predict_s = time.monotonic() - fitted
    write_info(
        args.info,
        {
            "tool_version": __version__,
            "best_model": predictor.model_best,
            "models": len(predictor.model_names()),
            "fit_s": round(fit_s, 2),
            "fit_wall_s": round(fit_wall_s, 2),
            "predict_s": round(predict_s, 2),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
