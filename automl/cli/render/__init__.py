"""Rich renderings of automl objects for the command line, one module per topic.

Every function takes the ``Console`` to draw on; only :mod:`automl.cli.console` creates one.
Import the topic module you need (this package imports nothing, so loading one renderer does
not load the others):

- :mod:`~automl.cli.render.errors`: error messages and tracebacks;
- :mod:`~automl.cli.render.plugins`: installed components, conflicts, failed plugins;
- :mod:`~automl.cli.render.recipe`: the summary of a valid recipe;
- :mod:`~automl.cli.render.profile`: the data profile;
- :mod:`~automl.cli.render.progress`: the live progress of a run;
- :mod:`~automl.cli.render.leaderboard`: the ranked leaderboard (table and JSON document);
- :mod:`~automl.cli.render.failures`: the failed trials of a run;
- :mod:`~automl.cli.render.summary`: the summary printed at the end of a run;
- :mod:`~automl.cli.render.runs`: the runs under a folder, and two runs compared;
- :mod:`~automl.cli.render.cells`: how numbers and values are written in table cells.
"""
