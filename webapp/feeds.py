"""Browser integration: an OpenSearch description (add newsfinder as a search engine) and an
Atom feed of any search (follow a topic in a feed reader)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, urlencode
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, request

from webapp.extension import engine
from webapp.links import safe_link
from webapp.params import BadParameter, search_request

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
FEED_ENTRIES = 30


# Characters XML 1.0 cannot hold at all, even escaped (an article may carry them as YAML escapes).
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(root: ET.Element) -> ET.Element:
    """The tree with every character XML cannot hold removed from its texts and attributes."""
    for element in root.iter():
        for name in ("text", "tail"):
            value = getattr(element, name)
            if value and NOT_XML.search(value):
                setattr(element, name, NOT_XML.sub("", value))
        for key, value in element.attrib.items():
            if NOT_XML.search(value):
                element.attrib[key] = NOT_XML.sub("", value)
    return root


def xml_response(root: ET.Element, content_type: str, status: int = 200) -> Response:
    body = ET.tostring(xml_safe(root), encoding="utf-8", xml_declaration=True)
    return Response(body, status=status, content_type=f"{content_type}; charset=utf-8")


@bp.get("/opensearch.xml")
def opensearch():
    ET.register_namespace("", OPENSEARCH)
    root = ET.Element(f"{{{OPENSEARCH}}}OpenSearchDescription")
    base = current_app.config["PUBLIC_URL"]
    for tag, text in [("ShortName", "newsfinder"), ("Description", "Search the news articles of this newsfinder"),
                      ("InputEncoding", "UTF-8"), ("OutputEncoding", "UTF-8")]:
        ET.SubElement(root, f"{{{OPENSEARCH}}}{tag}").text = text
    ET.SubElement(root, f"{{{OPENSEARCH}}}Url", type="text/html", method="get", template=f"{base}/?q={{searchTerms}}")
    ET.SubElement(root, f"{{{OPENSEARCH}}}Url", type="application/x-suggestions+json", method="get",
                  template=f"{base}/api/suggest?format=opensearch&q={{searchTerms}}")
    ET.SubElement(root, f"{{{OPENSEARCH}}}Url", type="application/atom+xml", method="get",
                  template=f"{base}/feed.atom?q={{searchTerms}}")
    return xml_response(root, "application/opensearchdescription+xml")


def atom_time(iso: str | None) -> str:
    return iso or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.get("/feed.atom")
def atom_feed():
    """The newest stories for a search (filters apply): one entry per story, its newest report,
    naming the others (``collapse=none``: one entry per article)."""
    args = request.args.copy()
    args["sort"] = "date"
    args["per_page"] = str(FEED_ENTRIES)
    args.pop("page", None)
    try:
        search = search_request(args)
    except BadParameter as exc:
        return Response(f"{exc.message}\n", status=400, content_type="text/plain; charset=utf-8")
    results = engine().search(search)
    return xml_response(feed_element(search.q, results), "application/atom+xml")


def feed_element(q: str, results: dict) -> ET.Element:
    ET.register_namespace("", ATOM)
    base = current_app.config["PUBLIC_URL"]
    here = base + request.full_path.rstrip("?")
    feed = ET.Element(f"{{{ATOM}}}feed")
    title = f"newsfinder: {q}" if q.strip() else "newsfinder: newest articles"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = here
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = atom_time(results["hits"][0]["published"] if results["hits"] else None)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=here)
    page_query = {k: v for k, v in request.args.items(multi=True) if k not in ("sort", "collapse", "per_page", "page")}
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=f"{base}/?{urlencode(list(page_query.items()))}")
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "newsfinder"
    for hit in results["hits"]:
        feed.append(entry_element(hit, base))
    return feed


NAMED_OUTLETS = 3


def also_reported(story: dict | None) -> str:
    """The line a feed entry ends with when other reports of its story match too."""
    if not story or not story["more"]:
        return ""
    names = list(dict.fromkeys(r["provider"]["name"] for r in story["reports"] if r["provider"]["name"]))[:NAMED_OUTLETS]
    others = story["more"] - sum(1 for r in story["reports"] if r["provider"]["name"] in names)
    if not names:
        return f"\n\nAlso reported {story['more']} more time{'s' if story['more'] > 1 else ''}."
    listed = ", ".join(names) + (f" and {others} more" if others > 0 else "")
    return f"\n\nAlso reported by {listed}."


def report_label(report: dict) -> str:
    name = report["provider"]["name"]
    return f"{report['title']} ({name})" if name else report["title"]


def entry_element(hit: dict, base: str) -> ET.Element:
    entry = ET.Element(f"{{{ATOM}}}entry")
    article_page = f"{base}/articles/{quote(hit['id'], safe='/')}"
    ET.SubElement(entry, f"{{{ATOM}}}title").text = hit["title"]
    ET.SubElement(entry, f"{{{ATOM}}}id").text = article_page
    ET.SubElement(entry, f"{{{ATOM}}}updated").text = atom_time(hit["published"])
    if hit["published"]:
        ET.SubElement(entry, f"{{{ATOM}}}published").text = hit["published"]
    ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=safe_link(hit["url"]) or article_page)
    ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=article_page)
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = hit["provider"]["name"] or hit["provider"]["domain"] or "unknown"
    ET.SubElement(entry, f"{{{ATOM}}}summary", type="text").text = hit["excerpt"] + also_reported(hit.get("story"))
    for report in (hit.get("story") or {}).get("reports", []):
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", title=report_label(report),
                      href=f"{base}/articles/{quote(report['id'], safe='/')}")
    for topic in hit["topics"]:
        ET.SubElement(entry, f"{{{ATOM}}}category", term=topic)
    return entry

