/*
 * Housing assistant widget. Embed with one tag:
 *   <script src="https://HOST/widget.js" data-lang="fr" async></script>
 * Adds a launcher button and a chat panel (in a shadow root, so no CSS leaks either way).
 * The API base is this script's own location. Answers stream from /api/ask/stream.
 * Every text that comes from the server or a document is inserted with textContent.
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

  // {nl: {...}, fr: {...}, en: {...}}: written here by the server from assistant/catalogue.py.
  var TEXT = /*@catalogue*/{};

  function pickLanguage() {
    var candidates = [script.getAttribute("data-lang"), document.documentElement.lang, navigator.language];
    for (var i = 0; i < candidates.length; i++) {
      var code = (candidates[i] || "").slice(0, 2).toLowerCase();
      if (TEXT[code]) return code;
    }
    return "en";
  }

  var LANG = pickLanguage();
  var T = TEXT[LANG];

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    // The page's styles reach the host element and, through inheritance, everything in it.
    ".wrap{all:initial;display:block;letter-spacing:normal;word-spacing:normal;text-transform:none;text-align:left;",
    "text-indent:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;color:#1b1b1b}",
    ".launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:999px;padding:12px 18px;",
    "background:#0b5cad;color:#fff;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.35);max-width:calc(100vw - 32px)}",
    ".launcher:hover{background:#084a8c}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
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
    ".pending{color:#555;font-style:italic}",
    ".sources-title{margin:10px 0 4px;font-size:14px;font-weight:700}",
    ".sources{margin:0;padding:0;list-style:none}",
    ".sources li{margin:6px 0;padding:6px 8px;background:#fff;border-left:3px solid #0b5cad}",
    ".num{font-weight:700;margin-right:4px}",
    ".src-title{font-weight:600}",
    ".sources a{color:#0b5cad}",
    ".meta{display:block;color:#555;font-size:13px}",
    ".quote{margin:4px 0 0;padding:0;font-style:italic;white-space:pre-wrap}",
    ".fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px;font-size:13px}",
    ".fb button{font:inherit;padding:2px 10px;border:1px solid #767676;border-radius:6px;background:#fff;color:#1b1b1b;cursor:pointer}",
    ".form{display:flex;gap:6px;padding:8px;border-top:1px solid #ddd;background:#fff}",
    ".form textarea{flex:1;min-width:0;resize:none;font:inherit;padding:8px;border:1px solid #767676;border-radius:6px;height:3.4em;color:#1b1b1b;background:#fff}",
    ".send{flex:none;background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:0 14px;font:inherit;font-weight:600;cursor:pointer}",
    ".send:disabled,.form textarea:disabled{opacity:.6;cursor:not-allowed}",
    ".sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}"
  ].join("\n");

  // ------------------------------------------------------------------ DOM helpers

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

  // ------------------------------------------------------------------ build

  var host, root, launcher, panel, log, form, input, sendButton, closeButton;
  var history = [];
  var busy = false;
  var checked = false;
  var disabled = false;

  function build() {
    host = el("div", { "data-housing-assistant": "", style: "all:initial" });
    root = host.attachShadow({ mode: "open" });
    var style = el("style");
    style.textContent = CSS;
    var wrap = el("div", { "class": "wrap", lang: LANG });

    launcher = el("button", {
      type: "button", "class": "launcher", "aria-haspopup": "dialog",
      "aria-expanded": "false", "aria-controls": "ha-panel"
    }, T.launcher);

    panel = el("div", {
      id: "ha-panel", "class": "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "ha-title"
    });
    panel.hidden = true;

    var head = el("div", { "class": "head" });
    head.appendChild(el("h2", { id: "ha-title" }, T.title));
    closeButton = el("button", { type: "button", "class": "close" }, T.close);
    head.appendChild(closeButton);

    log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions text" });
    log.appendChild(el("p", { "class": "msg intro" }, T.intro));

    form = el("form", { "class": "form", novalidate: "" });
    var label = el("label", { "for": "ha-input", "class": "sr" }, T.label);
    input = el("textarea", { id: "ha-input", name: "question", rows: "2", maxlength: "1000", placeholder: T.placeholder });
    sendButton = el("button", { type: "submit", "class": "send" }, T.send);
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendButton);

    panel.appendChild(head);
    panel.appendChild(log);
    panel.appendChild(form);
    wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(style);
    root.appendChild(wrap);
    document.body.appendChild(host);

    launcher.addEventListener("click", open);
    closeButton.addEventListener("click", close);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        event.preventDefault();
        close();
      }
    });
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
  }

  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    (disabled ? closeButton : input).focus();
    if (!checked) {
      checked = true;
      checkEnabled();
    }
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(kind, who) {
    var box = el("div", { "class": "msg " + kind });
    if (who) box.appendChild(el("span", { "class": "who" }, who));
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

  function ask(question) {
    busy = true;
    sendButton.disabled = true;
    var mine = addMessage("user", T.you);
    mine.appendChild(el("span", { "class": "text" }, question));

    var box = addMessage("bot", T.bot);
    box.setAttribute("aria-busy", "true");
    var pending = el("span", { "class": "pending" }, T.searching);
    var text = el("span", { "class": "text" });
    box.appendChild(pending);
    box.appendChild(text);
    var state = { box: box, text: text, pending: pending, question: question, citations: [] };

    var body = JSON.stringify({ question: question, history: history.slice(-MAX_HISTORY), lang: LANG });
    fetch(BASE + "api/ask/stream", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: body
    }).then(function (response) {
      if (!response.ok || !response.body) {
        return errorMessage(response).then(function (message) {
          fail(state, message);
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
          fail(state, T.unreachable);
        }
      });
    }).catch(function () {
      fail(state, T.error);
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
      renderCitations(state.box, value);
    } else if (event === "done" && value) {
      state.done = value;
    } else if (event === "error" && value) {
      state.error = typeof value.message === "string" ? value.message : T.error;
    }
    scrollDown();
  }

  function renderCitations(box, citations) {
    if (!citations.length) return;
    box.appendChild(el("p", { "class": "sources-title" }, T.sources));
    var list = el("ol", { "class": "sources" });
    citations.forEach(function (c) {
      var item = el("li");
      if (typeof c.n === "number") item.value = c.n;
      item.appendChild(el("span", { "class": "num" }, "[" + c.n + "]"));
      var title = String(c.title || c.doc_id || "");
      var url = safeUrl(c.url);
      if (c.url && url) {
        var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", "class": "src-title" }, title);
        link.appendChild(el("span", { "class": "sr" }, " " + T.opens));
        item.appendChild(link);
      } else {
        item.appendChild(el("span", { "class": "src-title" }, title));
      }
      var details = [c.publisher, c.date].filter(function (part) { return part; }).join(" \u00b7 ");
      if (details) item.appendChild(el("span", { "class": "meta" }, details));
      if (c.quote) item.appendChild(el("blockquote", { "class": "quote" }, "\u201c" + c.quote + "\u201d"));
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function finish(state) {
    if (state.pending.parentNode) state.pending.parentNode.removeChild(state.pending);
    if (state.error || !state.done) {
      fail(state, state.error || T.error);
      return;
    }
    var answer = state.text.textContent.replace(/\s+$/, "");
    state.text.textContent = answer;
    history.push({ role: "user", content: state.question.slice(0, MAX_CONTENT) });
    history.push({ role: "assistant", content: answer.slice(0, MAX_CONTENT) });
    history = history.slice(-MAX_HISTORY);
    if (!state.done.refused && state.citations.length) addFeedback(state.box, state.citations);
    done(state);
  }

  function fail(state, message) {
    if (state.pending.parentNode) state.pending.parentNode.removeChild(state.pending);
    state.box.className = "msg notice";
    state.text.textContent = message;
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

  function addFeedback(box, citations) {
    var bar = el("div", { "class": "fb" });
    bar.appendChild(el("span", null, T.useful));
    [["up", T.yes], ["down", T.no]].forEach(function (pair) {
      var button = el("button", { type: "button" }, pair[1]);
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
        var thanks = el("span", { tabindex: "-1" }, T.thanks);
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
