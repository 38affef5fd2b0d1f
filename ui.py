"""The Gradio chat, and the only module that knows Gradio: the Blocks, their events,
`gr.Request` and the session's `gr.State`. A question's turn is `chat_turn.respond`, what it
shows `chat_view`, what the browser keeps `chat_kept`: plain functions, tested without Gradio.

`build_demo(service, feedback)` returns Blocks for `gr.mount_gradio_app(app, demo, "/",
**MOUNT_OPTIONS)` (Gradio 6 takes the theme and CSS at mount or launch time, not in the
Blocks constructor). `python ui.py` serves the product.
"""

from __future__ import annotations

import importlib.util

import gradio as gr

from assistant.serve import chat_kept
from assistant.serve import chat_view as view
from assistant.serve.chat_turn import Reply, respond
from assistant.serve.chat_feedback import give_feedback
from assistant.serve.chat_routes import OVER_BUDGET
from assistant.serve.feedback_log import FeedbackLog
from assistant.serve.chat_style import CSS, HEAD
from assistant.serve.api_messages import preferred_language
from assistant.answer.catalogue import ENDONYMS
from assistant.config import Settings
from assistant.service import Assistant
from assistant.wiring import build_assistant

# Gradio's theme, in the contrasts chat_style's CSS keeps (WCAG 1.4.3, 1.4.11). System fonts
# only: the default theme would fetch Google Fonts.
# The primary button is orange-700 (white text 5.2:1), not the default orange-500 (2.8:1).
THEME = gr.themes.Default(font=[gr.themes.Font("system-ui"), "sans-serif"],
                          font_mono=[gr.themes.Font("ui-monospace"), "monospace"]).set(
    button_primary_background_fill="#c2410c", button_primary_background_fill_dark="#c2410c",
    button_primary_background_fill_hover="#9a3412",
    button_primary_background_fill_hover_dark="#9a3412",
    button_primary_border_color="#c2410c", button_primary_border_color_dark="#c2410c",
    button_primary_text_color="#ffffff", button_primary_text_color_dark="#ffffff",
    # Radio rings: gray-500 on white 4.8:1, zinc-400 on the dark label 6.5:1; the picked one
    # orange-700 (5.2:1) and orange-400 in dark mode (6.9:1), not orange-500 (2.8:1).
    checkbox_border_color="#6b7280", checkbox_border_color_dark="#a1a1aa",
    checkbox_background_color_selected="#c2410c",
    checkbox_background_color_selected_dark="#fb923c",
    checkbox_border_color_selected="#c2410c", checkbox_border_color_selected_dark="#fb923c",
    # Links in dark mode: blue-300 (10:1), not blue-500 (4.0:1).
    link_text_color_dark="#93c5fd", link_text_color_visited_dark="#93c5fd",
    link_text_color_hover_dark="#bfdbfe", link_text_color_active_dark="#bfdbfe")

# Pass to gr.mount_gradio_app(...) or demo.launch(...): no share link, no node server, no
# third-party links in the footer, no MCP or PWA endpoints, no monitoring, no run history,
# no uploads, and errors never shown to the browser (the server's guard, api_guard.py, also
# keeps every route the chat does not use away from Gradio).
MOUNT_OPTIONS = {"theme": THEME, "css": CSS, "head": HEAD, "footer_links": [], "ssr_mode": False,
                 "pwa": False, "mcp_server": False, "enable_monitoring": False,
                 "run_history": False, "max_file_size": 1, "show_error": False}
# Events waiting for their turn; a join beyond them is refused (busy), not queued for ever.
QUEUE_SIZE = 64
QUOTE_COLORS = {view.labels(code)["quote"]: "#fde68a" for code in view.LANGUAGES}


NO_VALUE = object()  # an update that leaves the component's value as it is


def _update(props_sent: dict, component: gr.components.Component | gr.Accordion, props: dict,
            value=NO_VALUE):
    """The cheapest output Gradio takes for `component`: its bare value when the browser
    already has these props, `gr.update(...)` only when they change.

    Gradio builds a new component and its whole config for every gr.update, gr.skip()
    included; across the page's 40-odd outputs that cost a chat answer more CPU than the
    search itself (py-spy under benchmarks/load.py). `props_sent` is the session's record.
    """
    if props_sent.get(component._id) == props:
        return gr.skip() if value is NO_VALUE else value
    props_sent[component._id] = props
    return gr.update(**props) if value is NO_VALUE else gr.update(**props, value=value)


def _header(words: dict[str, str]) -> str:
    return f"# {words['title']}\n{words['intro']}"


def _privacy_link(words: dict[str, str], language: str) -> str:
    return f"[{words['privacy']}](/privacy?lang={language})"


def build_demo(service: Assistant, feedback: FeedbackLog) -> gr.Blocks:
    """The chat, by the app's settings (`service.settings`); its votes go to `feedback`, the
    app's one FeedbackLog."""
    settings = service.settings
    words = view.labels(view.DEFAULT_LANGUAGE)
    with gr.Blocks(title=words["title"], analytics_enabled=False) as demo:
        language = gr.State(view.DEFAULT_LANGUAGE)
        chosen = gr.State(None)  # the language picked with the switch, if any
        records = gr.State({})
        turns = gr.State([])  # the session's Turns, what a follow-up reads (chat_turn.respond)
        shown = gr.State(None)  # the latest Answer: its sources again in another language
        with gr.Row(elem_id="top", equal_height=False):
            header = gr.Markdown(_header(words), elem_id="header")
            switch = gr.Radio([(name, code) for code, name in ENDONYMS.items()],
                              value=view.DEFAULT_LANGUAGE, label=words["language"],
                              elem_id="language", scale=0, min_width=260)
            # Only this region's documents (and the European ones); refusals refer there.
            region = gr.Dropdown(view.region_choices(view.DEFAULT_LANGUAGE),
                                 value=view.ALL_REGIONS, label=words["region"], elem_id="region",
                                 filterable=False, scale=0, min_width=200)
        with gr.Row(equal_height=False, elem_id="main"):
            with gr.Column(scale=3, elem_id="chat-column"):
                # No label: Gradio floats it over the first line. Gradio's copy, like and
                # clear buttons speak English only: ours below come from the catalogue.
                # No autoscroll: chat.js keeps the question and the answer's start in view.
                chatbot = gr.Chatbot(
                    show_label=False, elem_id="chat", height="min(480px, 62vh)",
                    autoscroll=False, render_markdown=True, sanitize_html=True,
                    latex_delimiters=[], allow_tags=False, line_breaks=True,
                    feedback_options=None, buttons=[],
                )
                with gr.Row(elem_id="ask"):
                    question = gr.Textbox(label=words["question"],
                                          placeholder=words["placeholder"], lines=1,
                                          max_lines=1, scale=5, elem_id="question")
                    send = gr.Button(words["send"], variant="primary", scale=1,
                                     elem_id="send")
                with gr.Row(elem_id="answer-actions"):
                    useful = gr.Markdown(words["useful"], visible=False, elem_id="useful")
                    like = gr.Button(words["like"], size="sm", visible=False,
                                     elem_id="feedback-up")
                    dislike = gr.Button(words["dislike"], size="sm", visible=False,
                                        elem_id="feedback-down")
                    copy = gr.Button(words["copy"], size="sm", visible=False,
                                     elem_id="copy-answer")
                    clear = gr.Button(words["clear"], size="sm", visible=False,
                                      elem_id="clear-chat")
                    status = gr.Markdown("", elem_id="status")
                # The finished answer, never shown: chat.js reads its text out once.
                announcer = gr.Markdown("", elem_id="announcer")
                with gr.Column(elem_id="examples"):
                    examples_heading = gr.Markdown(f"**{words['examples']}**")
                    with gr.Row(elem_classes=["example-questions"]):
                        # Each marked with its own language (chat.js sets `lang`).
                        examples = [gr.Button(text, size="sm", elem_classes=[
                                        "example", f"lang-{view.ui_language(text)}"])
                                    for text in view.EXAMPLES]
                privacy = gr.Markdown(_privacy_link(words, view.DEFAULT_LANGUAGE),
                                      elem_id="privacy-link")
                with gr.Column(elem_id="kept"):
                    # chat.js keeps `snapshot` in sessionStorage and gives it back to `restore`
                    # after a reload (chat_kept.snapshot / chat_kept.kept).
                    snapshot = gr.Textbox(label="snapshot", elem_id="snapshot",
                                          interactive=False, max_lines=1)
                    restore = gr.Textbox(label="restore", elem_id="restore", max_lines=1)
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

        # The props each component was last sent in this session (component id -> props).
        sent = gr.State({})
        outputs = {question, chatbot, send, header, switch, region, examples_heading, privacy,
                   sources_heading,
                   sources_empty, useful, like, dislike, copy, clear, status, announcer,
                   records, turns, language, shown, sent, snapshot,
                   *[c for slot in slots for c in slot]}

        def render(reply: Reply, clear_question: bool, props_sent: dict | None,
                   announce: bool = True, chosen_language: str | None = None,
                   area: str | None = None, event: str = "answer") -> dict:
            """Every output for `reply`; `announce`: give the announcer the finished answer
            (False for a relabelling: the same answer is not read out again). A finished
            reply also sends the snapshot the browser keeps (with the language picked,
            `chosen_language`, and the region, `area`)."""
            words = view.labels(reply.language)
            answered = reply.answered
            props_sent = dict(props_sent or {})

            def update(component, value=NO_VALUE, **props):
                return _update(props_sent, component, props, value)

            updates = {
                question: update(question, "" if clear_question else NO_VALUE,
                                 label=words["question"], placeholder=words["placeholder"]),
                chatbot: reply.history,
                send: words["send"],
                header: _header(words),
                switch: update(switch, reply.language, label=words["language"]),
                region: update(region, label=words["region"],
                               choices=view.region_choices(reply.language)),
                examples_heading: f"**{words['examples']}**",
                privacy: _privacy_link(words, reply.language),
                sources_heading: f"## {words['sources']}",
                sources_empty: update(sources_empty, words["no_sources"],
                                      visible=not reply.sources),
                useful: update(useful, words["useful"], visible=answered),
                like: update(like, words["like"], visible=answered),
                dislike: update(dislike, words["dislike"], visible=answered),
                copy: update(copy, words["copy"], visible=answered),
                clear: update(clear, words["clear"], visible=bool(reply.history)),
                status: "" if clear_question else gr.skip(),
                announcer: (gr.skip() if not announce
                            else view.announcement(reply.history[-1]) if answered else ""),
                records: reply.records,
                turns: reply.turns,
                language: reply.language,
                shown: reply.answer if reply.final else gr.skip(),
                snapshot: (chat_kept.snapshot(reply.history, reply.records, reply.turns,
                                              reply.language, chosen_language, area,
                                              reply.sources, event)
                           if reply.final or event == "start" else gr.skip()),
            }
            for i, (accordion, details, passage) in enumerate(slots):
                source = reply.sources[i] if i < len(reply.sources) else None
                if source is not None:
                    updates[accordion] = update(accordion, label=source.label, visible=True,
                                                open=False,
                                                elem_classes=[f"lang-{source.language}"])
                    updates[details] = source.details
                    updates[passage] = update(passage, list(source.segments),
                                              label=words["passage"])
                else:
                    updates[accordion] = update(accordion, visible=False)
                    updates[details] = ""
                    updates[passage] = update(passage, None, label=words["passage"])
            updates[sent] = props_sent
            return updates

        def answer(text, history, session_records, current_language, chosen_language, area,
                   props_sent, session_turns, request: gr.Request):
            first = True
            for reply in respond(service, text, history, session_records, session_turns,
                                 current_language, chosen_language, view.region_filter(area),
                                 getattr(request.state, OVER_BUDGET, None),
                                 settings.max_history_turns):
                # The first reply hides the previous answer's buttons and clears the question.
                updates = render(reply, first, props_sent, chosen_language=chosen_language,
                                 area=area)
                props_sent, first = updates[sent], False
                yield updates

        def start(request: gr.Request) -> dict:
            """Before any question: the browser's language (Accept-Language)."""
            return render(Reply([], preferred_language(request.headers), {}), False, None,
                          event="start")

        def choose(code, history, session_records, session_turns, answer_shown, area,
                   props_sent) -> dict:
            """The switch: this language from now on, for the labels and the answers. Sources
            kept from before a reload (a list of views, not an Answer) stay as they are."""
            answer = answer_shown if isinstance(answer_shown, view.Answer) else None
            sources = (view.source_views(answer, code) if answer is not None
                       else list(answer_shown or []))
            reply = Reply(history or [], code, session_records or {}, session_turns or [],
                          sources, final=True, answer=answer)
            return {**render(reply, False, props_sent, announce=False, chosen_language=code,
                             area=area, event="choose"),
                    chosen: code, shown: answer_shown}

        def come_back(text, props_sent, request: gr.Request) -> dict:
            """The conversation the browser kept (chat.js, after a reload), shown again as it
            was, without reading the last answer out again; nothing usable: the empty chat."""
            kept = chat_kept.kept(text)
            if kept is None:
                return render(Reply([], preferred_language(request.headers), {}, final=True),
                              False, props_sent, event="restore")
            reply = Reply(kept.history, kept.language, kept.records, kept.turns, kept.sources,
                          final=True)
            words = view.labels(kept.language)
            return {**render(reply, False, props_sent, announce=False,
                             chosen_language=kept.chosen, area=kept.region, event="restore"),
                    chosen: kept.chosen, shown: kept.sources,
                    region: gr.update(value=kept.region, label=words["region"],
                                      choices=view.region_choices(kept.language))}

        def vote(liked: bool):
            def handler(session_records, current_language) -> str:
                index = view.last_answer_index(session_records)
                return give_feedback(feedback, session_records, index, liked, current_language,
                                     with_question=settings.feedback_store_questions)
            return handler

        # The send button, Enter and the examples share settings.chat_concurrency answers at once. The
        # concurrency_id also names the budget the guard charges (chat_routes.BUDGETS).
        event = {"outputs": outputs, "api_visibility": "private", "show_progress": "hidden",
                 "concurrency_id": "answer", "concurrency_limit": settings.chat_concurrency}
        asked = [chatbot, records, language, chosen, region, sent, turns]
        question.submit(answer, [question, *asked], **event)
        send.click(answer, [question, *asked], **event)
        for button in examples:
            button.click(answer, [button, *asked], **event)
        like.click(vote(True), [records, language], [status], api_visibility="private",
                   concurrency_id="feedback")
        dislike.click(vote(False), [records, language], [status], api_visibility="private",
                      concurrency_id="feedback")
        clear.click(lambda current_language, chosen_language, area, props_sent: render(
                        Reply([], current_language, {}, final=True), True, props_sent,
                        chosen_language=chosen_language, area=area, event="clear"),
                    [language, chosen, region, sent], outputs, api_visibility="private",
                    show_progress="hidden")
        # Relabelling is instant: no pending state dimming the whole page meanwhile.
        switch.input(choose, [switch, chatbot, records, turns, shown, region, sent],
                     outputs | {chosen},
                     api_visibility="private", show_progress="hidden")
        restore.change(come_back, [restore, sent], outputs | {chosen}, api_visibility="private",
                      show_progress="hidden")
        demo.load(start, None, outputs, api_visibility="private", show_progress="hidden")
    demo.queue(max_size=QUEUE_SIZE)
    return demo


def mount(app, service: Assistant, feedback: FeedbackLog) -> gr.Blocks:
    """The chat built and mounted on `app` (the product's FastAPI app) at `/`; its Blocks."""
    demo = build_demo(service, feedback)
    gr.mount_gradio_app(app, demo, path="/", **MOUNT_OPTIONS)
    return demo


def main() -> None:
    if importlib.util.find_spec("assistant.serve.server") is not None:
        from assistant.serve.server import run

        run()
    else:
        settings = Settings()
        build_demo(build_assistant(settings), FeedbackLog(settings.feedback_dir)).launch(
            server_name="127.0.0.1", share=False, **MOUNT_OPTIONS)


if __name__ == "__main__":
    main()
