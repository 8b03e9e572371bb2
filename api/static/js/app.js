// Progressive enhancement only: every page works without this (forms are plain POSTs).
import { initAll } from '/static/vendor/nhsuk/nhsuk-frontend.min.js';

initAll();

// Pages that refresh themselves (htmx polling): if a refresh fails, say so on the page, so
// nobody trusts a list that has stopped updating. Cleared by the next successful refresh.
const stale = document.getElementById('live-stale');
if (stale) {
  document.body.addEventListener('htmx:sendError', () => { stale.hidden = false; });
  document.body.addEventListener('htmx:responseError', () => { stale.hidden = false; });
  document.body.addEventListener('htmx:afterRequest', (event) => {
    if (event.detail.successful) { stale.hidden = true; }
  });
}
