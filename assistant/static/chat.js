/*
 * The Gradio chat's own script (served at /chat.js, loaded through ui.HEAD): what Gradio's
 * components cannot say themselves. It keeps <html lang> and the title in the language the
 * switch shows, names the conversation and its messages in that language (instead of
 * Gradio's English aria-labels), marks source headers expanded or not and gives titles and
 * passages their document's lang, makes the status lines live regions, copies the latest
 * answer, and keeps the latest question at the top of the conversation while it is answered.
 * It only reads and decorates Gradio's DOM; every event still goes through Gradio.
 */
(function () {
  "use strict";

  // {nl: {...}, fr: {...}, en: {...}}: the chat's texts, written here by the server.
  var TEXT = /*@catalogue*/{};
  var LANGS = ["nl", "fr", "en"];
  var userCount = 0;
  var scheduled = false;
  var clearing = false;
  var pendingQuestion = null;

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
    each("#status, #announcer", function (region) {
      set(region, "role", "status");
      set(region, "aria-live", "polite");
    });
    keepQuestionInView();
    // The clear button goes with the conversation: the focus goes back to the question.
    if (clearing && !document.querySelector("#chat [data-testid=user], #chat [data-testid=bot]")) {
      clearing = false;
      var input = document.querySelector("#question input, #question textarea");
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
    var box = scroller(pendingQuestion);
    if (!box) return;
    var offset = pendingQuestion.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
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

  function announce(text) {
    var region = document.getElementById("chat-js-status");
    if (!region) {
      region = document.createElement("div");
      region.id = "chat-js-status";
      region.className = "sr-only";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    region.textContent = text;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var copy = target && target.closest("#copy-answer");
    if (copy) {
      var T = TEXT[language()] || TEXT.en;
      navigator.clipboard.writeText(latestAnswer()).then(function () {
        copy.setAttribute("data-copied", T.copied);
        announce(T.copied);
        setTimeout(function () { copy.removeAttribute("data-copied"); }, 3000);
      }, function () { /* no clipboard (permissions): nothing was copied, nothing is said */ });
    }
    if (target && target.closest("#clear-chat")) clearing = true;
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
