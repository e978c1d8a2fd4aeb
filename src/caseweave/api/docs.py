"""The API's documentation pages (Swagger UI at /docs, ReDoc at /redoc), served with their assets
from this server: they work offline and no request leaves the machine. The assets are those of the
pinned fastapi-offline package (Swagger UI 5, ReDoc 2); each page's Content-Security-Policy allows
only what it loads from here.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from caseweave.errors import NotFound

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSET_PATH = "/docs/assets"
_MEDIA_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
_BASE_POLICY = (
    "default-src 'none'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# Checked in headless Chromium: Swagger UI loads with no policy violation; ReDoc writes <style>
# tags (styled-components) and searches in a blob: worker. ReDoc's footer logo, which it would fetch
# from Redocly's CDN, is blocked by img-src, so nothing leaves the machine.
PAGE_POLICIES = {
    "/docs": f"{_BASE_POLICY}; style-src 'self'",
    "/redoc": f"{_BASE_POLICY}; style-src 'self' 'unsafe-inline'; worker-src blob:",
}

# An inline script would need 'unsafe-inline' (or a hash) in script-src; this one is a file.
_SWAGGER_INIT = """\
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""

_SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API</title>
<link rel="icon" href="{assets}/favicon.png"><link rel="stylesheet" href="{assets}/swagger-ui.css">
</head><body><div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script><script src="{assets}/swagger-init.js"></script>
</body></html>
"""

_REDOC_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – API reference</title>
<link rel="icon" href="{assets}/favicon.png"></head>
<body><redoc spec-url="{openapi}"></redoc><script src="{assets}/redoc.standalone.js"></script></body></html>
"""


def install(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets (create the app with docs_url=None, redoc_url=None)."""

    def page(request: Request, template: str) -> HTMLResponse:
        root = str(request.scope.get("root_path", ""))
        return HTMLResponse(
            template.format(
                title=escape(app.title),
                assets=escape(root + ASSET_PATH),
                openapi=escape(root + (app.openapi_url or "/openapi.json")),
            )
        )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return page(request, _SWAGGER_PAGE)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return page(request, _REDOC_PAGE)

    @app.get(f"{ASSET_PATH}/{{name}}", include_in_schema=False)
    async def asset(name: str) -> Response:
        cache = {"Cache-Control": "public, max-age=86400"}  # code, not data: browsers may keep it
        if name == "swagger-init.js":
            return Response(_SWAGGER_INIT, media_type="text/javascript", headers=cache)
        if name not in _MEDIA_TYPES:
            raise NotFound(f"no documentation asset {name!r}", field="name")
        return FileResponse(ASSETS / name, media_type=_MEDIA_TYPES[name], headers=cache)
