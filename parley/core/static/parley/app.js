// Small behaviours htmx does not cover: page-wide checkbox, scroll, closing menus.
document.addEventListener("change", (event) => {
  if (event.target.id === "check-page") {
    document.querySelectorAll("#rows input[name=creators]").forEach((box) => {
      box.checked = event.target.checked;
    });
  }
});

function scrollThread() {
  const box = document.getElementById("thread-messages");
  if (box) box.scrollTop = box.scrollHeight;
}

document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target.closest && event.target.closest(".conversation-pane, #thread-messages, #thread")) {
    scrollThread();
  }
  document.querySelectorAll("details.kebab[open]").forEach((d) => d.removeAttribute("open"));
});
document.addEventListener("DOMContentLoaded", scrollThread);
