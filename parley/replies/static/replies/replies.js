// Saved replies in the message box: "Saved replies" opens a list to pick from, and typing
// "/" and the start of a name in the text offers the matching ones (arrows, Enter or Tab to
// insert, Escape to close). The chosen reply comes back filled in for the thread's creator
// and replaces the "/name" typed (or goes in at the cursor); an email's empty subject takes
// the reply's. The box is `[data-saved-replies]` in inbox/_thread.html.
(() => {
  // One request for the list, shared by every keystroke that asks while it is on its way;
  // kept for 30 s.
  let pending = null;
  let fetchedAt = 0;

  function replies(box) {
    if (!pending || Date.now() - fetchedAt > 30000) {
      fetchedAt = Date.now();
      pending = fetch(box.dataset.listUrl, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json().then((data) => data.replies) : []))
        .catch(() => []);
    }
    return pending;
  }

  function parts(box) {
    const form = box.closest("form");
    return {
      form,
      text: form.querySelector("textarea[name=body]"),
      menu: box.querySelector("[data-replies-menu]"),
      status: box.querySelector("[data-replies-status]"),
    };
  }

  // The "/name" just before the cursor: [start, query] or null.
  function slashAt(text) {
    const before = text.value.slice(0, text.selectionStart);
    const match = /(^|\s)\/([^\s/]{0,40})$/.exec(before);
    return match ? [before.length - match[2].length - 1, match[2]] : null;
  }

  async function insert(box, id, range) {
    const { form, text, menu, status } = parts(box);
    const campaign = form.querySelector("select[name=campaign]");
    let url = `${box.dataset.listUrl}${id}/c/${box.dataset.conversation}/`;
    if (campaign && campaign.value) url += `?campaign=${encodeURIComponent(campaign.value)}`;
    const response = await fetch(url, { credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    menu.hidden = true;
    if (!response.ok) {
      status.textContent = data.error || box.dataset.failedText;
      status.hidden = false;
      return;
    }
    status.hidden = true;
    const [start, end] = range || [text.selectionStart, text.selectionEnd];
    text.setRangeText(data.body, start, end, "end");
    text.dispatchEvent(new Event("input", { bubbles: true }));
    text.focus();
    const subject = form.querySelector("input[name=subject]");
    if (subject && !subject.value && data.subject) subject.value = data.subject;
  }

  function show(box, items, query, range) {
    const { menu } = parts(box);
    const q = query.toLocaleLowerCase();
    const found = items.filter((r) => r.name.toLocaleLowerCase().includes(q));
    found.sort((a, b) => a.name.toLocaleLowerCase().startsWith(q) ? -1 : b.name.toLocaleLowerCase().startsWith(q) ? 1 : 0);
    menu.replaceChildren();
    if (!found.length) {
      const empty = document.createElement("p");
      empty.className = "muted";
      empty.textContent = items.length ? box.dataset.noMatchText : box.dataset.emptyText;
      menu.append(empty);
      if (!items.length) {
        const link = document.createElement("a");
        link.href = box.dataset.settingsUrl;
        link.textContent = box.dataset.settingsText;
        menu.append(link);
      }
    }
    found.slice(0, 12).forEach((reply, index) => {
      const option = document.createElement("button");
      option.type = "button";
      option.className = "reply-option" + (index === 0 ? " active" : "");
      option.setAttribute("role", "option");
      option.dataset.replyId = reply.id;
      const name = document.createElement("strong");
      name.textContent = reply.name;
      const preview = document.createElement("span");
      preview.className = "muted";
      preview.textContent = reply.preview;
      option.append(name, preview);
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => insert(box, reply.id, range));
      menu.append(option);
    });
    menu.hidden = false;
  }

  document.addEventListener("click", async (event) => {
    const toggle = event.target.closest("[data-replies-toggle]");
    if (!toggle) return;
    const box = toggle.closest("[data-saved-replies]");
    const { menu } = parts(box);
    if (!menu.hidden) {
      menu.hidden = true;
      return;
    }
    show(box, await replies(box), "", null);
  });

  document.addEventListener("input", async (event) => {
    const text = event.target;
    if (!(text instanceof HTMLTextAreaElement) || text.name !== "body") return;
    const box = text.form && text.form.querySelector("[data-saved-replies]");
    if (!box) return;
    const slash = slashAt(text);
    if (!slash) {
      parts(box).menu.hidden = true;
      return;
    }
    const [start, query] = slash;
    const items = await replies(box);
    // A later keystroke (or a reply inserted meanwhile) has changed the text: its own
    // handler decides what shows.
    const now = slashAt(text);
    if (!now || now[0] !== start || now[1] !== query) return;
    show(box, items, query, [start, text.selectionStart]);
  });

  document.addEventListener("keydown", (event) => {
    const text = event.target;
    if (!(text instanceof HTMLTextAreaElement) || text.name !== "body") return;
    const box = text.form && text.form.querySelector("[data-saved-replies]");
    if (!box) return;
    const { menu } = parts(box);
    if (menu.hidden) return;
    const options = [...menu.querySelectorAll(".reply-option")];
    const current = options.findIndex((o) => o.classList.contains("active"));
    if (event.key === "Escape") {
      menu.hidden = true;
      event.preventDefault();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && options.length) {
      const next = (current + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach((o, i) => o.classList.toggle("active", i === next));
      event.preventDefault();
    } else if ((event.key === "Enter" || event.key === "Tab") && current >= 0 && slashAt(text)) {
      options[current].click();
      event.preventDefault();
    }
  });
})();
