"""One web app: the API (/api, /v1), the widget (/widget.js, /demo), the docs and the chat (/)."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

from fastapi import FastAPI, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from .api import Readiness, install_api
from .catalogue import widget_script
from .config import Settings
from .official_pages import install_official_pages
from .service import LANGUAGES, Assistant

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
UI_FILE = Path(__file__).resolve().parent.parent / "ui.py"  # the Gradio chat, beside the package


def create_app(settings: Settings, service: Assistant | None = None, *,
               with_ui: bool = True) -> FastAPI:
    """The app `assistant serve` runs. The model and the index load in the background at
    start-up (`/api/health` says 503 until they are ready); the chat is mounted at `/` when
    `ui.py` (the Gradio chat) exists and `with_ui` is true. API limits and origins come from
    the service's settings."""
    service = service or Assistant(settings)
    settings = service.settings
    readiness = Readiness(service.pipeline)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        readiness.start()
        yield

    app = FastAPI(
        title="Housing knowledge-base assistant",
        description="Answers questions on cooperative, collaborative and social housing from a "
                    "curated knowledge base (NL/FR/EN), quoting the documents with numbered sources.",
        version="0.1.0",
        docs_url=None,  # Swagger UI loads assets from a CDN; /api/docs below is self-contained
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )

    @app.get("/api/docs", include_in_schema=False)  # before the API's catch-all for /api/*
    def docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", media_type="text/html; charset=utf-8")

    install_api(app, service, readiness)

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        """The widget with its texts from the catalogue written in."""
        return Response(widget_script(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Cross-Origin-Resource-Policy": "cross-origin"})

    @app.get("/demo", include_in_schema=False)
    def demo(lang: str = Query("nl")) -> HTMLResponse:
        """A demo portal page that embeds the widget with one script tag (`?lang=fr|en|nl`)."""
        lang = lang if lang in LANGUAGES else "nl"
        page = (STATIC_DIR / "demo.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("{{lang}}", lang))

    service.insight = install_official_pages(app, settings)  # /privacy, /insight; answers counted

    if with_ui:
        _mount_ui(app, service)
    return app


def load_ui() -> ModuleType | None:
    """The `ui` module (imported lazily: Gradio is slow to import), or None if there is none."""
    if "ui" in sys.modules:
        return sys.modules["ui"]
    if UI_FILE.exists():  # `assistant serve` runs from a console script: ui.py is not on sys.path
        spec = importlib.util.spec_from_file_location("ui", UI_FILE)
        module = importlib.util.module_from_spec(spec)
        sys.modules["ui"] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["ui"]
            raise
        return module
    try:
        return importlib.import_module("ui")
    except ModuleNotFoundError as error:
        if error.name != "ui":
            raise
        return None


def _mount_ui(app: FastAPI, service: Assistant) -> None:
    """Mount the Gradio chat at `/` (last: it catches every path the routes above leave)."""
    ui = load_ui()
    if ui is None:
        logger.warning("ui.py not found: the chat is not mounted at /")
        return
    import gradio as gr

    gr.mount_gradio_app(app, ui.build_demo(service), path="/", **getattr(ui, "MOUNT_OPTIONS", {}))


def run(host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None) -> None:
    """Serve everything with uvicorn (blocks until interrupted)."""
    import uvicorn

    settings = settings or Settings()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
