"""linkspider's benchmark: contenders, targets and the report (run ``python bench/run.py``)."""
