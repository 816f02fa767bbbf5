#!/usr/bin/env python3
"""Checks an HTML profile report: PAGE.html against the profile it was drawn
from (PROFILE.json: the names of its fields).

  check_html.py PAGE.html PROFILE.json DOM.html NETLOG.json

DOM.html is what `chromium --dump-dom` made of the page, NETLOG.json the
browser's network log of that run. Checks:
  - the page parses, one <section class="field"> per field (DOM and source),
    ids field-1..field-N, each with an <h2> whose text is the field name:
    names holding markup show as text, never as elements;
  - no <script>, <link>, <img>, <iframe>, <object>, <embed>, <base> element,
    no attribute naming an address (http:, https:, //, url( outside data:),
    no url( or @import in the inline CSS;
  - the browser requested nothing but the page itself.
Exit 0 when all hold, 1 with one line per failure otherwise."""
import html.parser
import json
import re
import sys

FORBIDDEN_TAGS = {"script", "link", "img", "iframe", "object", "embed", "base",
                  "frame", "audio", "video", "source", "form", "meta-refresh"}
ADDR = re.compile(r"(https?:|//|url\s*\()", re.I)


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []      # [id, h2 text]
        self.in_h2 = None
        self.in_style = False
        self.style = ""
        self.bad = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.bad.append("element <%s>" % tag)
        for k, v in attrs:
            v = v or ""
            if k.startswith("on"):
                self.bad.append("event attribute %s on <%s>" % (k, tag))
            if k in ("src", "href", "srcset", "action", "poster", "data", "xlink:href",
                     "style", "background", "formaction") and ADDR.search(v) \
                    and not v.startswith("data:"):
                self.bad.append("<%s %s=%r> names an address" % (tag, k, v[:60]))
            if k == "http-equiv" and v.lower() == "refresh":
                self.bad.append("meta refresh")
        a = dict(attrs)
        if tag == "section" and "field" in (a.get("class") or "").split():
            self.sections.append([a.get("id"), None])
        if tag == "h2":
            self.in_h2 = ""
        if tag == "style":
            self.in_style = True

    def handle_endtag(self, tag):
        if tag == "h2" and self.in_h2 is not None:
            if self.sections and self.sections[-1][1] is None:
                self.sections[-1][1] = self.in_h2
            self.in_h2 = None
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_h2 is not None:
            self.in_h2 += data
        if self.in_style:
            self.style += data


def check(label, text, names, fails):
    p = Page()
    p.feed(text)
    p.close()
    for b in p.bad:
        fails.append("%s: %s" % (label, b))
    if re.search(r"url\s*\(|@import", p.style, re.I):
        fails.append("%s: the CSS loads something" % label)
    if len(p.sections) != len(names):
        fails.append("%s: %d field sections, want %d" % (label, len(p.sections), len(names)))
    for i, (sid, h2) in enumerate(p.sections[:len(names)]):
        if sid != "field-%d" % (i + 1):
            fails.append("%s: section %d has id %r" % (label, i + 1, sid))
        # Control characters are shown as \xNN.
        want = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
                      lambda m: "\\x%02X" % ord(m.group()), names[i]) or "(empty)"
        if h2 != want:
            fails.append("%s: section %d heading %r, want %r" % (label, i + 1, h2, want))


def main():
    page, prof, dom, netlog = sys.argv[1:5]
    source = open(page, encoding="utf-8").read()
    names = [f["name"] for f in json.load(open(prof, encoding="utf-8"))["fields"]]
    fails = []
    check("source", source, names, fails)
    check("dom", open(dom, encoding="utf-8").read(), names, fails)
    # Requests the page made: from the file:// origin, to anything but itself.
    log = json.load(open(netlog, encoding="utf-8"))
    types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    for e in log["events"]:
        if types.get(e["type"]) != "URL_REQUEST_START_JOB":
            continue
        prm = e.get("params", {})
        url = prm.get("url", "")
        from_page = prm.get("initiator") == "null" or \
            "file://" in str(prm.get("network_isolation_key", ""))
        if from_page and not url.startswith(("file:", "data:")):
            fails.append("the page requested %s" % url[:100])
    for f in fails:
        print("check_html: " + f)
    if not fails:
        print("check_html: %s: %d field sections, no network" % (page, len(names)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
