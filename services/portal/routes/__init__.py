"""The portal's pages, one router per area. Their order is the order paths are matched in."""

from services.portal.routes import (
    admin,
    advice,
    assignments,
    children,
    dsr,
    front_door,
    notes,
    printing,
    public,
    referrer,
    register,
    reports,
    search,
    sign_in,
    whatif,
    worker,
)

# advice before worker, printing and register before dsr: their fixed paths (/work/{service}/advice, /dsr/add,
# /dsr/meeting-pack) come first
# assignments first: its fixed paths (/work/{service}/my-work, .../give, .../take-over) before the pages' {id}/{action}
ROUTERS = [sign_in.router, assignments.router,
           notes.router,  # notes before the pages whose /{action} paths would take their /notes
           referrer.router, advice.router, worker.router, printing.router, register.router, dsr.router,
           whatif.router, search.router, children.router, reports.router, admin.router, front_door.router,
           public.router]
