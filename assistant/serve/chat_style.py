"""How the chat looks: its CSS and the page's script tag (ui.py mounts them with its theme).

Colours are chosen for contrast in both themes: text 4.5:1 or more, controls and their
rings 3:1 or more against what is beside them (WCAG 1.4.3, 1.4.11); tests/test_layout_browser.py
measures them.
"""

from __future__ import annotations

CSS = """
#sources-panel .source-details p { margin: 0.2em 0; }
#sources-panel .source-passage .label { color: #1f2937 !important; }
#sources-panel .source-passage .text { word-break: normal; overflow-wrap: break-word; }
#sources-panel .label-wrap span { text-align: left; }
.example-questions button { white-space: normal; text-align: left; }
/* A focus ring of 3px, 3:1 or more against the page in light (blue-700) and dark (blue-300). */
:root { --focus-ring-color: #1d4ed8; }
.dark { --focus-ring-color: #93c5fd; }
.gradio-container :is(button, input, textarea, select, a, [tabindex]):focus-visible {
  outline: 3px solid var(--focus-ring-color) !important; outline-offset: 2px !important;
  transition: none !important; }  /* Gradio's buttons would fade the ring in */
/* Gradio's own trash button over the conversation says "Clear" in English: #clear-chat instead. */
#chat .top-panel { display: none !important; }
#answer-actions { align-items: center; gap: 8px; }
#answer-actions > * { flex: 0 0 auto; min-width: 0 !important; }
#answer-actions #status { flex: 1 1 12em; }
#copy-answer[data-copied]::after { content: " \\2713  " attr(data-copied); }
.sr-only { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
/* The conversation's snapshot for sessionStorage and the way back in: chat.js only. */
#kept { display: none !important; }
/* The finished answer for screen readers: chat.js reads its text into #chat-live. */
#announcer { display: none !important; }
/* Gradio's English timers ("processing | 0.9s", "queue: 1/1"), which its status trackers
   also put inside live regions, are never shown nor read out: chat.js says what is going on. */
[data-testid=status-tracker] { display: none !important; }
/* While the server cannot be reached chat.js says so in the page's language (#chat-offline):
   Gradio's English toast is not shown. */
.chat-offline .toast-wrap { display: none !important; }
#chat-offline { margin: 8px 0; padding: 10px 12px; border: 2px solid #b45309; border-radius: 8px;
  background: #fff7ed; color: #1f2937; display: flex; flex-wrap: wrap; gap: 8px 12px;
  align-items: center; }
.dark #chat-offline { background: #3a2a10; color: #f9fafb; border-color: #f59e0b; }
#chat-offline p { margin: 0; flex: 1 1 20em; }
#chat-offline button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 6px;
  border: 0; background: #c2410c; color: #fff; cursor: pointer; }
#chat-offline button:hover { background: #9a3412; }
/* The language and region controls fill their box: no empty grey beside them. */
#top > .form > .block { flex-grow: 1 !important; }
/* Waiting: no Gradio timers or fading over the page (show_progress="hidden" in ui.py), only
   the question's own bubble and "searching" below it (chat.js). */
#chat-waiting { margin: 4px 0; color: inherit; font-style: italic; }
/* A refusal (chat.js marks it): an amber rule and an icon, not an answer's plain bubble. */
#chat [data-testid=bot].refusal { border-left: 4px solid #b45309; padding-left: 10px; }
#chat [data-testid=bot].refusal::before { content: "\\26A0\\FE0E" / ""; float: left;
  margin-right: 6px; font-weight: 700; color: #b45309; }
.dark #chat [data-testid=bot].refusal { border-left-color: #f59e0b; }
.dark #chat [data-testid=bot].refusal::before { color: #f59e0b; }
#privacy-link { font-size: 0.9em; }
/* On a phone the page scrolls, not boxes inside it: the conversation grows with its answers,
   Gradio's ↓ button goes, the sources come right after the answer and the examples after
   them; before the first question neither the empty conversation nor the empty sources
   panel is shown, so that the question field and the examples are on the first screen. */
@media (max-width: 767px) {
  #top, #main { flex-direction: column; }
  #chat-column { display: contents; }
  #sources-panel { order: 2; }
  #examples { order: 3; }
  #privacy-link { order: 4; }
  #chat, #chat .bubble-wrap { height: auto !important; max-height: none !important;
    overflow: visible !important; }
  #chat .scroll-down-button-container { display: none !important; }
  #chat:not(:has([data-testid=user])), #main:not(:has(#chat [data-testid=bot])) #sources-panel {
    display: none !important; }
}
"""
# The page's own script (assistant/static/chat.js, served by the server at /chat.js): an
# external file, so that a Content-Security-Policy without inline scripts allows it.
HEAD = '<script src="/chat.js"></script>'
