"""Administrators: importing referrals from a spreadsheet (CSV) through intake's bulk import, and a sample file in
the import layout to start from (intake's, as `frontdoor import-sample` writes it)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from schemas.views.referrals import ImportResult
from services.portal.deps import Admin, client, render

router = APIRouter()


@router.get("/admin/import", response_class=HTMLResponse)
async def import_page(request: Request, user: Admin) -> Response:
    return render(request, "import.html", result=None, errors=[])


@router.post("/admin/import", response_class=HTMLResponse)
async def import_file(request: Request, user: Admin) -> Response:
    form = await request.form()
    upload = form.get("file")
    content = await upload.read() if upload is not None and hasattr(upload, "read") else b""
    if not content:
        errors = [{"text": "Choose a CSV file to import", "href": "#file"}]
        return render(request, "import.html", 422, result=None, errors=errors)
    valid_only = "true" if form.get("mode") == "valid" else "false"
    result = await client(request, user).read(ImportResult, "intake", "POST", "/imports", content=content,
                                              params={"import_valid": valid_only}, headers={"Content-Type": "text/csv"})
    return render(request, "import.html", result=result, errors=[])


@router.get("/admin/import/sample.csv")
async def sample_file(request: Request, user: Admin) -> Response:
    """A sample import file: made-up children and referrers (sample NHS numbers), every column of the layout."""
    text = await client(request, user).call("intake", "GET", "/imports/sample")
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="front-door-import-sample.csv"'})
