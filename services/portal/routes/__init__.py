"""The portal's pages, one router per area. Their order is the order paths are matched in."""

from services.portal.routes import admin, dsr, front_door, public, referrer, reports, sign_in, whatif, worker

ROUTERS = [sign_in.router, referrer.router, worker.router, dsr.router, whatif.router, reports.router, admin.router,
           front_door.router, public.router]
