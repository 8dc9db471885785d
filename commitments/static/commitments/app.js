// 督办台账 — the little behaviour the pages need, in a file: the Content-Security-Policy
// runs no inline script and no on…="" attribute.
"use strict";

// <select data-autosubmit> submits its form on change (the language menu).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && "autosubmit" in el.dataset && el.form) {
    el.form.submit();
  }
});
