// GOV.UK Frontend's first step, from a file so that the Content-Security-Policy needs no inline script
// (the page loads it, without defer, as the first thing in <body>): the styles for when JavaScript runs.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
