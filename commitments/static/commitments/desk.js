// 督办台账 — the review desk's keys (a file, not inline: the Content-Security-Policy runs
// no inline script). j / k move between updates, x ticks one for bulk accept, a accepts,
// r goes to the return comment; "select all" ticks the page. Without JavaScript every
// button still works by mouse or Tab.
"use strict";

(() => {
  const rows = () => Array.from(document.querySelectorAll("[data-desk] [data-row]"));
  let currentId = null;

  function current() {
    return currentId ? document.getElementById(currentId) : null;
  }

  function select(row) {
    if (!row) return;
    rows().forEach((r) => r.classList.remove("is-current"));
    row.classList.add("is-current");
    currentId = row.id;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const at = all.indexOf(current());
    const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(at + step, 0), all.length - 1);
    select(all[next]);
  }

  function typing(target) {
    return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  document.addEventListener("keydown", (event) => {
    if (!document.querySelector("[data-desk]") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape" && current()) select(current());
      return;
    }
    const row = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": {
        const box = row && row.querySelector("input[name=ids]");
        if (box) box.checked = !box.checked;
        break;
      }
      case "a": {
        const button = row && row.querySelector("[data-key=accept]");
        if (button) button.click();
        break;
      }
      case "r": {
        const comment = row && row.querySelector("[data-key=return]");
        if (comment) comment.focus();
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  // A click or Tab into a row makes it the current one.
  document.addEventListener("focusin", (event) => {
    const row = event.target instanceof Element && event.target.closest("[data-desk] [data-row]");
    if (row && row.id !== currentId) {
      rows().forEach((r) => r.classList.remove("is-current"));
      row.classList.add("is-current");
      currentId = row.id;
    }
  });

  // After htmx swapped a reviewed row in, carry on with the next update still waiting.
  // (htmx:load fires on the new content; the form that asked was swapped out with its
  // row, so events dispatched on it no longer reach the document.)
  document.addEventListener("htmx:load", (event) => {
    const swapped = event.target;
    if (!(swapped instanceof Element)) return;
    if (swapped.id === "desk") {
      currentId = null;
      return;
    }
    if (swapped.matches("[data-row]") && swapped.id === currentId && !swapped.classList.contains("qrow-submitted")) {
      const all = rows();
      const after = all.slice(all.indexOf(swapped) + 1).find((r) => r.classList.contains("qrow-submitted"));
      select(after || swapped);
    }
  });

  // "Select all" ticks every update on the page.
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box instanceof HTMLInputElement && box.dataset.selectAll) {
      document.querySelectorAll(`input[name="${box.dataset.selectAll}"][form="${box.form ? box.form.id : "bulk-accept"}"]`)
        .forEach((b) => { b.checked = box.checked; });
    }
  });
})();
