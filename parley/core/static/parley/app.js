// Small behaviours htmx does not cover: page-wide checkbox, scroll, closing menus.
document.addEventListener("change", (event) => {
  if (event.target.id === "check-page") {
    document.querySelectorAll("#rows input[name=creators]").forEach((box) => {
      box.checked = event.target.checked;
    });
  }
});

// The thread shows its newest message, or the one the search found (data-focus-message,
// which its refreshes keep), marked.
function scrollThread() {
  const box = document.getElementById("thread-messages");
  if (!box) return;
  const focus = box.dataset.focusMessage;
  const found = focus && box.querySelector(`[data-message="${CSS.escape(focus)}"]`);
  if (found) {
    found.classList.add("found");
    found.scrollIntoView({ block: "center" });
    return;
  }
  box.scrollTop = box.scrollHeight;
}

document.addEventListener("htmx:afterSettle", (event) => {
  // Only when the messages were drawn (the thread opened, sent, refreshed): not when a part
  // of the pane loads after them (the portal status, the sidebar), which would move the
  // reader away from the message the search opened.
  const box = document.getElementById("thread-messages");
  if (box && event.target.contains && event.target.contains(box)) {
    scrollThread();
  }
  // A menu whose item made the request closes; one opened meanwhile stays open. The inbox's
  // own refreshes settle too, the header's badge every poll: their element was swapped out
  // (no longer in the page), and they close nothing.
  const source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!source || !source.isConnected) return;
  document.querySelectorAll("details.kebab[open]").forEach((d) => {
    if (d.contains(source)) d.removeAttribute("open");
  });
});
document.addEventListener("DOMContentLoaded", scrollThread);

// No inline handlers (the Content-Security-Policy allows no inline script): behaviour that
// used to sit in onchange/onclick attributes is here, keyed on data attributes.

// <select data-autosubmit>: choosing an option submits its form (workspace, language).
document.addEventListener("change", (event) => {
  const select = event.target;
  if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
    select.form.submit();
  }
});

// <a href="#section" data-focus="selector">: go to the field it names and focus it. (The
// browser's own jump to a fragment that is not focusable would take the focus away again.)
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-focus]");
  if (!link) return;
  const field = document.querySelector(link.dataset.focus);
  if (!field) return;
  event.preventDefault();
  const menu = link.closest("details");
  if (menu) menu.removeAttribute("open");
  field.scrollIntoView({ block: "nearest" });
  field.focus();
});

// <button data-confirm="Question?">: the form goes only once the question is answered yes
// (a mass message's Send).
document.addEventListener(
  "submit",
  (event) => {
    const question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  },
  true,
);

// A menu whose button submits its form (the bulk actions' Add Tag, Add to Campaign…)
// closes, so it does not cover the answer.
document.addEventListener(
  "submit",
  (event) => {
    const menu = event.submitter && event.submitter.closest("details.menu-button, details.kebab");
    if (menu) menu.removeAttribute("open");
  },
  true,
);

// [data-hold-while-checked]: the list does not refresh itself ("inbox-changed") while
// rows are ticked for a bulk action, so the selection is not lost. (Was an hx-trigger
// filter, which htmx evaluates as script: not allowed by the policy.)
document.addEventListener("htmx:confirm", (event) => {
  const elt = event.detail.elt;
  const trigger = event.detail.triggeringEvent;
  if (
    elt.hasAttribute("data-hold-while-checked") &&
    trigger &&
    (trigger.type === "inbox-changed" || trigger.type === "creators-changed") &&
    elt.querySelector("input:checked")
  ) {
    event.preventDefault();
  }
});

// Open menus (<details> with a drop-down) close on Escape or a click outside them, as menus
// do everywhere else.
function closeMenus(except) {
  document.querySelectorAll("details[open]").forEach((menu) => {
    if (menu !== except && !menu.contains(except) && menu.querySelector(".dropdown")) {
      menu.removeAttribute("open");
    }
  });
}
document.addEventListener("click", (event) => {
  closeMenus(event.target.closest ? event.target.closest("details") : null);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenus(null);
});

// <a data-filters-form="ID" data-base="URL">: the link carries what the form's filter holds
// now (ticked or typed since the page was drawn), its href set from the form's fields at the
// moment it is clicked; values in the base's own query win (a column's sort). The export
// link and the creators list's sort links.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-filters-form]");
  if (!link) return;
  const form = document.getElementById(link.dataset.filtersForm);
  if (!form) return;
  const base = new URL(link.dataset.base, window.location.href);
  const query = new URLSearchParams(new FormData(form));
  base.searchParams.forEach((value, name) => query.set(name, value));
  const text = query.toString();
  link.href = base.pathname + (text ? "?" + text : "");
});

// [data-close-panel]: closes the campaign action panel it sits in.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-close-panel]");
  if (!button) return;
  const panel = button.closest(".asset-action");
  if (panel) panel.remove();
});

// The thread menu's "Send Email": the message box on email, from the default mailbox, with
// the cursor in the text.
document.addEventListener("click", (event) => {
  const item = event.target.closest && event.target.closest("[data-send-email]");
  if (!item) return;
  const box = item.closest("#thread") && item.closest("#thread").querySelector("form.composer");
  if (!box) return;
  const channel = box.querySelector("select[name=channel]");
  channel.value = "email";
  channel.dispatchEvent(new Event("change", { bubbles: true }));
  const mailbox = box.querySelector("select[name=mailbox]");
  const preferred = mailbox && mailbox.querySelector("option[data-default]");
  if (preferred) mailbox.value = preferred.value;
  item.closest("details").removeAttribute("open");
  const body = box.querySelector("textarea[name=body]");
  body.scrollIntoView({ block: "nearest" });
  body.focus();
});

// A request that failed (not a form's 422, whose errors are swapped in) swaps nothing: say
// what went wrong, as the server put it (X-Parley-Error, percent-encoded), in a notice
// that stays until clicked away or the next one. Refreshes that poll say nothing.
document.addEventListener("htmx:responseError", (event) => {
  const trigger = event.detail.elt.getAttribute("hx-trigger") || "";
  if (/\bevery\b|\bload\b/.test(trigger)) return;
  const raw = event.detail.xhr.getResponseHeader("X-Parley-Error");
  if (!raw) return;
  let notice = document.getElementById("request-error");
  if (!notice) {
    notice = document.createElement("div");
    notice.id = "request-error";
    notice.className = "request-error";
    notice.setAttribute("role", "alert");
    notice.setAttribute("data-testid", "request-error");
    notice.addEventListener("click", () => notice.remove());
    document.body.append(notice);
  }
  notice.textContent = decodeURIComponent(raw);
});

// The open conversation's row is marked in the list (aria-current), wherever the list's
// order (unread first) has moved it, after the list or the thread is drawn.
function markOpenRow() {
  const open = location.pathname.match(/^\/inbox\/c\/\d+\//);
  document.querySelectorAll("#rows li.row").forEach((row) => {
    const link = row.querySelector("a.row-link");
    const here = open && link && new URL(link.href).pathname === open[0];
    if (here) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  });
}
document.addEventListener("htmx:afterSettle", markOpenRow);
document.addEventListener("htmx:pushedIntoHistory", markOpenRow);
window.addEventListener("popstate", markOpenRow);
document.addEventListener("DOMContentLoaded", markOpenRow);

// A Filter menu's button counts the choices ticked in it, so a filtered page says so with
// the menu closed.
function countFilters() {
  document.querySelectorAll("details.filter-menu").forEach((menu) => {
    const count = menu.querySelector("summary .count");
    if (!count) return;
    const n = menu.querySelectorAll(".filter-body input[type=checkbox]:checked").length;
    count.textContent = n;
    count.hidden = n === 0;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.closest && event.target.closest("details.filter-menu")) countFilters();
});
document.addEventListener("DOMContentLoaded", countFilters);

// A form field marked data-shown-with="NAME=VALUE" is shown only while the form's field
// NAME has that value (a bulk action's own inputs: the link's address, a gift's items).
function showWith(form) {
  form.querySelectorAll("[data-shown-with]").forEach((input) => {
    const [name, value] = input.dataset.shownWith.split("=");
    // (radio buttons: a RadioNodeList, whose value is the checked one's)
    const chooser = form.elements.namedItem(name);
    const node = chooser instanceof RadioNodeList ? chooser[0] : chooser;
    // Its whole row, unless the chooser shares it (a column's target and field name).
    const row = input.closest(".form-row");
    const shown = row && node && !row.contains(node) ? row : input;
    shown.hidden = Boolean(chooser) && chooser.value !== value;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.form) showWith(event.target.form);
});
function showWithAll() {
  document.querySelectorAll("form").forEach((form) => {
    if (form.querySelector("[data-shown-with]")) showWith(form);
  });
}
document.addEventListener("DOMContentLoaded", showWithAll);
document.addEventListener("htmx:afterSettle", showWithAll);

// A search box (#q) searches as one types and on Enter. The change event its blur fires
// would search again, and that answer, landing after a click on a result, took the page
// back to the list (its address too): it does not reach the form.
document.addEventListener(
  "change",
  (event) => {
    if (event.target.id === "q") event.stopPropagation();
  },
  true,
);
