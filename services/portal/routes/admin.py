"""Administrators: importing referrals from a spreadsheet (CSV) through intake's bulk import."""

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
