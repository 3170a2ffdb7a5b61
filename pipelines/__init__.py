"""Item pipelines of linkspider: normalize -> dedupe -> export.

``dedupe.DedupePagesPipeline`` stores a page fetched twice once, ``normalize.NormalizeLinksPipeline``
fills the anchor, rel and follow columns, ``parquet.ParquetExportPipeline`` writes the dataset.
"""
