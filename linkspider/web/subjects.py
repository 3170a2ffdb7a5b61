"""What each site of the generated world is about: its topic, the language of its main text, the
sentences that text is made of and the keywords of its topic (what the exact and partial anchors
of its backlinks are built from, and what ``World.keywords`` gives ``linkspider analyze``).

Most sites are English, on six topics in turn; the ``bücher-N.de`` sites are German (books),
site 6 is French (cooking), site 14 Japanese (travel) and site 22 Chinese (tea), so the report's
relevance and language columns have same-topic, off-topic and cross-language links to show.
Keywords are two words (one run of characters in Japanese and Chinese, which write no spaces),
none of them inside a navigation label, so a label never reads as a keyword by accident.

>>> site_subject(0).topic, site_subject(4).language, site_subject(13).keywords[0]
('gardening', 'de', '京都旅行')
"""

from __future__ import annotations

from dataclasses import dataclass

from linkspider.web.topics import CARS, GARDENING


@dataclass(frozen=True)
class Subject:
    """A site's topic: its name, language, main-text sentences and keywords."""

    topic: str
    language: str
    sentences: tuple[str, ...]
    keywords: tuple[str, ...]


_COOKING = (
    "Knead the sourdough bread for ten minutes and let the dough rise overnight.",
    "Fresh pasta needs only flour, eggs and a pinch of salt.",
    "Roast the vegetables with olive oil, garlic and rosemary until golden.",
    "A good vegetable soup starts with onions, carrots and celery softened in butter.",
    "Season the sauce at the end, when the flavours of the herbs have come out.",
    "Bake the loaf on a hot stone so the crust turns crisp and brown.",
    "Our pasta recipes use tomatoes, basil and parmesan from the market.",
    "Simmer the stock slowly and skim it, so the soup stays clear.",
)  # fmt: skip
_TRAVEL = (
    "Book cheap flights early and travel midweek to save on the fare.",
    "City breaks in spring avoid the summer crowds at the museums.",
    "The hiking trails above the lake pass waterfalls and mountain huts.",
    "Pack a light rucksack, a rain jacket and good walking boots.",
    "The night train crosses the border and arrives before breakfast.",
    "Hostels near the old town are cheaper than hotels by the station.",
    "A rail pass covers the coast, the islands ferry and the mountain railway.",
    "Travel insurance pays for cancelled flights and lost luggage.",
)  # fmt: skip
_FOOTBALL = (
    "The striker scored twice in the second half and the home side won the match.",
    "The premier league table after the weekend: three points separate the top four.",
    "The goalkeeper saved a penalty in the last minute of the derby.",
    "Transfer rumours say the club will sell its captain before the window closes.",
    "The coach changed the formation and the midfield pressed much higher.",
    "Our match reports cover every goal, every booking and every substitution.",
    "The referee sent off the defender after a second yellow card.",
    "The youth team reached the cup final with a late header from a corner.",
)  # fmt: skip
_PROGRAMMING = (
    "This python tutorial starts with variables, loops and functions.",
    "Unit testing catches a regression before the code reaches production.",
    "A code review is easier when each commit changes one thing.",
    "The compiler reports the type error with the line and the column.",
    "Profile the program before optimizing the slow function.",
    "Version control keeps every change of the source code and its author.",
    "The library parses the input, validates it and returns a typed object.",
    "Continuous integration runs the test suite on every pull request.",
)  # fmt: skip
_BUECHER = (
    "Historische Romane erzählen vom Leben im Mittelalter und in der Kaiserzeit.",
    "Unsere Buchhandlung empfiehlt jede Woche neue Krimis und Thriller.",
    "Hörbücher online hören: spannende Geschichten für die lange Autofahrt.",
    "Die Krimi Neuheiten des Herbstes sind in unserer Buchhandlung eingetroffen.",
    "Der Autor liest am Freitag aus seinem neuen Roman über die Hanse.",
    "Kinderbücher mit vielen Bildern wecken die Freude am Lesen.",
    "Die Leseprobe zeigt die ersten Kapitel des Buches kostenlos.",
    "Taschenbücher und gebundene Ausgaben liefern wir versandkostenfrei.",
)  # fmt: skip
_CUISINE = (
    "La tarte tatin se prépare avec des pommes caramélisées dans le beurre.",
    "Nos recettes faciles se cuisinent en moins de trente minutes.",
    "La cuisine française aime le beurre, la crème et les herbes fraîches.",
    "Le bœuf bourguignon mijote pendant trois heures dans le vin rouge.",
    "Une bonne vinaigrette demande de la moutarde, du vinaigre et de l'huile.",
    "Le chef prépare la sauce béchamel avec du lait, de la farine et du beurre.",
    "La soupe à l'oignon est gratinée au four avec du fromage râpé.",
    "Les crêpes de la Chandeleur se mangent avec du sucre ou de la confiture.",
)  # fmt: skip
_RYOKOU = (
    "京都旅行では、清水寺と金閣寺を一日で回ることができます。",
    "温泉宿に泊まって、山の景色と地元の料理を楽しみました。",
    "桜の名所は春になると、たくさんの観光客でにぎわいます。",
    "新幹線を使えば、東京から大阪まで約二時間半で行けます。",
    "旅館の朝ごはんには、焼き魚とみそ汁が出ました。",
    "秋の紅葉の季節は、ホテルの予約を早めにしましょう。",
)  # fmt: skip
_CHA = (
    "绿茶要用八十度左右的水冲泡，味道才清香。",
    "乌龙茶是半发酵茶，香气浓郁，回味甘甜。",
    "好的茶具能让泡茶的过程更加愉快。",
    "春天采摘的新茶，茶叶嫩绿，汤色明亮。",
    "喝茶的时候，可以配一些点心和水果。",
    "普洱茶存放的时间越长，口感越醇厚。",
)  # fmt: skip

#: The English topics, given to the English sites in turn.
ENGLISH = (
    Subject("gardening", "en", tuple(GARDENING), ("rose pruning", "organic compost", "tomato seedlings")),
    Subject("cars", "en", tuple(CARS), ("brake pads", "engine oil", "timing belt")),
    Subject("cooking", "en", _COOKING, ("sourdough bread", "pasta recipes", "vegetable soup")),
    Subject("travel", "en", _TRAVEL, ("cheap flights", "city breaks", "hiking trails")),
    Subject("football", "en", _FOOTBALL, ("premier league", "match reports", "transfer rumours")),
    Subject("programming", "en", _PROGRAMMING, ("python tutorial", "unit testing", "code review")),
)
BOOKS = Subject("books", "de", _BUECHER, ("historische romane", "krimi neuheiten", "hörbücher online"))
#: Sites (by index) in a language of their own, besides the German bookshops.
OTHER_LANGUAGES = {
    5: Subject("cooking", "fr", _CUISINE, ("recettes faciles", "tarte tatin", "cuisine française")),
    13: Subject("travel", "ja", _RYOKOU, ("京都旅行", "温泉宿", "桜の名所")),
    21: Subject("tea", "zh", _CHA, ("绿茶", "乌龙茶", "茶具")),
}


def site_subject(index: int) -> Subject:
    """Return the subject of the world's site ``index`` (0-based, as ``Site.index``)."""
    if index % 8 == 4:  # the bücher-N.de template
        return BOOKS
    if index in OTHER_LANGUAGES:
        return OTHER_LANGUAGES[index]
    return ENGLISH[index % len(ENGLISH)]
