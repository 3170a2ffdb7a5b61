"""The dataset: its tables' schemas and data dictionary (``schema``), where its files live
(``layout``) and a crawl run's summary read back from them (``run_summary``). The writer is the
Parquet item pipeline in ``pipelines/``; every reader reads only what is described here."""
