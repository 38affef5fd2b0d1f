"""The Gradio chat: layout and event wiring only; what it shows comes from assistant.chat_view.

`build_demo(service)` returns Blocks for `gr.mount_gradio_app(app, demo, "/", **MOUNT_OPTIONS)`
(Gradio 6 takes the theme and CSS at mount or launch time, not in the Blocks constructor).
`python ui.py` serves the product.
"""

from __future__ import annotations

import importlib.util

import gradio as gr

from assistant import chat_view as view
from assistant.config import Settings
from assistant.service import Assistant

# System fonts only: the default theme would fetch Google Fonts.
THEME = gr.themes.Default(font=[gr.themes.Font("system-ui"), "sans-serif"],
                          font_mono=[gr.themes.Font("ui-monospace"), "monospace"])
CSS = """
#sources-panel .source-details p { margin: 0.2em 0; }
#sources-panel .source-passage .label { color: #1f2937 !important; }
#sources-panel .source-passage .text { word-break: normal; overflow-wrap: break-word; }
#sources-panel .label-wrap span { text-align: left; }
.example-questions button { white-space: normal; text-align: left; }
"""
# Pass to gr.mount_gradio_app(...) or demo.launch(...): no share link, no node server, no
# third-party links in the footer, no MCP or PWA endpoints, no monitoring, no run history,
# no uploads, and errors never shown to the browser (the server's guard, api_guard.py, also
# keeps every route the chat does not use away from Gradio).
MOUNT_OPTIONS = {"theme": THEME, "css": CSS, "footer_links": [], "ssr_mode": False,
                 "pwa": False, "mcp_server": False, "enable_monitoring": False,
                 "run_history": False, "max_file_size": 1, "show_error": False}
# Events waiting for their turn; a join beyond them is refused (busy), not queued for ever.
QUEUE_SIZE = 64
DEFAULT_CONCURRENCY = Settings.model_fields["chat_concurrency"].default
QUOTE_COLORS = {view.labels(code)["quote"]: "#fde68a" for code in view.LANGUAGES}


def _header(words: dict[str, str]) -> str:
    return f"# {words['title']}\n{words['intro']}"


def build_demo(service: Assistant, concurrency: int = DEFAULT_CONCURRENCY) -> gr.Blocks:
    """The chat; `concurrency` answers are computed at once (settings.chat_concurrency)."""
    words = view.labels(view.DEFAULT_LANGUAGE)
    with gr.Blocks(title=words["title"], analytics_enabled=False) as demo:
        language = gr.State(view.DEFAULT_LANGUAGE)
        records = gr.State({})
        header = gr.Markdown(_header(words), elem_id="header")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label=words["chat"], elem_id="chat", height=480, render_markdown=True,
                    sanitize_html=True, latex_delimiters=[], allow_tags=False,
                    line_breaks=True, feedback_options=("Like", "Dislike"),
                    buttons=["copy", "copy_all"],
                )
                with gr.Row():
                    question = gr.Textbox(label=words["question"],
                                          placeholder=words["placeholder"], lines=1,
                                          max_lines=1, scale=5, elem_id="question")
                    send = gr.Button(words["send"], variant="primary", scale=1,
                                     elem_id="send")
                examples_heading = gr.Markdown(f"**{words['examples']}**")
                with gr.Row(elem_classes=["example-questions"]):
                    examples = [gr.Button(text, size="sm", elem_classes=["example"])
                                for text in view.EXAMPLES]
                status = gr.Markdown("", elem_id="status")
            with gr.Column(scale=2, elem_id="sources-panel"):
                sources_heading = gr.Markdown(f"## {words['sources']}")
                sources_empty = gr.Markdown(words["no_sources"])
                slots = []
                for i in range(view.MAX_SOURCES):
                    with gr.Accordion("", open=False, visible=False,
                                      elem_id=f"source-{i + 1}") as accordion:
                        details = gr.Markdown(elem_classes=["source-details"])
                        passage = gr.HighlightedText(
                            label=words["passage"], show_legend=False,
                            show_inline_category=True, combine_adjacent=True,
                            color_map=QUOTE_COLORS, interactive=False,
                            elem_classes=["source-passage"],
                        )
                    slots.append((accordion, details, passage))

        outputs = [question, chatbot, send, header, examples_heading, sources_heading,
                   sources_empty, status, records, language,
                   *[c for slot in slots for c in slot]]

        def render(reply: view.Reply, clear_question: bool) -> list:
            words = view.labels(reply.language)
            updates = [
                gr.update(value="", label=words["question"], placeholder=words["placeholder"])
                if clear_question else gr.update(),
                gr.update(value=reply.history, label=words["chat"]),
                gr.update(value=words["send"]),
                gr.update(value=_header(words)),
                gr.update(value=f"**{words['examples']}**"),
                gr.update(value=f"## {words['sources']}"),
                gr.update(value=words["no_sources"], visible=not reply.sources),
                gr.update(value="") if clear_question else gr.update(),
                reply.records,
                reply.language,
            ]
            for i, (accordion, details, passage) in enumerate(slots):
                if i < len(reply.sources):
                    source = reply.sources[i]
                    updates += [gr.update(label=source.label, visible=True, open=False),
                                gr.update(value=source.details),
                                gr.update(value=list(source.segments), label=words["passage"])]
                else:
                    updates += [gr.update(visible=False), gr.update(value=""),
                                gr.update(value=None)]
            return updates

        def answer(text, history, session_records, current_language):
            first = True
            for reply in view.respond(service, text, history, session_records,
                                      current_language):
                yield render(reply, first)
                first = False

        def feedback(session_records, current_language, data: gr.LikeData):
            return view.give_feedback(session_records, data.index, data.liked, current_language)

        # The send button, Enter and the examples share `concurrency` answers at once. The
        # concurrency_id also names the budget the guard charges (chat_routes.BUDGETS).
        event = {"outputs": outputs, "api_visibility": "private", "show_progress": "minimal",
                 "concurrency_id": "answer", "concurrency_limit": concurrency}
        question.submit(answer, [question, chatbot, records, language], **event)
        send.click(answer, [question, chatbot, records, language], **event)
        for button in examples:
            button.click(answer, [button, chatbot, records, language], **event)
        chatbot.like(feedback, [records, language], [status], api_visibility="private",
                     concurrency_id="feedback")
        chatbot.clear(lambda current_language: render(view.Reply([], current_language, {}), True),
                      [language], outputs, api_visibility="private")
    demo.queue(max_size=QUEUE_SIZE)
    return demo


def main() -> None:
    if importlib.util.find_spec("assistant.server") is not None:
        from assistant.server import run

        run()
    else:
        build_demo(Assistant(Settings())).launch(server_name="127.0.0.1", share=False,
                                                 **MOUNT_OPTIONS)


if __name__ == "__main__":
    main()
