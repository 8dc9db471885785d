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

// A field with data-maxlength shows how much room is left and says when it is over; the
// server refuses text over the limit with a message (nothing is cut off silently).
function lengthCounter(field) {
  const limit = Number(field.dataset.maxlength);
  if (!limit || field.dataset.counted) return;
  field.dataset.counted = "1";
  const counter = document.createElement("span");
  counter.className = "counter";
  counter.setAttribute("aria-live", "polite");
  field.insertAdjacentElement("afterend", counter);
  const update = () => {
    const n = Array.from(field.value).length;
    counter.textContent = `${n} / ${limit}`;
    counter.classList.toggle("over", n > limit);
  };
  field.addEventListener("input", update);
  update();
}

function countAll(root) {
  root.querySelectorAll("textarea[data-maxlength]").forEach(lengthCounter);
}

document.addEventListener("DOMContentLoaded", () => countAll(document));
document.addEventListener("htmx:afterSettle", (event) => countAll(event.target instanceof Element ? event.target : document));
