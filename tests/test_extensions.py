"""The garbage collector tuning extension: thresholds set for the crawl, restored after."""

from __future__ import annotations

import gc

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from linkspider.crawl.extensions import GarbageCollectorTuning
from linkspider.spiders.backlinks import BacklinksSpider


def test_thresholds_hold_during_the_crawl_and_are_restored_after() -> None:
    before = gc.get_threshold()
    crawler = get_crawler(BacklinksSpider, {"LINKSPIDER_GC_THRESHOLDS": "40000,15,90"})
    extension = GarbageCollectorTuning.from_crawler(crawler)
    extension.spider_opened()
    try:
        assert gc.get_threshold() == (40000, 15, 90)
        assert gc.get_freeze_count() > 0
    finally:
        extension.spider_closed()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_empty_setting_keeps_pythons_defaults() -> None:
    crawler = get_crawler(BacklinksSpider, {"LINKSPIDER_GC_THRESHOLDS": ""})
    with pytest.raises(NotConfigured):
        GarbageCollectorTuning.from_crawler(crawler)


@pytest.mark.parametrize("value", ["fast", "1,2,3,4", "-5"])
def test_bad_thresholds_say_what_to_give(value: str) -> None:
    crawler = get_crawler(BacklinksSpider, {"LINKSPIDER_GC_THRESHOLDS": value})
    with pytest.raises(ValueError, match="LINKSPIDER_GC_THRESHOLDS.*e.g. 50000,20,10"):
        GarbageCollectorTuning.from_crawler(crawler)


def test_the_project_enables_it() -> None:
    settings = Settings()
    settings.setmodule("linkspider.settings")
    assert "linkspider.crawl.extensions.GarbageCollectorTuning" in settings.getdict("EXTENSIONS")
    own = {k: v for k, v in settings.copy_to_dict().items() if k.startswith("LINKSPIDER_")}
    crawler = get_crawler(BacklinksSpider, own)
    extension = GarbageCollectorTuning.from_crawler(crawler)
    assert extension.thresholds == (50_000, 20, 10)


def test_thresholds_stay_until_the_last_crawl_of_the_process_closes() -> None:
    before = gc.get_threshold()
    settings = {"LINKSPIDER_GC_THRESHOLDS": "40000,15,90"}
    first = GarbageCollectorTuning.from_crawler(get_crawler(BacklinksSpider, settings))
    second = GarbageCollectorTuning.from_crawler(get_crawler(BacklinksSpider, settings))
    first.spider_opened()
    second.spider_opened()
    try:
        first.spider_closed()
        assert gc.get_threshold() == (40000, 15, 90)
        assert gc.get_freeze_count() > 0
    finally:
        second.spider_closed()
        first.spider_closed()  # closing twice changes nothing
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
