"""The page in a real headless Chromium (Debian's, driven by Playwright): typing, suggestions,
facets, pagination, history, the keyboard, privacy, and the page without JavaScript.
Screenshots of failures go to test-artifacts/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PROJECT_DIR, ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by the test extra")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = PROJECT_DIR / "test-artifacts"
SCREENSHOT = PROJECT_DIR / "docs" / "screenshot.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def server(corpus_index):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `apt-get install chromium` (.ci/run does it)")
    process = ServerProcess(corpus_index.parent / "no-seeds", corpus_index, workers=2)
    process.wait_ready()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Everything the page asked for and complained about."""

    def __init__(self, page, base):
        self.base_host = urlsplit(base).netloc
        self.foreign, self.errors = [], []
        page.on("request", lambda r: None if urlsplit(r.url).netloc == self.base_host else self.foreign.append(r.url))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.watch = Watch(page, server.base)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def params(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


def query_of(page) -> dict:
    return params(page.url)


def test_type_pick_a_suggestion_and_see_highlighted_results(page, server):
    page.goto(server.base + "/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("diablo sorc", delay=40)
    options = page.locator("#suggestions [role=option]")
    # Suggestions for a shorter prefix ("diablo") may show while typing goes on: wait for the
    # list that answers the whole text.
    playwright_api.expect(options.first).to_have_text(re.compile(r"^diablo sorcerer"))
    assert page.get_attribute("#q", "aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#q", "aria-activedescendant") == options.first.get_attribute("id")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: params(url).get("q") == ["diablo sorcerer"])
    page.locator("ol.hits li.hit").first.wait_for()
    assert page.locator("ol.hits mark").count() > 3
    assert "sorcerer" in page.locator("ol.hits li.hit").first.inner_text().lower()
    assert page.watch.errors == [] and page.watch.foreign == []


def test_escape_closes_the_suggestions(page, server):
    page.goto(server.base + "/")
    page.fill("#q", "")
    page.type("#q", "power", delay=30)
    page.locator("#suggestions [role=option]").first.wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#suggestions").is_hidden() and page.get_attribute("#q", "aria-expanded") == "false"


def test_results_update_in_place_while_typing(page, server):
    page.goto(server.base + "/")
    page.type("#q", "tattoo beta", delay=30)
    page.wait_for_url(lambda url: params(url).get("q") == ["tattoo beta"])  # the home page lists hits too
    page.locator("ol.hits li.hit").first.wait_for()
    assert "tattoo" in page.locator("ol.hits").first.inner_text().lower()
    assert query_of(page)["q"] == ["tattoo beta"]  # the address follows, so reload shows the same
    page.reload()
    assert "tattoo" in page.locator("ol.hits").first.inner_text().lower()


def test_instant_results_read_the_word_being_typed(page, server):
    page.goto(server.base + "/")
    page.type("#q", "necromancer bui", delay=30)
    page.wait_for_url(lambda url: params(url).get("q") == ["necromancer bui"])
    first = page.locator("ol.hits li.hit").first
    playwright_api.expect(first).to_contain_text(re.compile("necromancer build", re.IGNORECASE))
    page.fill("#q", "")
    page.type("#q", "necro", delay=30)
    page.wait_for_url(lambda url: params(url).get("q") == ["necro"])
    playwright_api.expect(page.locator("ol.hits li.hit").first).to_contain_text(re.compile("necromancer", re.IGNORECASE))
    assert "No articles match" not in page.locator("main").inner_text()


def test_suggestions_stay_closed_after_enter_however_fast_it_follows(page, server):
    page.goto(server.base + "/")
    page.fill("#q", "diablo sorcerer build")  # a paste: no keystrokes between it and Enter
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: params(url).get("q") == ["diablo sorcerer build"])
    page.locator("ol.hits li.hit").first.wait_for()
    page.wait_for_timeout(800)  # past the suggestions' delay and their answer
    assert page.locator("#suggestions").is_hidden()
    page.type("#q", " gu", delay=30)  # typing again brings them back
    page.locator("#suggestions [role=option]").first.wait_for()


def test_typing_adds_one_history_entry_and_enter_no_twin(page, server):
    page.goto(server.base + "/")
    page.type("#q", "tattoo beta", delay=30)
    page.wait_for_url(lambda url: params(url).get("q") == ["tattoo beta"])
    page.keyboard.press("Enter")
    page.locator("ol.hits li.hit").first.wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("history.length") == 3  # about:blank, the home page, one results entry
    page.go_back()
    page.wait_for_url(lambda url: "q" not in params(url))
    assert urlsplit(page.url).path == "/"


def test_facets_pages_and_the_back_button(page, server):
    page.goto(server.base + "/?q=diablo+beta")
    first_titles = page.locator("ol.hits h3").all_inner_texts()
    provider = page.locator("section.facet:has(h2:text('Source')) li a").first
    provider_name = provider.inner_text()
    provider.click()
    page.wait_for_url(lambda url: "provider" in params(url))
    assert query_of(page)["provider"] == [provider_name]
    page.locator("a.chip").first.wait_for()
    assert page.locator("a.chip").first.inner_text().startswith(f"provider: {provider_name}")
    page.go_back()
    page.wait_for_url(lambda url: "provider" not in params(url))
    playwright_api.expect(page.locator("ol.hits h3")).to_have_text(first_titles)
    page.locator("nav.pages a[rel=next]").click()
    page.wait_for_url(lambda url: params(url).get("page") == ["2"])
    playwright_api.expect(page.locator("p.summary")).to_contain_text("page 2 of")
    second_titles = page.locator("ol.hits h3").all_inner_texts()
    assert second_titles and not set(second_titles) & set(first_titles)
    page.go_back()
    page.wait_for_url(lambda url: "page" not in params(url))
    playwright_api.expect(page.locator("ol.hits h3")).to_have_text(first_titles)
    assert page.watch.errors == [] and page.watch.foreign == []


def test_the_keyboard_alone_reaches_the_results(page, server):
    page.goto(server.base + "/")
    page.keyboard.press("/")
    page.keyboard.type("facial recognition ban", delay=20)
    page.locator("#suggestions [role=option]").first.wait_for()
    page.keyboard.press("Escape")
    assert page.input_value("#q") == "facial recognition ban"
    page.keyboard.press("Enter")
    page.locator("ol.hits li.hit").first.wait_for()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('ol.hits h3 a')"):
            break
    else:
        pytest.fail("Tab never reached a result")
    assert "European Parliament" in page.evaluate("document.activeElement.textContent")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible


def test_the_page_works_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server.base + "/")
        page.fill("#q", "facial recognition ban")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r".*q=facial\+recognition\+ban.*"))
        assert page.locator("ol.hits li.hit").first.inner_text().startswith("European Parliament")
        page.goto(server.base + "/?q=diablo+beta")
        page.locator("section.facet:has(h2:text('Type')) li a").first.click()
        page.wait_for_url(re.compile(r".*type=.*"))
        page.locator("nav.pages a[rel=next]").click()
        page.wait_for_url(re.compile(r".*page=2.*"))
        page.locator("details.story summary").first.click()  # "N more reports" unfold without script
        assert page.locator("details.story[open] li").count() >= 1
    finally:
        context.close()


def test_phone_width_and_screenshot_for_the_readme(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(server.base + "/?q=diablo+beta")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page scrolls sideways at phone width"
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(server.base + "/?q=tattoo+beta")
        page.locator("details.story summary").first.click()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    finally:
        context.close()
    assert SCREENSHOT.stat().st_size > 10_000


def test_browser_integration_links_are_on_the_page(page, server):
    page.goto(server.base + "/?q=druid")
    assert page.get_attribute("link[rel=search]", "href") == "/opensearch.xml"
    assert page.get_attribute("link[rel=alternate]", "href") == "/feed.atom?q=druid"


CONTRAST = """() => {
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/[0-9.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = luminance(getComputedStyle(document.body).backgroundColor);
  return Array.from(document.querySelectorAll("main a, main p, main li, main h1, main h2, main summary"))
    .filter((e) => e.offsetParent !== null && e.textContent.trim())
    .map((e) => {
      const fg = luminance(getComputedStyle(e).color);
      return [Math.max(fg, background) + 0.05, Math.min(fg, background) + 0.05, e.tagName, e.textContent.trim().slice(0, 40)];
    })
    .map(([hi, lo, tag, text]) => [hi / lo, tag, text]);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_links_are_readable_in_light_and_dark_mode(browser, server, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        for url in ("/?q=diablo+beta", "/"):
            page.goto(server.base + url)
            ratios = page.evaluate(CONTRAST)
            assert ratios and all(ratio >= 4.5 for ratio, _, _ in ratios), \
                [(round(r, 2), tag, text) for r, tag, text in ratios if r < 4.5][:5]
    finally:
        context.close()


def test_on_a_phone_one_tap_reaches_the_filters(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(server.base + "/?q=diablo+beta")
        jump = page.locator("a.to-refine")
        playwright_api.expect(jump).to_be_in_viewport()  # on the first screen
        playwright_api.expect(page.locator("#refine")).not_to_be_in_viewport()  # the filters are far below
        jump.click()
        playwright_api.expect(page.locator("#refine")).to_be_in_viewport()
    finally:
        context.close()
    wide = browser.new_page(viewport={"width": 1280, "height": 900})
    wide.goto(server.base + "/?q=diablo+beta")
    assert not wide.locator("a.to-refine").is_visible()
    wide.close()


def test_the_home_page_is_a_front_page_of_the_collection(page, browser, server):
    page.goto(server.base + "/")
    playwright_api.expect(page.locator("input#q")).to_be_in_viewport()  # the search box first
    stories = page.locator(".latest li.hit h3")
    playwright_api.expect(stories).to_have_count(10)
    playwright_api.expect(stories.first).to_be_in_viewport()
    latest = stories.all_inner_texts()
    # the latest stories are the first page of everything, newest first, one entry per story
    page.locator("a", has_text="More stories, newest first").click()
    page.wait_for_url(lambda url: params(url).get("sort") == ["date"])
    assert page.locator("li.hit h3").all_inner_texts() == latest
    assert "stories (2,286 articles)" in page.locator(".summary").inner_text()
    page.go_back()
    source = page.locator(".home-provider a").first
    name = source.inner_text()
    source.click()  # a source is an entry point: its articles, with the filter shown
    page.wait_for_url(lambda url: params(url).get("provider") == [name])
    playwright_api.expect(page.locator(".active-filters")).to_contain_text(f"provider: {name}")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        small = phone.new_page()
        small.goto(server.base + "/")
        playwright_api.expect(small.locator(".home-topic a").first).to_be_in_viewport()
        assert small.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        phone.close()


def test_a_new_order_applies_at_once_and_filters_clear_in_one_click(page, server):
    """Sort needed "Apply"; facets showed ten values with no way to more, and no "clear all"."""
    page.goto(server.base + "/?q=diablo+beta&topic=Diablo+4")
    page.select_option("form.refine select[name=sort]", "date")
    page.wait_for_url(lambda url: params(url).get("sort") == ["date"])
    playwright_api.expect(page.locator("form.refine select[name=sort]")).to_have_value("date")
    assert params(page.url)["topic"] == ["Diablo 4"]
    more = page.locator("section.facet:has(h2:text('Source')) p.more a")
    more.click()
    page.wait_for_url(lambda url: params(url).get("facet_size") == ["100"])
    playwright_api.expect(page.locator("section.facet:has(h2:text('Source')) li")).not_to_have_count(10)
    page.locator("a.clear-all").click()
    page.wait_for_url(lambda url: "topic" not in params(url))
    assert params(page.url)["q"] == ["diablo beta"] and params(page.url)["sort"] == ["date"]
    assert page.watch.errors == [] and page.watch.foreign == []


AXE_PAGES = ["/", "/?q=diablo+beta", "/?q=blorftx",
             "/articles/2021-08-24-microsoft-power-apps-misconfiguration-exposes-38-million-records?q=power+apps"]


@pytest.mark.parametrize("scheme, width", [("light", 1280), ("dark", 1280), ("light", 390), ("dark", 390)])
def test_axe_finds_no_serious_accessibility_problem(browser, server, scheme, width):
    """axe-core on the home, results (a story unfolded), no-results and article pages, on a
    desktop and a phone, light and dark: no serious or critical violation (dark mode once had
    20: highlighted words in titles at 3.95:1)."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        for path in AXE_PAGES:
            page.goto(server.base + path)
            story = page.locator("details.story summary").first
            if story.count():
                story.click()
            violations = Axe().run(page).response["violations"]
            serious = [(v["id"], v["nodes"][0]["html"][:80]) for v in violations if v["impact"] in ("serious", "critical")]
            assert serious == [], (path, serious)
    finally:
        context.close()
