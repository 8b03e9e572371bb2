// Progressive enhancement only: every page works without this (forms are plain POSTs).
import { initAll } from '/static/vendor/nhsuk/nhsuk-frontend.min.js';

initAll();

// Pages that refresh themselves (htmx polling): if a refresh fails, say so on the page, so
// nobody trusts a list that has stopped updating. Cleared by the next successful refresh.
const stale = document.getElementById('live-stale');
if (stale) {
  // Each self-refreshing part counts apart: the header's count refreshing fine must not hide
  // that the urgent list has stopped.
  const failing = new Set();
  const show = () => { stale.hidden = failing.size === 0; };
  const failed = (event) => { failing.add(event.detail.elt); show(); };
  document.body.addEventListener('htmx:sendError', failed);
  document.body.addEventListener('htmx:responseError', failed);
  // A refresh that hangs (htmx gives up after the configured 15 s) is a failure too.
  document.body.addEventListener('htmx:timeout', failed);
  document.body.addEventListener('htmx:afterRequest', (event) => {
    if (event.detail.successful) { failing.delete(event.detail.elt); show(); }
  });
}
