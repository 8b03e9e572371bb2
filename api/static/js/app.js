// Progressive enhancement only: every page works without this (forms are plain POSTs).
import { initAll } from '/static/vendor/nhsuk/nhsuk-frontend.min.js';

initAll();
