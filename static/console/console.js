// The console's few interactions, without any framework: confirm before the irreversible,
// the menu on a narrow screen, and polling a background job until it is done.
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

document.addEventListener("click", function (event) {
  var toggle = event.target.closest("[data-toggle=nav]");
  if (toggle) {
    document.getElementById("nav").classList.toggle("open");
  }
  var copy = event.target.closest("[data-copy]");
  if (copy && navigator.clipboard) {
    navigator.clipboard.writeText(document.getElementById(copy.getAttribute("data-copy")).textContent.trim());
    copy.textContent = copy.getAttribute("data-copied") || "✓";
  }
});

document.addEventListener("DOMContentLoaded", function () {
  var job = document.querySelector("[data-job-poll]");
  if (!job) return;
  var url = job.getAttribute("data-job-poll");
  var bar = job.querySelector("[data-job-bar]") || job.querySelector(".progress > div");
  var progress = job.querySelector("[data-job-progress]");
  var count = job.querySelector("[data-job-count]");
  var state = job.querySelector("[data-job-state]");
  var timer = window.setInterval(function () {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        // The bar moves with each poll; the page reloads once the job has ended, to show its outcome.
        var percent = data.percent !== undefined ? data.percent : (data.total ? Math.round((100 * data.done) / data.total) : 0);
        if (bar) bar.style.width = Math.max(5, percent) + "%";
        if (progress) progress.setAttribute("aria-valuenow", percent);
        if (state) state.textContent = data.state_label;
        if (count && data.total > 1) {
          count.textContent = data.done + " / " + data.total;
          count.hidden = false;
        }
        if (data.state === "done" || data.state === "failed") {
          window.clearInterval(timer);
          window.location.reload();
        }
      });
  }, 1500);
});

// A box that ticks (or clears) every box of a list, for a bulk action: data-select-all="<name>".
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-select-all]");
  if (!all) return;
  var boxes = document.querySelectorAll('input[type=checkbox][name="' + all.getAttribute("data-select-all") + '"]');
  for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
});
