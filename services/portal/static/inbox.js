// New alerts onto an open inbox without a reload: the server's event stream (GET /events) says when this
// practitioner's open alerts change; the list is fetched again (GET /inbox/open, the same HTML the page
// was made with) and a polite live region says so. Without JavaScript the page still works: reload it.
"use strict";
(function () {
  const list = document.getElementById("open-alerts");
  const news = document.getElementById("news");
  if (!list || !window.EventSource) return;
  const source = new EventSource("/events");
  source.addEventListener("inbox", async (event) => {
    const answer = await fetch("/inbox/open", { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!answer.ok) return;
    const focused = document.activeElement && list.contains(document.activeElement);
    list.innerHTML = await answer.text();
    const open = JSON.parse(event.data).open;
    news.textContent = list.dataset.newsText ? list.dataset.newsText.replace("{n}", open) : `Open alerts: ${open}`;
    news.hidden = false;
    if (focused) list.focus();
  });
})();
