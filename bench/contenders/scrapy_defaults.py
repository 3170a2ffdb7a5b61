"""An empty Scrapy settings module: contenders that are not linkspider run on Scrapy's defaults.

``scrapy runspider`` (which ``advertools.crawl`` calls) looks for the closest ``scrapy.cfg``
upwards from its working directory and would find linkspider's; pointing
``SCRAPY_SETTINGS_MODULE`` here makes it run as it does outside any Scrapy project.
"""
