// The campaign brief's editor: a <textarea data-rich> becomes an editable box with bold,
// italic, lists and links. The textarea stays the form's field and holds the HTML, which the
// server sanitises (nh3) before it is stored; without script it is edited as HTML.
(function () {
  const COMMANDS = [
    ["bold", "B", "labelBold"],
    ["italic", "I", "labelItalic"],
    ["insertUnorderedList", "•", "labelList"],
    ["insertOrderedList", "1.", "labelNumbered"],
    ["createLink", "↗", "labelLink"],
  ];

  function setup(area) {
    if (area.dataset.richReady) return;
    area.dataset.richReady = "1";
    const box = document.createElement("div");
    box.className = "rich";
    const bar = document.createElement("div");
    bar.className = "rich-bar";
    bar.setAttribute("role", "toolbar");
    const edit = document.createElement("div");
    edit.className = "rich-edit";
    edit.contentEditable = "true";
    edit.setAttribute("role", "textbox");
    edit.setAttribute("aria-multiline", "true");
    if (area.id) {
      const label = document.querySelector('label[for="' + area.id + '"]');
      if (label) edit.setAttribute("aria-label", label.textContent.trim());
    }
    edit.innerHTML = area.value;
    const sync = () => {
      area.value = edit.innerHTML;
    };
    for (const [command, text, labelKey] of COMMANDS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = text;
      const label = area.dataset[labelKey] || command;
      button.title = label;
      button.setAttribute("aria-label", label);
      button.addEventListener("click", () => {
        edit.focus();
        let value = null;
        if (command === "createLink") {
          value = window.prompt(area.dataset.labelLinkPrompt || "https://", "https://");
          if (!value) return;
        }
        document.execCommand(command, false, value);
        sync();
      });
      bar.appendChild(button);
    }
    edit.addEventListener("input", sync);
    box.appendChild(bar);
    box.appendChild(edit);
    area.hidden = true;
    area.parentNode.insertBefore(box, area);
    if (area.form) area.form.addEventListener("submit", sync);
  }

  document.querySelectorAll("textarea[data-rich]").forEach(setup);
})();
