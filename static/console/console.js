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
  var timer = window.setInterval(function () {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var bar = job.querySelector(".progress > div");
        if (bar && data.total) bar.style.width = Math.max(5, Math.round((100 * data.done) / data.total)) + "%";
        if (data.state === "done" || data.state === "failed") {
          window.clearInterval(timer);
          window.location.reload();
        }
      });
  }, 2000);
});
