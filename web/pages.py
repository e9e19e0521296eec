"""The four faces as web pages, served by the app itself: every script, style and font comes
from this origin (no CDN), and every response carries a Content-Security-Policy.

Pages are static HTML; each signs its user in (email and password, or a token), checks the role
with `GET /api/me` and talks to the same JSON API and socket.io server as any other client. The
customer widget is embedded on any site by one script tag (`/widget.js`), which opens `/chat` in
an iframe on this origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.language import DEFAULT, supported

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
NODE_MODULES = HERE / "node_modules"

# Browser libraries installed from npm at set-up (web/package.json), served under /vendor/.
VENDOR = {
    "socket.io.js": "socket.io-client/dist/socket.io.js",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "rasa-webchat.js": "rasa-webchat/lib/index.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",  # the API docs at /docs
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}

PAGES = {
    "/": "index.html",
    "/chat": "chat.html",
    "/console": "console.html",
    "/editor": "editor.html",
    "/dashboard": "dashboard.html",
    "/demo/rasa-webchat": "demo-rasa-webchat.html",
}

# The demo company page in each language: `/demo/site?lang=ja` is the Japanese demo shop's page,
# whose widget tag says `data-lang="ja"`; any other language gets the English company's page.
DEMO_SITES = {"en": "demo-site.html", "ja": "demo-site-ja.html"}

# Only pages meant to be embedded elsewhere may be framed by other sites.
EMBEDDABLE = {"/chat"}


def policy(path: str) -> str:
    frame = "*" if path in EMBEDDABLE else "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # rasa-webchat and Chart.js set inline style attributes; scripts stay strict.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame}",
        ]
    )


class SecurityHeaders:
    """Pure ASGI, so it adds its headers as the response starts without wrapping each request
    in the extra task and stream starlette's BaseHTTPMiddleware costs on every API call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(("/docs", "/redoc")):
            await self.app(scope, receive, send)  # Swagger UI starts with an inline script
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy(path))
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if path.startswith("/api/"):  # tokens, customers' words: kept by no cache
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


router = APIRouter(include_in_schema=False)


def _page(name: str):
    async def page() -> FileResponse:
        return FileResponse(STATIC / name, media_type="text/html")

    return page


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"])


@router.get("/demo/site")
async def demo_site(lang: str | None = None) -> FileResponse:
    name = DEMO_SITES.get(supported(lang) or DEFAULT, DEMO_SITES[DEFAULT])
    return FileResponse(STATIC / name, media_type="text/html")


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


@router.get("/widget.js")
async def widget_script() -> FileResponse:
    """The one script a company puts on its pages to embed the chat widget."""
    return FileResponse(STATIC / "widget" / "embed.js", media_type="text/javascript")


@router.get("/vendor/{name}")
async def vendor(name: str) -> FileResponse:
    if name not in VENDOR:
        raise HTTPException(404, f"no vendored file named {name!r}")
    path = NODE_MODULES / VENDOR[name]
    if not path.is_file():
        raise HTTPException(503, f"{name} is not installed: run `make setup` (npm install in web/)")
    return FileResponse(path, media_type="text/css" if name.endswith(".css") else "text/javascript")


@router.get("/docs")
async def api_docs() -> HTMLResponse:
    """FastAPI's interactive API docs (Swagger UI), its files served from here, not a CDN: they
    work on a network with no way out."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Cascade API",
        swagger_js_url="/vendor/swagger-ui-bundle.js",
        swagger_css_url="/vendor/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
    )


def mount(app: FastAPI) -> None:
    from web.words import router as words_router

    app.add_middleware(SecurityHeaders)
    app.include_router(router)
    app.include_router(words_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
