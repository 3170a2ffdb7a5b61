"""One page of the generated web: its clean model first, then a noisy HTML rendering of it."""

from __future__ import annotations

import html
import random

from typing import TYPE_CHECKING

from linkspider.web.anchor_mix import choose_anchor, domain_label
from linkspider.web.directory import add_directory_links
from linkspider.web.model import (
    Site,
    _LABELS,
    _HOME_LABEL,
    _LANG_ATTR,
    _SENTENCES,
    _REL_VARIANTS,
    _OUTSIDE,
    _PAGE_ROBOTS,
    _INTERNAL_QUERIES,
    _FRAGMENTS,
    _UNQUOTED_OK,
    _FULLWIDTH_OK,
    _COMBINING,
    _CHARREFS,
    _Link,
    _Page,
)
from linkspider.web.subjects import site_subject

if TYPE_CHECKING:
    from linkspider.web.world import World


class PageBuilder:
    """Builds one page model: clean values first, then a noisy rendering of them."""

    def __init__(self, world: World, site: Site, path: str) -> None:
        self.world = world
        self.config = world.config
        self.site = site
        self.path = path
        self.k = 0 if path == "/" else world._page_number(path) or 0
        self.rng = random.Random(f"{self.config.seed}:{site.index}:{path}")
        self.parts: list[str | _Link] = []
        s, k = site.index, self.k
        # Feature schedule: fixed by (site, page) so every feature exists in every default world.
        self.encoding, self.charset_in_header, self.locale = "utf-8", (s + k) % 5 != 0, "en"
        if k == 2 and s % 4 in (0, 2):
            self.encoding, self.charset_in_header, self.locale = "windows-1251", s % 4 == 0, "ru"
        elif k == 3 and s % 6 == 1:
            self.encoding, self.charset_in_header, self.locale = "iso-8859-1", True, "fr"
        elif k == 7 and s % 8 == 3:
            self.encoding, self.charset_in_header, self.locale = "shift_jis", True, "ja"
        elif k == 8 and s % 8 == 6:
            self.encoding, self.charset_in_header, self.locale = "gb2312", False, "zh"
        self.subject = site_subject(s)
        if self.locale == "en":  # no page of its own language: the site's
            self.locale = self.subject.language
        self.lang: str | None = None if (s + k) % 7 == 3 else _LANG_ATTR[self.locale]
        self.region = "body"
        self.robots = _PAGE_ROBOTS[s % len(_PAGE_ROBOTS)] if k == 4 else None
        self.base_href: str | None = None
        if k == 5:
            self.base_href = f"http://{site.host}/section/" if s % 2 == 0 else "/section/"
        self.base_dir = "/section/" if self.base_href else "/"

    # ------------------------------------------------------------ rendering helpers

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def _noisy_text(self, clean: str) -> str:
        """Render ``clean`` so that decode + collapse whitespace + NFKC + trim gives it back."""
        rng = self.rng
        words = clean.split(" ")
        mode = rng.choices(
            ["plain", "entity", "fullwidth", "combining", "nested", "split"], [4, 3, 1, 1, 2, 1]
        )[0]
        rendered: list[str] = []
        for word in words:
            if mode == "fullwidth" and _FULLWIDTH_OK.fullmatch(word):
                rendered.append("".join(chr(ord(c) + 0xFEE0) for c in word))
            elif mode == "combining":
                rendered.append(html.escape("".join(_COMBINING.get(c, c) for c in word), quote=False))
            elif mode == "entity":
                rendered.append(
                    "".join(rng.choice(_CHARREFS[c]) if c in _CHARREFS else html.escape(c) for c in word)
                )
            else:
                rendered.append(html.escape(word, quote=False))
        if mode == "nested":
            i = rng.randrange(len(rendered))
            tag = rng.choice(["b", "em", "strong", 'span class="hl"'])
            rendered[i] = f"<{tag}>{rendered[i]}</{tag.split()[0]}>"
        elif mode == "split":
            candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
            if candidates:
                i = rng.choice(candidates)
                cut = len(words[i]) // 2
                rendered[i] = f"<span>{html.escape(words[i][:cut])}</span>{html.escape(words[i][cut:])}"
        separators = [" ", " ", " ", "  ", "\n", "\t", "\n      ", "&nbsp;"]
        if mode == "fullwidth":
            separators.append("\u3000")
        text = "".join(
            word if i == 0 else rng.choice(separators) + word for i, word in enumerate(rendered)
        )
        if rng.random() < 0.3:
            text = rng.choice(["\n  ", " ", "\t"]) + text + rng.choice(["\n", " ", ""])
        return text

    def _noisy_alt(self, clean: str) -> str:
        rng = self.rng
        words = [html.escape(word, quote=True) for word in clean.split(" ")]
        return "".join(
            word if i == 0 else rng.choice([" ", " ", "  ", "\n"]) + word for i, word in enumerate(words)
        )

    def _attr(self, name: str, value: str, upper: bool) -> str:
        name = name.upper() if upper else name
        roll = self.rng.random()
        if roll < 0.1 and value and _UNQUOTED_OK.fullmatch(value):
            return f"{name}={value}"
        if roll < 0.2:
            return f"{name}='{html.escape(value, quote=True)}'"
        return f'{name}="{html.escape(value, quote=True)}"'

    def _element(self, tag: str, attrs: list[tuple[str, str]], content: str | None) -> str:
        rng = self.rng
        upper = rng.random() < 0.06
        extra: list[tuple[str, str]] = []
        if tag == "a" and rng.random() < 0.25:
            picked = rng.choice([("class", "link"), ("title", "More"), ("target", "_blank")])
            if picked[0] not in {key for key, _ in attrs}:  # never a duplicate attribute
                extra.append(picked)
        self.last_attrs = dict(attrs + extra)
        ordered = attrs + extra
        if extra and rng.random() < 0.5:
            ordered = extra + attrs
        name = tag.upper() if upper else tag
        rendered = " ".join(self._attr(key, value, upper) for key, value in ordered)
        if content is None:
            return f"<{name} {rendered}>"
        return f"<{name} {rendered}>{content}</{name}>"

    def _rel(self, probability: float) -> tuple[str | None, list[str]]:
        if self.rng.random() < probability:
            raw, tokens = self.rng.choice(_REL_VARIANTS)
            return raw, list(tokens)
        return None, []

    def add_link(
        self,
        href: str,
        target: str | None,
        fragment: str | None,
        scheme: str,
        host: str | None,
        domain: str | None,
        text: str,
        *,
        content: str = "text",
        rel: tuple[str | None, list[str]] = (None, []),
        tag: str = "a",
        attrs_extra: tuple[tuple[str, str], ...] = (),
        anchor_class: str = "other",
    ) -> None:
        """Append one link element. ``content``: text | image | image_noalt | image_text.
        ``anchor_class``: what the text is, by construction, when it is neither empty nor alt."""
        rel_raw, rel_tokens = rel
        attrs = [("href", href)]
        if rel_raw is not None:
            attrs.append(("rel", rel_raw))
        attrs.extend(attrs_extra)
        self.last_attrs = dict(attrs)
        from_alt = False
        kind, img_alt = ("area" if tag == "area" else "a"), None
        if tag == "area":
            left = 60 * sum(1 for part in self.parts if isinstance(part, _Link) and part.tag == "area")
            attrs = [("shape", "rect"), ("coords", f"{left},0,{left + 60},40"), *attrs,
                     ("alt", self._noisy_alt(text))]
            element = self._area(attrs)
            from_alt = bool(text)
        else:
            ws = self.rng.choice(["", "\n  ", " "])
            if content == "image":
                inner = f'{ws}<img src="/logo.png" alt="{self._noisy_alt(text)}" width="120" height="40">{ws}'
                from_alt, kind, img_alt = bool(text), "image", text
            elif content == "image_noalt":
                inner, text, kind = f'{ws}<img src="/logo.png" width="16" height="16">{ws}', "", "image"
            elif content == "image_text":
                inner, kind, img_alt = f'<img src="/logo.png" alt="icon"> {self._noisy_text(text)}', "image", "icon"
            else:
                inner = self._noisy_text(text)
            element = self._element("a", attrs, inner)
        given = self.last_attrs
        self.parts.append(
            _Link(tag, element, target, fragment, scheme, host, domain, text, from_alt, rel_tokens,
                  kind=kind, region=self.region, img_src="/logo.png" if kind == "image" else None,
                  img_alt=img_alt, title_attr=given.get("title"), hreflang=given.get("hreflang"),
                  target_attr=given.get("target"),
                  anchor_class="empty" if not text else "image" if from_alt else anchor_class)
        )

    def _area(self, attrs: list[tuple[str, str]]) -> str:
        # alt is pre-rendered (already escaped), the other attributes are escaped here.
        rendered = []
        for key, value in attrs:
            if key == "alt":
                rendered.append(f'alt="{value}"')
            else:
                rendered.append(f'{key}="{html.escape(value, quote=True)}"')
        return f"<area {' '.join(rendered)}>"

    # ------------------------------------------------------------ link kinds

    def internal(
        self,
        target_path: str,
        text: str,
        *,
        form: str | None = None,
        query: str | None = None,
        fragment: str | None = None,
        rel: tuple[str | None, list[str]] = (None, []),
        content: str = "text",
        tag: str = "a",
        attrs_extra: tuple[tuple[str, str], ...] = (),
        anchor_class: str = "other",
    ) -> None:
        """Link to a path on this site written in one of many equivalent forms."""
        site, rng = self.site, self.rng
        if query:
            target_path = f"{target_path}?{query}"
        name = target_path[1:]
        forms = ["abs", "root", "root", "dotdot", "spaces"]
        if name and not name.startswith("?"):
            forms += ["rel", "rel", "dot", "detour"]
        elif self.base_dir == "/":
            forms.append("dot")
        form = form or rng.choice(forms)
        origin = site.origin
        if form == "abs":
            href, target = origin + target_path, origin + target_path
        elif form == "root":
            href, target = target_path, origin + target_path
        elif form == "spaces":
            href, target = target_path, origin + target_path
        elif form == "rel":
            href, target = name, origin + self.base_dir + name
        elif form == "dot":
            href, target = "./" + name, origin + self.base_dir + name
        elif form == "detour":
            href, target = "./x/../" + name, origin + self.base_dir + name
        elif form == "dotdot":
            href, target = "../" + name, origin + "/" + name  # both base dirs are at most one level deep
        else:
            raise ValueError(form)
        if fragment is not None:
            href += "#" + fragment
        if form == "spaces":
            href = f" {href}\t"  # the URL parser strips leading/trailing spaces and tabs
        self.add_link(href, target, fragment, "http", site.host, site.registrable_domain, text,
                      rel=rel, content=content, tag=tag, attrs_extra=attrs_extra, anchor_class=anchor_class)

    def random_internal(self, text: str | None = None, rel_probability: float = 0.1) -> None:
        rng = self.rng
        k = rng.randrange(self.config.pages_per_site)
        target = "/" if k == 0 else f"/page-{k}.html"
        query = rng.choice(_INTERNAL_QUERIES) if rng.random() < 0.12 else None
        fragment = rng.choice(_FRAGMENTS) if rng.random() < 0.12 else None
        content = rng.choices(["text", "image", "image_text", "image_noalt"], [20, 2, 2, 1])[0]
        self.internal(target, text or self.label(k), query=query, fragment=fragment,
                      rel=self._rel(rel_probability), content=content)

    def external(self, rel_probability: float = 0.3, text: str | None = None, tag: str = "a") -> None:
        """Link to a page of another site in the world (of the same topic two times in five),
        host written in varied forms, anchor as real sites write them (``anchor_mix``)."""
        rng, sites = self.rng, self.world.sites
        if len(sites) < 2:
            self.outside(rel_probability)
            return
        others = [i for i in range(self.config.sites) if i != self.site.index]
        same = [i for i in others if site_subject(i).topic == self.subject.topic]
        other = sites[rng.choice(same if same and rng.random() < 0.4 else others)]
        k = rng.randrange(self.config.pages_per_site)
        path = "/" if k == 0 else f"/page-{k}.html"
        style = rng.choices(
            ["plain", "upper", "port", "unicode", "protocol_relative", "upper_scheme", "no_slash"],
            [55, 10, 10, 8, 7, 5, 5],
        )[0]
        host = other.host
        if style == "upper":
            host = "".join(c.upper() if rng.random() < 0.5 else c for c in host)
            host = host if host != other.host else host.upper()
        href = f"http://{host}{path}"
        if style == "port":
            href = f"http://{host}:80{path}"
        elif style == "unicode":
            href = f"http://{other.unicode_host}{path}"
        elif style == "protocol_relative":
            href = f"//{host}{path}"
        elif style == "upper_scheme":
            href = f"HTTP://{host}{path}"
        elif style == "no_slash" and path == "/":
            href = f"http://{host}"
        fragment = rng.choice(_FRAGMENTS[:3]) if rng.random() < 0.1 else None
        if fragment is not None:
            href += "#" + fragment
        subject = site_subject(other.index)
        anchor = choose_anchor(rng, self.locale, other.unicode_host, domain_label(other.registrable_domain),
                               f"http://{other.unicode_host}{path}", subject.keywords, subject.language,
                               self.label(k))  # fmt: skip
        self.add_link(href, f"http://{other.host}{path}", fragment, "http", other.host, other.registrable_domain,
                      text or anchor.text, rel=self._rel(rel_probability), tag=tag,
                      content="text" if text else anchor.content, anchor_class=anchor.anchor_class)

    def outside(self, rel_probability: float = 0.3, rel: tuple[str | None, list[str]] | None = None) -> None:
        """Link to a host outside the world (never fetched)."""
        href, target, fragment, scheme, host, domain = self.rng.choice(_OUTSIDE)
        anchor = choose_anchor(self.rng, self.locale, host, domain_label(domain), href)
        self.add_link(href, target, fragment, scheme, host, domain, anchor.text,
                      rel=rel if rel is not None else self._rel(rel_probability),
                      content=anchor.content, anchor_class=anchor.anchor_class)

    def mailto(self) -> None:
        href = f"mailto:info@{self.site.registrable_domain}"
        self.add_link(href, href, None, "mailto", None, None, "Write to us")

    def tel(self) -> None:
        href = f"tel:+44-20-7946-{self.site.index % 10000:04d}"
        self.add_link(href, href, None, "tel", None, None, "Call us")

    def javascript(self) -> None:
        self.add_link("javascript:void(0)", "javascript:void(0)", None, "javascript", None, None, "Open chat")

    def self_fragment(self, fragment: str, text: str) -> None:
        """A fragment-only href: it targets the document URL itself."""
        site = self.site
        self.add_link("#" + fragment, None, fragment, "http", site.host, site.registrable_domain, text)

    def label(self, k: int) -> str:
        if k == 0:
            return _HOME_LABEL[self.locale]
        labels = _LABELS[self.locale]
        return labels[(k + self.site.index) % len(labels)]

    def sentence(self) -> str:
        """Return a sentence of the page's language: of the site's topic, when in its language."""
        own = self.locale == self.subject.language
        return html.escape(self.rng.choice(self.subject.sentences if own else _SENTENCES[self.locale]))

    # ------------------------------------------------------------ page layout

    def build(self) -> _Page:
        site, k = self.site, self.k
        title = f"{site.name} — {'Home' if k == 0 else self.label(k)}"
        lang_attr = f' lang="{self.lang}"' if self.lang is not None else ""
        head = [f'<!DOCTYPE html>\n<html{lang_attr}>\n<head>\n']
        if not self.charset_in_header or self.encoding == "utf-8":
            head.append(f'<meta charset="{self.encoding}">\n')
        head.append(f"<title>{html.escape(title)}</title>\n")
        meta_nofollow = header_nofollow = noindex = False
        extra_headers: list[tuple[str, str]] = []
        if self.robots is not None:
            where, value, is_nofollow = self.robots
            noindex = "noindex" in value.lower()
            if where == "meta":
                name = "ROBOTS" if "NOFOLLOW" in value else "robots"
                head.append(f'<meta name="{name}" content="{value}">\n')
                meta_nofollow = is_nofollow
            else:
                extra_headers.append(("X-Robots-Tag", value))
                header_nofollow = is_nofollow
        elif k == 0 and site.index % 2:
            head.append('<meta name="robots" content="index, follow">\n')
        head.append('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
        canonical = f"http://{site.host}{self.path}"
        head.append(f'<link rel="canonical" href="{canonical}">\n')
        refresh = None
        if k == 6 and site.index % 4 == 1:
            head.append('<meta http-equiv="refresh" content="0; url=/page-1.html">\n')
            refresh = f"{site.origin}/page-1.html"
        if self.base_href:
            head.append(f'<base href="{self.base_href}">\n')
        head.append("</head>\n<body>\n")
        self.raw("".join(head))
        if k == 0:
            self._home_body()
        else:
            self._page_body()
        if k in (1, 6):
            main_rng, self.rng = self.rng, random.Random(f"{self.config.seed}:{site.index}:{self.path}:extra")
            self._region_block() if k == 1 else self._iframes()
            self.rng = main_rng
        add_directory_links(self)
        if self.config.link_rot:
            from linkspider.web.targets import add_rot_links

            add_rot_links(self)
        self.raw("</body>\n</html>\n")
        content_type = "text/html"
        if self.charset_in_header:
            label = {"shift_jis": "Shift_JIS", "gb2312": "GB2312"}.get(self.encoding, self.encoding)
            content_type += f"; charset={label}"
        return _Page(self.encoding, content_type, meta_nofollow, header_nofollow, extra_headers, self.parts,
                     lang=self.lang, noindex=noindex, canonical_url=canonical, meta_refresh=refresh)

    def _region_block(self) -> None:
        """Links after the footer, outside every landmark element: ARIA roles and class/id names."""
        n = self.config.pages_per_site
        blocks = (
            ('<div role="navigation" class="quick-links">', "</div>", "nav", (("hreflang", "fr"),)),
            ('<div role="banner">', "</div>", "header", (("title", "Site banner"),)),
            ('<div role="contentinfo"><p>', "</p></div>", "footer", (("target", "_blank"),)),
            ('<div role="complementary">', "</div>", "aside", (("hreflang", "en-GB"), ("target", "_self"))),
            ('<div role="main"><div class="footer-note">', "</div></div>", "main", (("title", "Note"),)),
            ('<div class="site-footer">', "</div>", "footer", ()),
            ('<div id="sidebar"><p>', "</p></div>", "aside", (("title", "Related & more"),)),
            ('<ul class="menu"><li>', "</li></ul>", "nav", (("hreflang", "de"),)),
            ('<div class="masthead">', "</div>", "header", ()),
            ('<div class="promo-box"><p>', "</p></div>", "body", (("target", "_top"),)),
            ('<section class="teaser">', "</section>", "body", ()),
        )
        for i, (opening, closing, region, attrs) in enumerate(blocks):
            self.raw(opening)
            self.region = region
            target = 1 + (self.site.index + i) % (n - 1)
            self.internal(f"/page-{target}.html", self.label(target), attrs_extra=attrs,
                          rel=self._rel(0.2), content="image" if i % 5 == 4 else "text")
            self.region = "body"
            self.raw(closing + "\n")

    def _iframes(self) -> None:
        """``<iframe src>`` links: same site always, another site's home page on even sites."""
        site = self.site
        self.raw('<div class="embed">')
        self._iframe("/page-1.html", site.origin + "/page-1.html", site, "Embedded page")
        self.raw("</div>\n")
        if site.index % 2 == 0 and len(self.world.sites) > 1:
            other = self.world.sites[(site.index + 1) % len(self.world.sites)]
            self.raw('<div role="complementary">')
            self.region = "aside"
            self._iframe(f"http://{other.host}/", other.home_url, other, None)
            self.region = "body"
            self.raw("</div>\n")

    def _iframe(self, src: str, target: str, site: Site, title: str | None) -> None:
        title_html = f' title="{html.escape(title)}"' if title else ""
        element = f'<iframe src="{html.escape(src)}"{title_html} width="300" height="200"></iframe>'
        self.parts.append(_Link("iframe", element, target, None, "http", site.host, site.registrable_domain,
                                "", False, [], kind="iframe", region=self.region, title_attr=title,
                                anchor_class="empty"))

    def _header(self) -> None:
        site = self.site
        self.raw('<header class="site-header">\n')
        self.region = "header"
        if self.k == 0 or self.rng.random() < 0.6:
            self.internal("/", f"Logo of {site.name}", content="image", form=self.rng.choice(["root", "abs"]))
        else:
            self.internal("/", self.label(0))
        self.raw(' <a class="menu-toggle" role="button">Menu</a>\n</header>\n')
        self.region = "body"

    def _footer(self) -> None:
        rng = self.rng
        self.raw(f'<footer>\n<p>&copy; 2024 {html.escape(self.site.name)}. ')
        self.region = "footer"
        self.mailto()
        if self.k == 0 or rng.random() < 0.5:
            self.raw(" | ")
            self.tel()
        if self.k == 0 or rng.random() < 0.4:
            self.raw(" | ")
            self.javascript()
        self.raw("</p>\n</footer>\n")
        self.region = "body"

    def _home_body(self) -> None:
        site, n = self.site, self.config.pages_per_site
        self._header()
        self.raw("<nav>\n<ul>\n")
        self.region = "nav"
        for k in range(1, n):
            self.raw("<li>")
            self.internal(f"/page-{k}.html", self.label(k))
            self.raw("</li>\n")
        self.raw("</ul>\n</nav>\n<main>\n<a id=\"top\"></a>\n<article>\n")
        self.region = "main"
        self.raw(f"<h1>Welcome to {html.escape(site.name)}</h1>\n<p>{self.sentence()} ")
        self.internal("/old/page-1.html", "Old address of page 1", form="rel")
        self.raw(", ")
        self.internal(f"/go/{min(2, n - 1)}", "Short link")
        self.raw(", ")
        self.internal("/missing-1.html", "Broken link", form="root")
        self.raw(".</p>\n<p>Downloads: ")
        self.internal("/logo.png", "Our logo")
        self.raw(" ")
        self.internal("/report.pdf", "Annual report (PDF)")
        self.raw(" ")
        self.internal("/data.json", "Open data")
        self.raw("</p>\n<p>")
        self.internal("/private/", "Members area", form="root")
        self.raw(" ")
        self.internal("/private/secret.html", "Secret plans", form="abs")
        if type(self.world).has_loop(site):
            self.raw(" ")
            self.internal("/loop-a", "Endless redirect", form="root")
        self.raw("</p>\n<p>")
        # Fixed anchor-text oddities so each appears in every world.
        self._fixed_link("/page-1.html", "/page-1.html", None, "full width", "ｆｕｌｌ　ｗｉｄｔｈ")
        self.raw(" ")
        self._fixed_link("page-1.html#top", "/page-1.html", "top", "Books & Magazines", "Books &amp;\n  Magazines")
        self.raw(" ")
        self._fixed_link("./page-1.html?a=1&b=2", "/page-1.html?a=1&b=2", None, "Café menu",
                         "Caf&eacute;&nbsp;menu")
        self.raw(" ")
        self._fixed_link("/page-1.html#", "/page-1.html", "", "Résumé tips", "R&#233;sum&#233; <b>tips</b>")
        self.raw(" ")
        self._fixed_link("../page-1.html", "/page-1.html", None, "Best deals",
                         "\n\t<b>Best</b>   <span>deals</span>  ")
        self.raw(" ")
        self._fixed_link("/", "/", None, "Megastore", "<b>Mega</b>store")
        self.raw(" ")
        self.internal("/page-1.html", "Read more", content="image_text", form="root", anchor_class="generic")
        self.raw(" ")
        self.internal("/", "", content="image_noalt", form="abs")
        self.raw("</p>\n<p>")
        for _ in range(self.config.external_links_per_page):
            self.external(rel_probability=0.2)
            self.raw(" ")
        self.outside(rel=(None, []))
        self.raw("</p>\n")
        self.raw(f'<img src="/logo.png" usemap="#map-{site.index}" alt="Site map">\n')
        self.raw(f'<map name="map-{site.index}">\n')
        self.internal("/page-1.html", "Region one", tag="area", form="root")
        self.raw("\n")
        self.external(rel_probability=0.5, text="Partner region", tag="area")
        self.raw('\n<area shape="default" alt="No link here">\n</map>\n')
        self.raw("<!-- <a href=\"/page-1.html\">commented out</a> -->\n")
        self.raw("</article>\n</main>\n<aside>\n<h2>Partners</h2>\n<ul>\n")
        self.region = "aside"
        for raw, tokens in _REL_VARIANTS:
            self.raw("<li>")
            if self.rng.random() < 0.5:
                self.outside(rel=(raw, list(tokens)))
            else:
                self.internal(f"/page-{self.rng.randrange(1, n)}.html", "Sponsored offer", rel=(raw, list(tokens)))
            self.raw("</li>\n")
        self.raw("</ul>\n</aside>\n")
        self._footer()

    def _fixed_link(self, href: str, path: str, fragment: str | None, clean: str, inner: str) -> None:
        site = self.site
        element = f'<a href="{html.escape(href, quote=True)}">{inner}</a>'
        self.parts.append(_Link("a", element, site.origin + path, fragment, "http", site.host,
                                site.registrable_domain, clean, False, [], region=self.region))

    def _page_body(self) -> None:
        rng, k, n = self.rng, self.k, self.config.pages_per_site
        self._header()
        self.raw("<nav class=\"breadcrumbs\">\n<ul>\n")
        self.region = "nav"
        neighbours = [0, k - 1, (k + 1) % n] + rng.sample(range(n), min(2, n))
        for target in neighbours:
            self.raw("<li>")
            query = rng.choice(_INTERNAL_QUERIES) if rng.random() < 0.12 else None
            fragment = rng.choice(_FRAGMENTS) if rng.random() < 0.1 else None
            self.internal("/" if target == 0 else f"/page-{target}.html", self.label(target),
                          query=query, fragment=fragment)
            self.raw("</li>\n")
        self.raw("</ul>\n</nav>\n<main>\n<a id=\"top\"></a>\n<article>\n")
        self.region = "main"
        self.raw(f"<h1>{html.escape(self.label(k))}</h1>\n")
        if self.locale != "en":
            self.raw("<p>")
            self.internal("/page-1.html", _LABELS[self.locale][0])
            self.raw("</p>\n")
        externals = self.config.external_links_per_page
        for paragraph in range(rng.randint(2, 3)):
            self.raw(f"<p>{self.sentence()} ")
            for _ in range(rng.randint(1, 3)):
                self.random_internal(rel_probability=0.15)
                self.raw(f" {self.sentence()} ")
            share = externals if paragraph == 0 else 0
            for _ in range(share):
                self.external()
                self.raw(" ")
            if rng.random() < 0.4:
                self.outside()
            self.raw("</p>\n")
        if rng.random() < 0.3:
            self.raw("<script>var tpl = '<a href=\"/page-1.html\">not a link</a>';</script>\n")
        if self.base_href is None and rng.random() < 0.4:
            self.raw("<p>")
            self.self_fragment(rng.choice(["comments", "top", ""]), "Jump to comments")
            self.raw("</p>\n")
        self.raw("</article>\n</main>\n")
        self.region = "aside"
        if self.base_href is not None:
            self.raw("<aside>\n<p>")
            self.internal(f"/page-{1 + k % (n - 1)}.html", "See also", form="rel")
            self.raw(" ")
            self.internal(f"/page-{1 + (k + 1) % (n - 1)}.html", "Up one level", form="dotdot")
            self.raw("</p>\n</aside>\n")
        elif rng.random() < 0.5:
            self.raw("<aside>\n<h2>Comments</h2>\n<ul>\n")
            for _ in range(rng.randint(1, 3)):
                self.raw("<li>")
                if rng.random() < 0.5:
                    self.outside(rel=rng.choice(_REL_VARIANTS[:8]))
                else:
                    self.random_internal(rel_probability=0.8)
                self.raw("</li>\n")
            self.raw("</ul>\n</aside>\n")
        self._footer()
