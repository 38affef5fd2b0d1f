/*
 * The Gradio chat's own script (served at /chat.js, loaded through ui.HEAD): what Gradio's
 * components cannot say themselves. It keeps <html lang> and the title in the language the
 * switch shows, names the conversation and its messages in that language (instead of
 * Gradio's English aria-labels), marks source headers expanded or not and gives titles and
 * passages their document's lang, makes the status lines live regions, copies the latest
 * answer, and keeps the latest question at the top of the conversation while it is answered.
 * It keeps the conversation in sessionStorage (the server's snapshot, #snapshot) and gives it
 * back after a reload (#restore); and when the server cannot be reached it says so in the
 * page's language, keeps the question and offers to try again once the server answers.
 * It says each finished answer once, as plain text, in one live region (#chat-live); shows
 * "searching" while a question waits; marks refusals; copies an answer with its sources.
 * It only reads and decorates Gradio's DOM; every event still goes through Gradio.
 */
(function () {
  "use strict";

  // {nl: {...}, fr: {...}, en: {...}}: the chat's texts, written here by the server.
  var TEXT = /*@catalogue*/{};
  var LANGS = Object.keys(TEXT); // the registered languages (assistant/languages)
  var userCount = 0;
  var scheduled = false;
  var clearing = false;
  var pendingQuestion = null;

  // ------------------------------------------------------------------ kept in the browser
  // sessionStorage: this tab only, gone when it is closed (as /privacy says).
  var KEY = "housing-assistant-chat";
  var store = (function () {
    try {
      var s = window.sessionStorage;
      s.setItem(KEY + "-probe", "1");
      s.removeItem(KEY + "-probe");
      return s;
    } catch (e) {
      return null; // storage off: the chat works, nothing is kept
    }
  })();

  function load(name) {
    if (!store) return null;
    try { return JSON.parse(store.getItem(KEY + "-" + name)); } catch (e) { return null; }
  }

  function save(name, value) {
    if (!store) return;
    try {
      if (value === null || value === undefined) store.removeItem(KEY + "-" + name);
      else store.setItem(KEY + "-" + name, JSON.stringify(value));
    } catch (e) { /* full: the last snapshot kept stays */ }
  }

  // The conversation waiting to be given back after a reload (null once it was, or if none).
  var toRestore = load("conversation");
  if (toRestore && !(toRestore.history && toRestore.history.length)) toRestore = null;
  var restoreSent = false;
  var lastSnapshot = null;
  var shownSnapshot = null; // the latest snapshot, parsed: which answers are refusals, the sources

  function field(id) {
    return document.querySelector("#" + id + " textarea, #" + id + " input");
  }

  function typeInto(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function questionsIn(snapshot) {
    return (snapshot && snapshot.history || []).filter(function (m) { return m.role === "user"; }).length;
  }

  // The server's snapshot after each finished reply: kept, unless it is the empty page's
  // ("start") while a kept conversation has not been given back yet.
  function readSnapshot() {
    var node = field("snapshot");
    if (!node || !node.value || node.value === lastSnapshot) return;
    lastSnapshot = node.value;
    var snapshot;
    try { snapshot = JSON.parse(node.value); } catch (e) { return; }
    shownSnapshot = snapshot;
    if (toRestore) {
      if (snapshot.event === "restore") {
        toRestore = null;
      } else {
        if (!restoreSent) {
          var restore = field("restore");
          if (!restore) { lastSnapshot = null; return; }
          restoreSent = true;
          typeInto(restore, JSON.stringify(toRestore));
        }
        return;
      }
    }
    save("conversation", snapshot);
    var pending = load("pending");
    if (pending && (questionsIn(snapshot) > pending.asked || !snapshot.history.length)) save("pending", null);
    afterRestore();
  }

  // After a reload asked for by "try again": the question again, once the conversation is back.
  var resumed = false;

  function afterRestore() {
    if (resumed) return;
    resumed = true;
    var retry = load("retry");
    var draft = load("draft");
    save("retry", null);
    var input = field("question");
    if (!input) return;
    if (retry && typeof retry.question === "string") {
      typeInto(input, retry.question);
      var send = document.querySelector("#send");
      if (send) setTimeout(function () { send.click(); }, 0);
    } else if (typeof draft === "string" && draft && !input.value) {
      typeInto(input, draft);
    }
    save("draft", null);
  }

  // The question being asked, from Enter, the send button or an example, until its answer.
  function asking(question) {
    question = (question || "").trim();
    save("draft", null);
    if (!question) return;
    save("pending", { question: question, asked: questionsIn(load("conversation")) });
  }

  // ------------------------------------------------------------------ the server gone
  var offline = null; // {state: "gone" | "starting" | "back", timer}

  // Gradio's own signs of a broken connection: its English toast, or the outputs of an event
  // whose stream broke badged "Error" (show_error is off: a server error never shows one).
  function gradioLostConnection() {
    var found = !!document.querySelector("[data-testid=status-tracker] .error");
    each(".toast-body", function (toast) {
      if (/Connection to the server was lost/.test(toast.textContent)) found = true;
    });
    return found;
  }

  function offlineBanner() {
    var banner = document.getElementById("chat-offline");
    if (banner) return banner;
    banner = document.createElement("div");
    banner.id = "chat-offline";
    banner.setAttribute("role", "alert");
    var text = document.createElement("p");
    var button = document.createElement("button");
    button.type = "button";
    button.id = "chat-retry";
    button.addEventListener("click", retry);
    banner.appendChild(text);
    banner.appendChild(button);
    var ask = document.getElementById("ask");
    if (ask && ask.parentNode) ask.parentNode.insertBefore(banner, ask.nextSibling);
    else document.body.appendChild(banner);
    return banner;
  }

  function showOffline(state) {
    var T = TEXT[language()] || TEXT.en;
    var banner = offlineBanner();
    var words = { gone: T.offline, starting: T.starting, back: T.back }[state];
    var text = banner.querySelector("p");
    if (text.textContent !== words) text.textContent = words;
    var button = banner.querySelector("button");
    if (button.textContent !== T.retry) button.textContent = T.retry;
  }

  function goOffline() {
    if (offline) return;
    offline = { state: "gone", timer: null };
    document.documentElement.classList.add("chat-offline");
    var pending = load("pending");
    var input = field("question");
    // The question is kept where it was typed.
    if (pending && input && !input.value) input.value = pending.question;
    showOffline("gone");
    offline.timer = setInterval(function () { probe(null); }, 2000);
  }

  // Is the server there? 200: back; 503: starting (the model or index still loading).
  function probe(then) {
    fetch("/api/health", { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      return r.status === 200 ? "back" : (r.status === 503 ? "starting" : "gone");
    }, function () { return "gone"; }).then(function (state) {
      if (!offline) return;
      offline.state = state;
      showOffline(state);
      if (then) then(state);
    });
  }

  // Gradio's connection is broken for good once lost: the page is loaded again, the
  // conversation comes back from sessionStorage and the question is asked again.
  function retry() {
    probe(function (state) {
      if (state !== "back") return;
      var input = field("question");
      var pending = load("pending");
      var question = (input && input.value.trim()) || (pending && pending.question) || "";
      save("retry", question ? { question: question } : null);
      save("pending", null);
      window.location.reload();
    });
  }

  function language() {
    var checked = document.querySelector("#language input[type=radio]:checked");
    var code = checked && checked.value;
    return LANGS.indexOf(code) >= 0 ? code : "en";
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function set(node, name, value) {
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  function apply() {
    scheduled = false;
    var lang = language();
    var T = TEXT[lang] || TEXT.en;
    set(document.documentElement, "lang", lang);
    if (document.title !== T.title) document.title = T.title;

    each("#chat [role=log]", function (log) {
      set(log, "aria-label", T.chat);
      // The finished answer is announced once by #announcer, not every streamed piece.
      set(log, "aria-live", "off");
      // It scrolls: reachable with Tab so that a keyboard can scroll it.
      set(log, "tabindex", "0");
    });
    each("#chat [data-testid=user], #chat [data-testid=bot]", function (message) {
      set(message, "role", "group");
      set(message, "aria-label", message.getAttribute("data-testid") === "user" ? T.question : T.answer);
    });
    each("#sources-panel .gr-accordion", function (source) {
      var header = source.querySelector("button.label-wrap");
      if (!header) return;
      set(header, "aria-expanded", header.classList.contains("open") ? "true" : "false");
      var icon = header.querySelector(".icon");
      if (icon) set(icon, "aria-hidden", "true");
      var code = LANGS.filter(function (c) { return source.classList.contains("lang-" + c); })[0];
      if (!code) return;
      var title = header.querySelector("span:not(.icon)");
      if (title) set(title, "lang", code);
      var passage = source.querySelector(".source-passage .container");
      if (passage) set(passage, "lang", code);
    });
    // The switch's and the examples' own languages (WCAG 3.1.2).
    each("#language input[type=radio]", function (radio) {
      var name = radio.parentNode.querySelector("span");
      if (name && LANGS.indexOf(radio.value) >= 0) set(name, "lang", radio.value);
    });
    each(".example-questions button", function (button) {
      var code = LANGS.filter(function (c) { return button.classList.contains("lang-" + c); })[0];
      if (code) set(button, "lang", code);
    });
    readSnapshot();
    markRefusals(T);
    if (!offline && gradioLostConnection()) goOffline();
    each("#status", function (region) {
      set(region, "role", "status");
      set(region, "aria-live", "polite");
    });
    announceAnswer();
    showWaiting(T);
    keepQuestionInView();
    // The clear button goes with the conversation: the focus goes back to the question.
    if (clearing && !document.querySelector("#chat [data-testid=user], #chat [data-testid=bot]")) {
      clearing = false;
      var input = field("question");
      if (input) input.focus();
    }
  }

  function scroller(node) {
    for (var up = node.parentElement; up; up = up.parentElement) {
      var overflow = getComputedStyle(up).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && up.scrollHeight > up.clientHeight) return up;
    }
    return null;
  }

  // Gradio's autoscroll is off (ui.py): a new question is brought to the top of the box (as
  // soon as the answer below it makes the box long enough) and the answer grows below it.
  function keepQuestionInView() {
    var asked = document.querySelectorAll("#chat [data-testid=user]");
    if (asked.length !== userCount) {
      userCount = asked.length;
      var last = asked[asked.length - 1];
      pendingQuestion = last ? last.closest(".message-row") || last : null;
    }
    if (!pendingQuestion || !pendingQuestion.isConnected) return;
    // On a phone the conversation has no box of its own (chat_style.py): the page scrolls.
    var box = scroller(pendingQuestion) || document.scrollingElement;
    var top = box === document.scrollingElement ? 0 : box.getBoundingClientRect().top;
    var offset = pendingQuestion.getBoundingClientRect().top - top - 8;
    var before = box.scrollTop;
    box.scrollTop += offset;
    // Done once it is at the top, or when the finished answer is too short to bring it there.
    var finished = document.querySelector("#copy-answer");
    if (Math.abs(offset) < 2 || (box.scrollTop === before && finished)) pendingQuestion = null;
  }

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(apply);
    }
  }

  function latestAnswer() {
    var answers = document.querySelectorAll("#chat [data-testid=bot]");
    return answers.length ? answers[answers.length - 1].innerText.trim() : "";
  }

  // The answer, then its sources as the panel shows them: "[1] [3] title" and the link.
  function answerWithSources(T) {
    var sources = (shownSnapshot && shownSnapshot.sources || []).map(function (source) {
      var link = /\]\((https?:\/\/[^)\s]+)\)/.exec(source.details || "");
      return source.label + (link ? "\n" + link[1] : "");
    });
    var text = latestAnswer();
    return sources.length ? text + "\n\n" + T.sources + ":\n" + sources.join("\n") : text;
  }

  // A refusal (its record in the snapshot) gets its own look and name, not an answer's.
  function markRefusals(T) {
    if (!shownSnapshot) return;
    var bots = document.querySelectorAll("#chat [data-testid=bot]");
    var k = 0;
    (shownSnapshot.history || []).forEach(function (message, i) {
      if (message.role !== "assistant") return;
      var node = bots[k++];
      if (!node) return;
      var record = (shownSnapshot.records || {})[String(i)];
      var refused = !!(record && record.refused);
      if (node.classList.contains("refusal") !== refused) node.classList.toggle("refusal", refused);
      if (refused) set(node, "aria-label", T.refusal);
    });
  }

  // The hidden announcer (#announcer, Gradio Markdown, display:none) holds the finished answer;
  // its text goes once into a plain live region, emptied a little later so that a screen
  // reader browsing the page does not meet the answer twice.
  var announced = "";
  var silence = null;
  function announceAnswer() {
    var source = document.querySelector("#announcer span.md"); // not its status tracker
    var text = source ? source.textContent.replace(/\s+/g, " ").trim() : "";
    if (text === announced) return;
    announced = text;
    if (!text) return;
    var region = liveRegion("chat-live");
    region.textContent = text;
    clearTimeout(silence);
    silence = setTimeout(function () { region.textContent = ""; }, 5000);
  }

  function liveRegion(id) {
    var region = document.getElementById(id);
    if (!region) {
      region = document.createElement("div");
      region.id = id;
      region.className = "sr-only";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    return region;
  }

  // While a question is answered (asked, and no finished reply's snapshot counts it yet) the
  // conversation is busy; until its first words, "searching" shows below it in the page's
  // language (not Gradio's timers; not live: the answer itself is announced).
  function showWaiting(T) {
    var asked = document.querySelectorAll("#chat [data-testid=user]").length;
    var busy = asked > questionsIn(shownSnapshot) && !offline;
    each("#chat [role=log]", function (log) { set(log, "aria-busy", busy ? "true" : "false"); });
    var messages = document.querySelectorAll("#chat [data-testid=user], #chat [data-testid=bot]");
    var last = messages[messages.length - 1];
    var waiting = busy && !!last && last.getAttribute("data-testid") === "user";
    var note = document.getElementById("chat-waiting");
    if (!waiting) {
      if (note) note.parentNode.removeChild(note);
      return;
    }
    var chat = document.getElementById("chat");
    if (!note) {
      note = document.createElement("p");
      note.id = "chat-waiting";
      chat.parentNode.insertBefore(note, chat.nextSibling);
    }
    if (note.textContent !== T.searching) note.textContent = T.searching;
  }

  function announce(text) {
    liveRegion("chat-js-status").textContent = text;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var copy = target && target.closest("#copy-answer");
    if (copy) {
      var T = TEXT[language()] || TEXT.en;
      navigator.clipboard.writeText(answerWithSources(T)).then(function () {
        copy.setAttribute("data-copied", T.copied);
        announce(T.copied);
        setTimeout(function () { copy.removeAttribute("data-copied"); }, 3000);
      }, function () { /* no clipboard (permissions): nothing was copied, nothing is said */ });
    }
    if (target && target.closest("#clear-chat")) clearing = true;
    if (target && target.closest("#send")) {
      var input = field("question");
      if (offline) {
        event.preventDefault();
        event.stopPropagation();
        retry();
      } else if (input) asking(input.value);
    }
    var example = target && target.closest(".example-questions button");
    if (example && !offline) asking(example.textContent);
  }, true);

  // Enter in the question field: while the server is gone it means "try again".
  document.addEventListener("keydown", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target || !target.closest("#question") || event.key !== "Enter" || event.isComposing) return;
    if (offline) {
      event.preventDefault();
      event.stopPropagation();
      retry();
    } else {
      asking(target.value);
    }
  }, true);

  // What is typed is kept too, until it is sent (a reload keeps it in the field).
  document.addEventListener("input", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("#question") && event.isTrusted) save("draft", target.value);
  });

  // A `[n]` in an answer links to its source (#source-k, chat_view.link_markers): the
  // source opens and its header takes the focus, so that the keyboard goes on from there.
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var link = target && target.closest("#chat a[href^='#source-']");
    var source = link && document.getElementById(link.getAttribute("href").slice(1));
    var header = source && source.querySelector("button.label-wrap");
    if (!header) return;
    event.preventDefault();
    if (!header.classList.contains("open")) header.click();
    header.focus();
  });

  new MutationObserver(schedule).observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ["class"]
  });
  document.addEventListener("change", schedule);
  schedule();
})();
