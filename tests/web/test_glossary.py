"""The glossary holds exactly the agreed terms, every link in it leads somewhere real, and the pages link into it
once per term with ids it has."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from tests.site import ROOT

WEB = ROOT / "web"
# The ids every page may link to (`<a class="term" href="../glossary/#ID">`), agreed across the pages' authors.
GLOSSARY_IDS = {
    "epoch", "batch", "learning-rate", "loss", "gradient", "backpropagation", "weight", "bias", "activation",
    "optimizer", "overfitting", "validation", "test-set", "regularization", "dropout", "convolution", "filter",
    "feature-map", "pooling", "augmentation", "transfer-learning", "fine-tuning", "recurrent", "state", "lstm",
    "embedding", "generator", "discriminator", "latent-space", "kl-divergence", "mode-collapse",
}


class Links(HTMLParser):
    """The ids of an HTML file, its <dt> ids, and its links (href, class)."""

    def __init__(self, text: str):
        super().__init__()
        self.ids, self.terms, self.links = set(), [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
            if tag == "dt":
                self.terms.append(attrs["id"])
        if tag == "a" and "href" in attrs:
            self.links.append((attrs["href"], attrs.get("class", "")))


def anchors_of(page: str) -> set[str]:
    """Ids a link to web/<page>/ may name: the page's own, and the lab's cells (its main.py makes id="cell-<id>")."""
    ids = Links((WEB / page / "index.html").read_text()).ids
    if page == "lab":
        ids |= {f"cell-{cell['id']}" for cell in json.loads((WEB / "lab" / "cells.json").read_text())}
    return ids


def test_the_glossary_defines_exactly_the_agreed_terms_in_alphabetical_order():
    glossary = Links((WEB / "glossary" / "index.html").read_text())
    assert set(glossary.terms) == GLOSSARY_IDS
    assert len(glossary.terms) == len(GLOSSARY_IDS)
    assert glossary.terms == sorted(glossary.terms)


def test_every_glossary_link_leads_to_a_page_and_a_place_that_exist():
    for href, _ in Links((WEB / "glossary" / "index.html").read_text()).links:
        if href == "../../index.html":
            continue
        match = re.fullmatch(r"\.\./([a-z-]+)/(?:#([\w-]+))?", href)
        assert match, f"glossary link {href!r} is not ../<page>/ or ../<page>/#<id>"
        page, anchor = match.groups()
        assert (WEB / page / "index.html").is_file(), f"glossary links {href}, a page that does not exist"
        assert anchor is None or anchor in anchors_of(page), f"glossary links {href}: web/{page}/ has no id {anchor!r}"


def test_pages_link_each_term_once_and_only_to_ids_the_glossary_has():
    for index in sorted(WEB.glob("*/index.html")):
        terms = [href for href, cls in Links(index.read_text()).links if "term" in cls.split()]
        for href in terms:
            match = re.fullmatch(r"\.\./glossary/#([\w-]+)", href)
            assert match and match.group(1) in GLOSSARY_IDS, f"{index.relative_to(ROOT)}: term link {href!r}"
        repeated = sorted({href for href in terms if terms.count(href) > 1})
        assert not repeated, f"{index.relative_to(ROOT)} links a term more than once (only its first appearance): {repeated}"


def test_the_landing_page_links_the_glossary():
    assert ("web/glossary/", "") in Links((ROOT / "index.html").read_text()).links
