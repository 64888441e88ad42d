// Progressive enhancement for the search page: suggestions while typing, results updated in
// place, the address kept in step (links, reload, back and forward work), "/" to search.
// Without this file every feature still works through plain links and forms.
(function () {
  "use strict";

  var form = document.querySelector("form.search");
  var input = document.getElementById("q");
  if (!form || !input || !window.fetch || !window.history.pushState) return;

  var list = document.createElement("ul");
  list.id = "suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", "suggestions");
  input.setAttribute("aria-expanded", "false");

  var suggestTimer = null, resultsTimer = null;
  var suggestRequest = null, resultsRequest = null;
  var active = -1;
  var searched = null;  // the text last searched with Enter: its late suggestions stay closed

  function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }

  function closeList() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function setActive(index) {
    var all = options();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", all[active].id);
  }

  function addOption(text, kind, value, detail) {
    var item = document.createElement("li");
    item.id = "suggestion-" + list.children.length;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    item.className = "suggestion " + kind;
    item.dataset.kind = kind;
    item.dataset.value = value;
    item.textContent = text;  // text only: suggestions can never inject markup
    if (detail) {
      var small = document.createElement("span");
      small.className = "detail";
      small.textContent = detail;
      item.appendChild(small);
    }
    item.addEventListener("mousedown", function (event) {
      event.preventDefault();  // keep focus in the box
      choose(item);
    });
    list.appendChild(item);
  }

  function showSuggestions(data) {
    closeList();
    data.completions.forEach(function (c) { addOption(c.text, "completion", c.text, ""); });
    data.titles.slice(0, 5).forEach(function (t) {
      var more = t.more ? " · " + t.more + " more report" + (t.more > 1 ? "s" : "") : "";
      addOption(t.title, "title", t.id, ((t.provider && t.provider.name) || "") + more);
    });
    if (list.children.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
  }

  function fetchSuggestions() {
    var text = input.value;
    if (suggestRequest) suggestRequest.abort();
    if (!text.trim()) { closeList(); return; }
    suggestRequest = new AbortController();
    fetch("/api/suggest?limit=6&q=" + encodeURIComponent(text), { signal: suggestRequest.signal })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && input.value === text && text !== searched && document.activeElement === input) showSuggestions(data);
      })
      .catch(function () { /* a stale request was cancelled, or the network failed: no suggestions */ });
  }

  function currentParams(q) {
    var params = new URLSearchParams(window.location.search);
    params.delete("page");
    params.set("q", q);
    return params;
  }

  // Fetch a search page and put its main content in place of ours; the server rendered and
  // escaped it, so no data is turned into markup here.
  function load(url, how) {
    if (resultsRequest) resultsRequest.abort();
    resultsRequest = new AbortController();
    return fetch(url, { signal: resultsRequest.signal, headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text().then(function (html) { return [response, html]; }); })
      .then(function (pair) {
        var page = new DOMParser().parseFromString(pair[1], "text/html");
        var main = page.querySelector("main");
        if (!main) { window.location.assign(url); return; }
        document.querySelector("main").replaceWith(document.importNode(main, true));
        document.title = page.title;
        if (how === "push") window.history.pushState({}, "", url);
        if (how === "replace") window.history.replaceState({}, "", url);
      })
      .catch(function (error) { if (error.name !== "AbortError") window.location.assign(url); });
  }

  function here() { return window.location.pathname + window.location.search; }

  // Typing adds one results entry to the history after the page the reader came from, then
  // keeps replacing it; searching what is already shown replaces it rather than adding a twin.
  function typingEntry() { return new URLSearchParams(window.location.search).has("q") ? "replace" : "push"; }

  function search(q, how) {
    var url = "/?" + currentParams(q).toString();
    searched = q;
    clearTimeout(suggestTimer);
    if (suggestRequest) suggestRequest.abort();
    closeList();
    return load(url, how === "push" && url === here() ? "replace" : how);
  }

  function choose(option) {
    if (option.dataset.kind === "title") {
      window.location.assign("/articles/" + option.dataset.value.split("/").map(encodeURIComponent).join("/"));
      return;
    }
    input.value = option.dataset.value;
    search(input.value, "push");
  }

  input.addEventListener("input", function () {
    searched = null;
    clearTimeout(suggestTimer);
    clearTimeout(resultsTimer);
    suggestTimer = setTimeout(fetchSuggestions, 120);
    resultsTimer = setTimeout(function () {
      if (input.value.trim()) {
        load("/?" + currentParams(input.value).toString(), typingEntry()).then(function () {
          if (document.activeElement === input && list.children.length && input.value !== searched) list.hidden = false;
        });
      }
    }, 350);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) { searched = null; fetchSuggestions(); return; }
      event.preventDefault();
      setActive(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Escape") {
      // A search box clears itself on Escape; while suggestions show, Escape only closes them.
      if (!list.hidden) event.preventDefault();
      closeList();
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      choose(options()[active]);
    }
  });

  input.addEventListener("blur", function () { setTimeout(closeList, 100); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(resultsTimer);
    search(input.value, "push");
  });

  // Links and forms inside the results (facets, pages, "did you mean", refine) load in place.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("main a[href^='/?']");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    var q = new URLSearchParams(link.getAttribute("href").slice(2)).get("q");
    if (q !== null) input.value = q;
    load(link.getAttribute("href"), "push");
  });

  document.addEventListener("submit", function (event) {
    if (!event.target.matches("main form.refine")) return;
    event.preventDefault();
    var params = new URLSearchParams(new FormData(event.target));
    load("/?" + params.toString(), "push");
  });

  // A new order applies at once; without JavaScript the form's button applies it.
  document.addEventListener("change", function (event) {
    if (event.target.matches("main form.refine select[name=sort]")) event.target.form.requestSubmit();
  });

  window.addEventListener("popstate", function () {
    input.value = new URLSearchParams(window.location.search).get("q") || "";
    load(here(), null);
  });

  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
})();
