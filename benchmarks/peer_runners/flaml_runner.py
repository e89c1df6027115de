"""FLAML on one split: ``AutoML().fit(time_budget=B, n_jobs=cpus, seed=seed)`` with the task's
metric, then the test predictions (probabilities in ``automl.classes_`` order).

Run by ``benchmarks/peers.py`` with the Python of FLAML's virtual environment; the command line
is :func:`runner_io.parse_args`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from runner_io import parse_args, process_age, read_data, write_info, write_predictions


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args((__doc__ or "").splitlines()[0], argv)
    import flaml
    from flaml import AutoML

    features, target, test = read_data(args)
    automl = AutoML()
    started = time.monotonic()
    automl.fit(
        X_train=features,
        y_train=target,
        task="regression" if args.task == "regression" else "classification",
        metric=args.metric,  # FLAML's names: roc_auc, log_loss, rmse
        time_budget=args.time_budget,
        n_jobs=args.cpus,
        seed=args.seed,
        verbose=0,
        log_file_name=str(args.workdir / "flaml.log"),
    )
    fitted = time.monotonic()
    fit_wall_s = process_age()
    fit_s = fitted - started
    if args.task == "regression":
        write_predictions(args.predictions, automl.predict(test), None, len(test))
    else:
        classes = list(automl.classes_)
        write_predictions(args.predictions, automl.predict_proba(test), classes, len(test))
    predict_s = time.monotonic() - fitted
    write_info(
        args.info,
        {
            "tool_version": flaml.__version__,
            "best_model": automl.best_estimator,
            "fit_s": round(fit_s, 2),
            "fit_wall_s": round(fit_wall_s, 2),
            "predict_s": round(predict_s, 2),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
