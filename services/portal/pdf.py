"""PDFs of the portal's printed pages (the referral summary, the DSR meeting pack), made with WeasyPrint from the
same HTML as the page to print. WeasyPrint fetches nothing over the network: the stylesheet is the portal's own file,
served to it from disk by `OwnFiles`, which refuses every other address (a link, an image, a font anywhere else)."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from pathlib import Path
from typing import Any

from services.portal.pages import HERE

APP_ASSETS = (HERE / "static").resolve()
BASE = "https://portal.invalid/"  # the documents' base address: never fetched, only mapped onto APP_ASSETS
OWN = BASE + "app-assets/"
QUIET = ("weasyprint", "fontTools")


def own_file(url: str) -> Path | None:
    """The portal's own static file an address names (`https://portal.invalid/app-assets/printed.css`); None for
    any other address, or one that steps outside the folder."""
    if not url.startswith(OWN):
        return None
    path = (APP_ASSETS / url.removeprefix(OWN).split("?")[0]).resolve()
    return path if path.is_relative_to(APP_ASSETS) and path.is_file() else None


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - loaded when a PDF is first made

    class OwnFiles(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = own_file(url)
            if path is None:
                raise ValueError("a printed page fetches nothing but the portal's own files")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    return OwnFiles()


def render_pdf(html: str) -> bytes:
    """`html` (a whole document whose stylesheets are /app-assets/ files) as a PDF (blocking: CPU-bound)."""
    from weasyprint import HTML  # noqa: PLC0415 - pango is loaded only by a portal that prints

    for name in QUIET:  # their warnings may quote the document (a child's details): only errors, never its words
        logging.getLogger(name).setLevel(logging.ERROR)
    pdf: bytes = HTML(string=html, base_url=BASE, url_fetcher=_fetcher()).write_pdf()
    return pdf


async def pdf_of(html: str) -> bytes:
    return await asyncio.to_thread(render_pdf, html)
