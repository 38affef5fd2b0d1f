/*
 * Housing assistant widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-lang="fr" async></script>
 * Adds a launcher button and a chat panel (in a shadow root, so no CSS leaks either way).
 * data-region="flanders" (brussels, netherlands, eu): the portal's region; only its documents
 * and the European ones are searched, and a refusal names that region's public services.
 * The API base is this script's own location. Answers stream from /api/ask/stream.
 * Every text that comes from the server or a document is inserted with textContent.
 * Its language: the one picked in its switch, else the last question's (the server detects
 * it: a Dutch question on a French page is answered in Dutch), else data-lang or the page's
 * lang, else the browser's.
 */
(function () {
  "use strict";

  var script = document.currentScript || (function () {
    var found = document.querySelectorAll("script[src*='widget.js']");
    return found[found.length - 1];
  })();
  if (!script || !script.src || window.__housingAssistantWidgetLoaded) return;
  window.__housingAssistantWidgetLoaded = true;

  var BASE = new URL(".", script.src).href;
  var MAX_HISTORY = 8;
  var MAX_CONTENT = 4000;

  // {nl: {...}, fr: {...}, en: {...}, ...}: written here by the server from answer/catalogue.py.
  var TEXT = /*@catalogue*/{};

  function pickLanguage() {
    var candidates = [script.getAttribute("data-lang"), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < candidates.length; i++) {
      var code = (candidates[i] || "").slice(0, 2).toLowerCase();
      if (TEXT[code]) return code;
    }
    return "en";
  }

  var LANG = pickLanguage();
  var T = TEXT[LANG];
  var chosen = null; // the language picked in the switch: it beats the question's
  var REGION = (script.getAttribute("data-region") || "").toLowerCase();
  if (["flanders", "brussels", "netherlands", "eu"].indexOf(REGION) < 0) REGION = null;

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    // The page's styles reach the host element and, through inheritance, everything in it.
    ".wrap{all:initial;display:block;letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:left;",
    "text-indent:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;color:#1b1b1b}",
    ".launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:999px;padding:12px 18px;",
    "background:#0b5cad;color:#fff;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.35);max-width:calc(100vw - 32px)}",
    ".launcher:hover{background:#084a8c}",
    // The ring brings its own halo: 3:1 or more whatever the portal's background.
    "button:focus-visible,textarea:focus-visible,a:focus-visible,select:focus-visible,.sources li:focus-visible{outline:3px solid #0b5cad;outline-offset:2px;box-shadow:0 0 0 6px #fff}",
    ".panel{position:fixed;right:8px;bottom:8px;z-index:2147483001;width:min(400px,calc(100vw - 16px));",
    "height:min(620px,calc(100vh - 16px));display:flex;flex-direction:column;background:#fff;",
    "border:1px solid #8a8a8a;border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.3);overflow:hidden}",
    "[hidden]{display:none!important}",
    ".head{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:10px 12px;background:#0b5cad;color:#fff}",
    ".head h2{margin:0;font-size:17px;line-height:1.3;font-weight:700}",
    ".close{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.7);border-radius:6px;padding:4px 10px;font:inherit;cursor:pointer}",
    ".log{flex:1;min-height:0;overflow-y:auto;overflow-x:hidden;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:100%;padding:8px 10px;border-radius:8px;overflow-wrap:anywhere;word-break:break-word}",
    ".who{display:block;font-size:12px;font-weight:700;color:#444;margin-bottom:2px}",
    ".text{white-space:pre-wrap}",
    ".user{align-self:flex-end;background:#e6f0fa}",
    ".bot{align-self:stretch;background:#f3f3f3}",
    ".intro{background:#f3f3f3;color:#333;font-size:14px}",
    ".notice{background:#fff4e5;border:1px solid #b36b00;color:#1b1b1b}",
    // A refusal: an amber rule and an icon, not an answer's plain bubble.
    ".refusal{border-left:4px solid #b45309;background:#fff8ed}",
    ".refusal .who::before{content:'\\26A0\\FE0E  ';color:#b45309}",
    ".text a{color:#0b5cad}",
    ".privacy{display:block;padding:0 8px 8px;font-size:13px;background:#fff}",
    ".privacy a{color:#0b5cad}",
    ".pending{color:#555;font-style:italic}",
    ".sources-title{margin:10px 0 4px;font-size:14px;font-weight:700}",
    ".sources{margin:0;padding:0;list-style:none}",
    ".cite{font:inherit;font-weight:700;color:#0b5cad;background:none;border:0;padding:0 1px;margin:0;cursor:pointer;text-decoration:underline}",
    ".sources li{margin:6px 0;padding:6px 8px;background:#fff;border-left:3px solid #0b5cad}",
    ".num{font-weight:700;margin-right:4px}",
    ".src-title{font-weight:600}",
    ".sources a{color:#0b5cad}",
    ".meta{display:block;color:#555;font-size:13px}",
    ".quote{margin:4px 0 0;padding:0;font-style:italic;white-space:pre-wrap}",
    ".fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px;font-size:13px}",
    ".fb .retry{font-weight:600;background:#0b5cad;color:#fff;border-color:#0b5cad}",
    ".fb button{font:inherit;padding:2px 10px;border:1px solid #767676;border-radius:6px;background:#fff;color:#1b1b1b;cursor:pointer}",
    ".form{display:flex;gap:6px;padding:8px;border-top:1px solid #ddd;background:#fff}",
    ".form textarea{flex:1;min-width:0;resize:none;font:inherit;padding:8px;border:1px solid #767676;border-radius:6px;height:3.4em;color:#1b1b1b;background:#fff}",
    ".send{flex:none;background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:0 14px;font:inherit;font-weight:600;cursor:pointer}",
    ".send:disabled,.form textarea:disabled{opacity:.6;cursor:not-allowed}",
    ".sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    ".head{flex-wrap:wrap}",
    ".tools{display:flex;flex-wrap:wrap;align-items:center;gap:6px}",
    ".tools select{font:inherit;font-size:14px;padding:3px 4px;border:1px solid rgba(255,255,255,.7);border-radius:6px;background:#0b5cad;color:#fff}",
    ".tools button{background:transparent;color:#fff;border:1px solid rgba(255,255,255,.7);border-radius:6px;padding:4px 10px;font:inherit;cursor:pointer}",
    ".head :focus-visible{outline-color:#fff!important;box-shadow:0 0 0 6px #0b5cad!important}",
    ".done-note{font-size:13px;color:#1b1b1b}",
    // 400% zoom leaves ~180 px of height: the whole panel scrolls, its header stays on top.
    "@media (max-height:420px){.panel{overflow-y:auto}.log{flex:none;overflow:visible}.head{position:sticky;top:0;z-index:1}}",
    // A phone: the panel is a full-screen dialog (it would cover the page anyway); focus stays in it.
    "@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;border:0;border-radius:0}}",
    // The system's dark mode; every pair keeps 4.5:1 or more.
    "@media (prefers-color-scheme:dark){",
    ".wrap{color:#f1f1f1}",
    ".panel,.form,.form textarea{background:#1e1e1e;color:#f1f1f1}",
    ".panel{border-color:#8a8a8a}.form{border-top-color:#444}",
    ".form textarea{border-color:#9a9a9a}",
    ".bot,.intro{background:#2b2b2b;color:#f1f1f1}",
    ".user{background:#17324f;color:#f1f1f1}",
    ".who,.meta,.pending{color:#c8c8c8}",
    ".notice{background:#3a2a10;border-color:#e0a040;color:#f1f1f1}",
    ".sources li{background:#1e1e1e;border-left-color:#6cb0f5}",
    ".sources a,.cite,.text a,.privacy a{color:#8cc4ff}",
    ".privacy{background:#1e1e1e}",
    ".refusal{background:#2e2416;border-left-color:#f59e0b}.refusal .who::before{color:#f59e0b}",
    ".fb button{background:#2b2b2b;color:#f1f1f1;border-color:#9a9a9a}",
    ".done-note{color:#f1f1f1}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible,select:focus-visible,.sources li:focus-visible{outline-color:#ffbf47;box-shadow:0 0 0 6px #1b1b1b}",
    "}"
  ].join("\n");

  // ------------------------------------------------------------------ DOM helpers

  // A node whose text is the catalogue's `key` in the current language (relabel() updates it).
  function label(tag, attrs, key) {
    var node = el(tag, attrs, T[key]);
    node.setAttribute("data-t", key);
    return node;
  }

  function relabel() {
    T = TEXT[LANG];
    wrap.setAttribute("lang", LANG);
    Array.prototype.forEach.call(root.querySelectorAll("[data-t]"), function (node) {
      node.textContent = T[node.getAttribute("data-t")];
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-t-label]"), function (node) {
      node.setAttribute("aria-label", T[node.getAttribute("data-t-label")]);
    });
    input.placeholder = T.placeholder;
    switcher.value = LANG;
    privacyLink.href = BASE + "privacy?lang=" + LANG;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var name in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, name)) node.setAttribute(name, attrs[name]);
      }
    }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value || ""), BASE);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // ------------------------------------------------------------------ kept in the browser
  // The portal tab's sessionStorage: the conversation and whether the panel is open follow the
  // citizen across the portal's pages and go when the tab is closed (as /privacy says).
  var KEY = "housing-assistant-widget:" + BASE;
  var MAX_KEPT = 20;

  function loadKept() {
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(KEY));
      return kept && typeof kept === "object" ? kept : null;
    } catch (e) {
      return null;
    }
  }

  function keep() {
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify({
        open: panel ? !panel.hidden : false, chosen: chosen, lang: LANG,
        exchanges: exchanges.slice(-MAX_KEPT)
      }));
    } catch (e) { /* storage off or full: nothing is kept */ }
  }

  // ------------------------------------------------------------------ build

  var host, root, wrap, launcher, panel, log, form, input, sendButton, closeButton, clearButton, switcher;
  var live, privacyLink;
  // A phone: the panel fills the screen and is a modal dialog (aria-modal, focus kept inside).
  var small = window.matchMedia ? window.matchMedia("(max-width: 480px)") : { matches: false };
  var history = [];
  var exchanges = []; // what the panel shows: {question, answer, citations, done}
  var busy = false;
  var checked = false;
  var disabled = false;

  function build() {
    host = el("div", { "data-housing-assistant": "", style: "all:initial" });
    root = host.attachShadow({ mode: "open" });
    var style = el("style");
    style.textContent = CSS;
    wrap = el("div", { "class": "wrap", lang: LANG });

    launcher = label("button", {
      type: "button", "class": "launcher", "aria-haspopup": "dialog",
      "aria-expanded": "false", "aria-controls": "ha-panel"
    }, "launcher");

    panel = el("div", {
      id: "ha-panel", "class": "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "ha-title"
    });
    panel.hidden = true;

    var head = el("div", { "class": "head" });
    head.appendChild(label("h2", { id: "ha-title" }, "title"));
    var tools = el("div", { "class": "tools" });
    tools.appendChild(label("label", { "for": "ha-lang", "class": "sr" }, "language"));
    switcher = el("select", { id: "ha-lang" });
    Object.keys(TEXT).forEach(function (code) {
      switcher.appendChild(el("option", { value: code, lang: code }, T.languages[code]));
    });
    switcher.value = LANG;
    tools.appendChild(switcher);
    clearButton = label("button", { type: "button", "class": "clear", "data-t-label": "clearLabel", "aria-label": T.clearLabel }, "clear");
    tools.appendChild(clearButton);
    closeButton = label("button", { type: "button", "class": "close" }, "close");
    tools.appendChild(closeButton);
    head.appendChild(tools);

    // The log is not live: its streamed pieces would be read out one by one. `live` says
    // each finished answer once, as plain text (announce()).
    log = el("div", { "class": "log", role: "log", "aria-live": "off" });
    live = el("div", { "class": "sr", role: "status" });
    log.appendChild(label("p", { "class": "msg intro" }, "intro"));

    form = el("form", { "class": "form", novalidate: "" });
    var inputLabel = label("label", { "for": "ha-input", "class": "sr" }, "label");
    input = el("textarea", { id: "ha-input", name: "question", rows: "2", maxlength: "1000", placeholder: T.placeholder });
    sendButton = label("button", { type: "submit", "class": "send" }, "send");
    form.appendChild(inputLabel);
    form.appendChild(input);
    form.appendChild(sendButton);

    var privacy = el("p", { "class": "privacy" });
    privacyLink = label("a", { href: BASE + "privacy?lang=" + LANG, target: "_blank", rel: "noopener" }, "privacy");
    privacy.appendChild(privacyLink);

    panel.appendChild(head);
    panel.appendChild(log);
    panel.appendChild(form);
    panel.appendChild(privacy);
    panel.appendChild(live);
    wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(style);
    root.appendChild(wrap);
    document.body.appendChild(host);

    launcher.addEventListener("click", open);
    closeButton.addEventListener("click", close);
    clearButton.addEventListener("click", clearConversation);
    switcher.addEventListener("change", function () {
      chosen = switcher.value;
      LANG = chosen;
      relabel();
      keep();
    });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        event.preventDefault();
        close();
      } else if (event.key === "Tab" && modal()) {
        trapTab(event);
      }
    });
    // Focus that leaves a modal panel (a click or a screen reader on the page) comes back.
    document.addEventListener("focusin", function (event) {
      if (modal() && event.target !== host) focusables()[0].focus();
    });
    if (small.addEventListener) small.addEventListener("change", setModal);
    setModal();
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });
    comeBack();
  }

  // The conversation kept on an earlier page of the portal, shown again as it was.
  function comeBack() {
    var kept = loadKept();
    if (!kept) return;
    if (TEXT[kept.chosen]) {
      chosen = kept.chosen;
      LANG = chosen;
    } else if (TEXT[kept.lang]) {
      LANG = kept.lang;
    }
    relabel();
    log.setAttribute("aria-live", "off"); // shown again, not read out again
    (Array.isArray(kept.exchanges) ? kept.exchanges : []).forEach(function (exchange) {
      if (!exchange || typeof exchange.question !== "string" || typeof exchange.answer !== "string"
          || !exchange.done || typeof exchange.done !== "object") return;
      var state = start(exchange.question);
      state.pending.parentNode.removeChild(state.pending);
      state.text.textContent = exchange.answer;
      state.citations = Array.isArray(exchange.citations) ? exchange.citations : [];
      renderCitations(state, state.citations);
      state.done = exchange.done;
      present(state, exchange.answer);
      exchanges.push(exchange);
    });
    log.setAttribute("aria-live", "polite");
    if (kept.open) showPanel();
  }

  function modal() {
    return small.matches && !panel.hidden;
  }

  function setModal() {
    panel.setAttribute("aria-modal", small.matches ? "true" : "false");
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, select, textarea, a[href], [tabindex='0']"),
      function (node) { return !node.disabled && node.getClientRects().length; });
  }

  // Tab from the last control goes to the first (the header's), Shift+Tab the other way.
  function trapTab(event) {
    var nodes = focusables();
    var at = nodes.indexOf(root.activeElement);
    var next = event.shiftKey ? (at <= 0 ? nodes.length - 1 : -1) : (at === nodes.length - 1 ? 0 : -1);
    if (next < 0 || !nodes.length) return;
    event.preventDefault();
    nodes[next].focus();
  }

  // The panel instead of the launcher; the first time, whether this site may use the service.
  function showPanel() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    if (!checked) {
      checked = true;
      checkEnabled();
    }
  }

  function open() {
    showPanel();
    keep();
    (disabled ? closeButton : input).focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    keep();
    launcher.focus();
  }

  function clearConversation() {
    if (busy) return;
    history = [];
    exchanges = [];
    keep();
    Array.prototype.forEach.call(log.querySelectorAll(".msg:not(.intro)"), function (node) {
      log.removeChild(node);
    });
    var note = label("p", { "class": "msg done-note", role: "status" }, "cleared");
    log.appendChild(note);
    if (!disabled) input.focus();
  }

  var silence = null;

  // One announcement per answer; emptied later so that it is not met twice when browsing.
  function announce(text) {
    live.textContent = text;
    clearTimeout(silence);
    silence = setTimeout(function () { live.textContent = ""; }, 5000);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(kind, who) {
    var box = el("div", { "class": "msg " + kind });
    if (who) box.appendChild(label("span", { "class": "who" }, who));
    log.appendChild(box);
    scrollDown();
    return box;
  }

  function notice(text) {
    var box = addMessage("notice");
    box.setAttribute("role", "alert");
    box.appendChild(el("span", { "class": "text" }, text));
    scrollDown();
    return box;
  }

  function disable(text) {
    if (!disabled && text) notice(text);
    disabled = true;
    var hadFocus = root.activeElement === input;
    input.disabled = true;
    sendButton.disabled = true;
    if (hadFocus) closeButton.focus();
  }

  // ------------------------------------------------------------------ network

  // A cross-origin request the server refuses (403 without CORS headers) fails like a network
  // error; if the server still answers a no-cors request, it is up and this site is not allowed.
  function diagnose() {
    return fetch(BASE + "widget.js", { mode: "no-cors", credentials: "omit", cache: "no-store" })
      .then(function () { return "forbidden"; }, function () { return "unreachable"; });
  }

  function checkEnabled() {
    fetch(BASE + "api/health", { credentials: "omit", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 403) disable(T.notEnabled);
      }, function () {
        return diagnose().then(function (why) {
          if (why === "forbidden") disable(T.notEnabled);
        });
      });
  }

  function errorMessage(response) {
    if (response.status === 403) return Promise.resolve(T.notEnabled);
    return response.json().then(function (body) {
      return body && body.error && typeof body.error.message === "string" ? body.error.message : T.error;
    }, function () { return T.error; });
  }

  function submit() {
    if (busy || disabled) return;
    var question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(question);
  }

  // The question's bubble and the answer's, waiting.
  function start(question) {
    Array.prototype.forEach.call(log.querySelectorAll(".done-note"), function (node) {
      log.removeChild(node);
    });
    var mine = addMessage("user", "you");
    mine.appendChild(el("span", { "class": "text" }, question));

    var box = addMessage("bot", "bot");
    box.setAttribute("aria-busy", "true");
    var pending = label("span", { "class": "pending" }, "searching");
    var text = el("span", { "class": "text" });
    box.appendChild(pending);
    box.appendChild(text);
    return { box: box, mine: mine, text: text, pending: pending, question: question, citations: [],
             sources: {} };
  }

  function ask(question) {
    busy = true;
    sendButton.disabled = true;
    var state = start(question);

    // The language is sent only when picked, or when the question has no letters to tell it.
    var request = { question: question, history: history.slice(-MAX_HISTORY) };
    if (chosen) request.lang = chosen;
    else if (!/\p{L}/u.test(question)) request.lang = LANG;
    if (REGION) request.region = REGION;
    var body = JSON.stringify(request);
    fetch(BASE + "api/ask/stream", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: body
    }).then(function (response) {
      if (!response.ok || !response.body) {
        return errorMessage(response).then(function (message) {
          // Busy, starting or failing: worth another try; a refused question is not.
          fail(state, message, response.status === 429 || response.status >= 500);
          if (response.status === 403) disable(null);
        });
      }
      return readEvents(response.body, function (event, data) { onEvent(state, event, data); })
        .then(function () { finish(state); });
    }, function () {
      return diagnose().then(function (why) {
        if (why === "forbidden") {
          fail(state, T.notEnabled);
          disable(null);
        } else {
          fail(state, T.unreachable, true);
        }
      });
    }).catch(function () {
      fail(state, T.error, true);
    });
  }

  // Server-sent events over fetch: blocks separated by a blank line; `event:` and `data:` lines.
  function readEvents(stream, handle) {
    var reader = stream.getReader();
    var decoder = new TextDecoder();
    var buffer = "";

    function dispatch(block) {
      var event = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      });
      if (data.length) handle(event, data.join("\n"));
    }

    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          if (buffer.trim()) dispatch(buffer.replace(/\r\n?/g, "\n"));
          return;
        }
        // A lone "\r" at the end may be the first half of "\r\n": keep it for the next chunk.
        buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n|\r(?!$)/g, "\n");
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        return pump();
      });
    }
    return pump();
  }

  function onEvent(state, event, data) {
    var value;
    try {
      value = JSON.parse(data);
    } catch (e) {
      return;
    }
    if (event === "delta" && value && typeof value.text === "string") {
      if (state.pending.parentNode) state.pending.parentNode.removeChild(state.pending);
      state.text.appendChild(document.createTextNode(value.text));
    } else if (event === "answer" && value && typeof value.text === "string") {
      // The verified text replaces what was streamed (an LLM sentence without a valid [n] is dropped).
      state.text.textContent = value.text;
    } else if (event === "citations" && Array.isArray(value)) {
      state.citations = value;
      renderCitations(state, value);
    } else if (event === "done" && value) {
      state.done = value;
    } else if (event === "error" && value) {
      state.error = typeof value.message === "string" ? value.message : T.error;
    }
    scrollDown();
  }

  // The sources, one per document (its citations share `doc_id`), in the order first cited:
  // its citations, "[1] [3]", its title and its link (null: none, or not http(s)).
  function sourcesOf(citations) {
    var sources = [], byDocument = {};
    citations.forEach(function (c) {
      var key = "d:" + (c.doc_id || c.n);
      if (!byDocument[key]) {
        sources.push(byDocument[key] = { citations: [], title: String(c.title || c.doc_id || ""),
                                         url: c.url ? safeUrl(c.url) : null });
      }
      byDocument[key].citations.push(c);
    });
    sources.forEach(function (source) {
      source.numbers = source.citations.map(function (g) { return "[" + g.n + "]"; }).join(" ");
    });
    return sources;
  }

  // One item per source: "[1] [3] title", publisher and date, and a citation's quote only
  // when the answer does not show it already (`“…” [n]` lines).
  function renderCitations(state, citations) {
    if (!citations.length) return;
    var quoted = {};
    state.text.textContent.split("\n").forEach(function (line) {
      var quote = /^\u201c.*\u201d \[(\d+)\]$/.exec(line);
      if (quote) quoted[quote[1]] = true;
    });
    state.box.appendChild(label("p", { "class": "sources-title" }, "sources"));
    var list = el("ul", { "class": "sources" });
    sourcesOf(citations).forEach(function (source) {
      var group = source.citations, c = group[0], title = source.title, url = source.url;
      // Reachable with Tab, read in its document's language.
      var item = el("li", { tabindex: "0" });
      if (TEXT[c.language]) item.setAttribute("lang", c.language);
      item.appendChild(el("span", { "class": "num" }, source.numbers));
      if (url) {
        var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", "class": "src-title" }, title);
        link.appendChild(label("span", { "class": "sr" }, "opens"));
        item.appendChild(link);
      } else {
        item.appendChild(el("span", { "class": "src-title" }, title));
      }
      var details = [c.publisher, c.date].filter(function (part) { return part; }).join(" \u00b7 ");
      if (details) item.appendChild(el("span", { "class": "meta" }, details));
      group.forEach(function (g) {
        state.sources[g.n] = { item: item, title: title };
        if (g.quote && !quoted[g.n]) {
          item.appendChild(el("blockquote", { "class": "quote" }, "[" + g.n + "] \u201c" + g.quote + "\u201d"));
        }
      });
      list.appendChild(item);
    });
    state.box.appendChild(list);
  }

  // Each `[n]` of the answer becomes a button to its source: Tab reaches it, Enter moves the
  // focus to the source's item.
  function linkMarkers(state) {
    Array.prototype.slice.call(state.text.childNodes).forEach(function (node) {
      if (node.nodeType !== 3 || !/\[\d+\]/.test(node.nodeValue)) return;
      var pieces = document.createDocumentFragment();
      node.nodeValue.split(/(\[\d+\])/).forEach(function (piece) {
        var marker = /^\[(\d+)\]$/.exec(piece);
        var source = marker && state.sources[marker[1]];
        if (!source) {
          if (piece) pieces.appendChild(document.createTextNode(piece));
          return;
        }
        var button = el("button", { type: "button", "class": "cite", title: source.title }, piece);
        button.addEventListener("click", function () {
          source.item.focus();
          source.item.scrollIntoView({ block: "nearest" });
        });
        pieces.appendChild(button);
      });
      node.parentNode.replaceChild(pieces, node);
    });
  }

  function finish(state) {
    if (state.pending.parentNode) state.pending.parentNode.removeChild(state.pending);
    if (state.error || !state.done) {
      fail(state, state.error || T.error, true);
      return;
    }
    var answer = state.text.textContent.replace(/\s+$/, "");
    present(state, answer);
    announce(answer);
    exchanges.push({ question: state.question, answer: answer, citations: state.citations,
                     done: { lang: state.done.lang, refused: !!state.done.refused } });
    keep();
  }

  // A finished answer (just streamed, or kept from an earlier page).
  function present(state, answer) {
    showAnswer(state, answer);
    linkMarkers(state);
    if (TEXT[state.done.lang]) {
      state.box.setAttribute("lang", state.done.lang);
      if (!chosen) state.mine.setAttribute("lang", state.done.lang);
      // The interface follows the question's language (unless one was picked).
      if (!chosen && state.done.lang !== LANG) {
        LANG = state.done.lang;
        relabel();
      }
    }
    history.push({ role: "user", content: state.question.slice(0, MAX_CONTENT) });
    history.push({ role: "assistant", content: answer.slice(0, MAX_CONTENT) });
    history = history.slice(-MAX_HISTORY);
    if (state.done.refused) {
      state.box.className = "msg bot refusal";
      var who = state.box.querySelector(".who");
      who.setAttribute("data-t", "refusal");
      who.textContent = T.refusal;
      linkAddresses(state.text);
    }
    if (!state.done.refused && state.citations.length) addFeedback(state.box, state.citations, answer);
    done(state);
  }

  // The answer's quote lines (`“…” [n]`) carry their document's language.
  function showAnswer(state, answer) {
    var languages = {};
    state.citations.forEach(function (c) { languages[c.n] = c.language; });
    state.text.textContent = "";
    answer.split("\n").forEach(function (line, i) {
      if (i) state.text.appendChild(document.createTextNode("\n"));
      var quote = /^(\u201c.*\u201d)( \[(\d+)\])$/.exec(line);
      var code = quote && languages[quote[3]];
      if (code && TEXT[code]) {
        state.text.appendChild(el("span", { lang: code }, quote[1]));
        state.text.appendChild(document.createTextNode(quote[2]));
      } else {
        state.text.appendChild(document.createTextNode(line));
      }
    });
  }

  // A refusal's referral (the server's settings, never a document's text): each web address
  // ("www.juridischloket.nl") becomes a link.
  var ADDRESS = /((?:https?:\/\/)?www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:\/[\w\/.-]*\w)?)/;

  function linkAddresses(node) {
    var pieces = node.textContent.split(ADDRESS); // the addresses at the odd places
    if (pieces.length < 2) return;
    node.textContent = "";
    pieces.forEach(function (piece, i) {
      var url = i % 2 ? safeUrl(/^https?:/.test(piece) ? piece : "https://" + piece) : null;
      if (url) node.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, piece));
      else if (piece) node.appendChild(document.createTextNode(piece));
    });
  }

  // `retry`: the question is kept in the field and a button asks it again.
  function fail(state, message, retry) {
    if (state.pending.parentNode) state.pending.parentNode.removeChild(state.pending);
    state.box.className = "msg notice";
    state.text.textContent = message;
    if (retry) {
      if (!input.value.trim()) input.value = state.question;
      var again = label("button", { type: "button", "class": "retry" }, "retry");
      again.addEventListener("click", function () {
        if (busy || disabled) return;
        if (state.mine.parentNode) log.removeChild(state.mine);
        if (state.box.parentNode) log.removeChild(state.box);
        if (input.value.trim() === state.question) input.value = "";
        input.focus();
        ask(state.question);
      });
      var bar = el("div", { "class": "fb" });
      bar.appendChild(again);
      state.box.appendChild(bar);
    }
    done(state);
  }

  function done(state) {
    state.box.setAttribute("aria-busy", "false");
    busy = false;
    sendButton.disabled = disabled;
    // A long answer is read from its start, not from its last source.
    if (state.box.offsetHeight > log.clientHeight) log.scrollTop = state.box.offsetTop - log.offsetTop - 8;
    else scrollDown();
  }

  // The answer, then its sources (one per document): "[1] [3] title" and its link.
  function withSources(answer, citations) {
    return answer + "\n\n" + T.sources + ":\n" + sourcesOf(citations).map(function (s) {
      return s.numbers + " " + s.title + (s.url ? "\n" + s.url : "");
    }).join("\n");
  }

  function addFeedback(box, citations, answer) {
    var tools = el("div", { "class": "fb" });
    var copy = label("button", { type: "button", "class": "copy", "data-t-label": "copyLabel", "aria-label": T.copyLabel }, "copy");
    var copied = el("span", { role: "status" });
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(withSources(answer, citations)).then(function () {
        copied.setAttribute("data-t", "copied");
        copied.textContent = T.copied;
      }, function () { /* no clipboard here: nothing was copied, nothing is said */ });
    });
    tools.appendChild(copy);
    tools.appendChild(copied);
    box.appendChild(tools);

    var bar = el("div", { "class": "fb" });
    bar.appendChild(label("span", null, "useful"));
    [["up", "yes"], ["down", "no"]].forEach(function (pair) {
      var button = label("button", { type: "button" }, pair[1]);
      button.addEventListener("click", function () {
        fetch(BASE + "api/feedback", {
          method: "POST",
          credentials: "omit",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            vote: pair[0],
            passage_ids: citations.map(function (c) { return c.passage_id; }).slice(0, 20),
            lang: LANG
          })
        }).catch(function () { /* a lost vote is not worth an error message */ });
        var thanks = label("span", { tabindex: "-1", role: "status" }, "thanks");
        bar.textContent = "";
        bar.appendChild(thanks);
        thanks.focus();
      });
      bar.appendChild(button);
    });
    box.appendChild(bar);
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
