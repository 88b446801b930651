// GOV.UK Frontend's components (buttons, error summaries, the menu), started from a file so that the
// Content-Security-Policy needs no inline script. Loaded as a module at the end of <body>.
import { initAll } from '/static/govuk-frontend.min.js'
initAll()
