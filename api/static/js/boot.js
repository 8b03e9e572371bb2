// Loaded first thing in <body>: does what the NHS.UK page template's inline script does (our
// Content-Security-Policy allows only scripts served from this origin), so the components'
// JavaScript (static/js/app.js, a module: it runs later) knows the browser supports it.
document.body.className +=
  ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
