/* The lobby screen's script: draws the boards from the JSON, rotates them, keeps the clock,
   and polls data.json with If-None-Match. Offline it keeps the last boards and says so;
   a 404 means the screen was switched off. No library, nothing from outside. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("screen-config").textContent);
  var labels = config.labels;
  var data = JSON.parse(document.getElementById("screen-data").textContent);
  var etag = config.etag;
  var boardIndex = 0;
  var rotateTimer = null;
  var pollTimer = null;
  var rotateSeconds = 0;
  var clockOffset = 0;
  var lastUpdate = new Date();
  var state = "online"; // online, offline or disabled

  function byId(id) {
    return document.getElementById(id);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function formatter(options) {
    try {
      return new Intl.DateTimeFormat("zh-CN", Object.assign({ timeZone: config.time_zone }, options));
    } catch (error) {
      return new Intl.DateTimeFormat("zh-CN", options);
    }
  }

  var timeFormat = formatter({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  var shortTimeFormat = formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var dateFormat = formatter({ month: "long", day: "numeric", weekday: "long" });

  function now() {
    return new Date(Date.now() + clockOffset);
  }

  // -- the clock, on the server's time: a lobby TV's own clock is often wrong --------------
  function tick() {
    var current = now();
    byId("time").textContent = timeFormat.format(current);
    byId("date").textContent = dateFormat.format(current);
    setTimeout(tick, 1000 - (current.getTime() % 1000) + 15);
  }

  function syncClock(response) {
    var header = response.headers.get("Date");
    var server = header ? Date.parse(header) : NaN;
    if (isNaN(server)) return;
    var offset = server - Date.now();
    // The header has whole seconds: move only for a real difference.
    if (Math.abs(offset - clockOffset) > 3000) clockOffset = offset;
  }

  // -- drawing ----------------------------------------------------------------------------
  function boards() {
    var withEntries = data.boards.filter(function (board) {
      return board.entries.length > 0;
    });
    return withEntries.length ? withEntries : [];
  }

  function slots() {
    var most = 0;
    data.boards.forEach(function (board) {
      most = Math.max(most, board.entries.length);
    });
    return Math.max(most, 1);
  }

  // Shrinks an element's text until it fits its box: long names and branch names.
  function fit(node) {
    node.style.fontSize = "";
    var size = parseFloat(window.getComputedStyle(node).fontSize);
    for (var step = 0; step < 40 && node.scrollWidth > node.clientWidth + 1; step++) {
      size *= 0.93;
      node.style.fontSize = size + "px";
    }
  }

  function fitAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".fit"), fit);
  }

  function layout(count) {
    var rows = byId("rows");
    var portrait = window.innerHeight > window.innerWidth;
    var total = slots();
    var columns;
    var perColumn;
    if (portrait) {
      columns = total > 12 ? 2 : 1;
      perColumn = Math.max(8, Math.ceil(total / columns));
    } else {
      columns = total > 5 ? 2 : 1;
      perColumn = Math.max(5, Math.ceil(total / columns));
    }
    var gap = parseFloat(window.getComputedStyle(rows).rowGap) || 0;
    var height = (rows.clientHeight - gap * (perColumn - 1)) / perColumn;
    var used = Math.max(1, Math.min(perColumn, count));
    rows.classList.toggle("single", columns === 1);
    rows.style.gridTemplateColumns = "repeat(" + columns + ", minmax(0, 1fr))";
    rows.style.gridTemplateRows = "repeat(" + used + ", " + height + "px)";
    rows.style.setProperty("--row-h", height + "px");
  }

  function movementNode(entry) {
    if (entry.newcomer) return element("span", "move new", labels.newcomer);
    var marks = { up: "▲", down: "▼", same: "—" };
    if (!entry.movement || !marks[entry.movement]) return element("span", "move");
    return element("span", "move " + entry.movement, marks[entry.movement]);
  }

  function rowNode(entry) {
    var row = element(
      "li",
      "row" + (entry.position <= 3 ? " place-" + entry.position : "") + (entry.tied ? " tied" : "")
    );
    row.appendChild(element("span", "pos", entry.position));
    var who = element("span", "who");
    who.appendChild(element("span", "name fit", entry.name));
    who.appendChild(element("span", "where fit", entry.branch));
    row.appendChild(who);
    var figure = element("span", "figure");
    figure.appendChild(element("span", "value", entry.value_text));
    figure.appendChild(element("span", "unit", entry.unit));
    row.appendChild(figure);
    row.appendChild(movementNode(entry));
    return row;
  }

  function drawFrame() {
    byId("bank").textContent = data.bank === data.branch ? "" : data.bank;
    byId("branch").textContent = data.branch;
    byId("data-time").textContent = data.data_time_label ? labels.data_time + " " + data.data_time_label : "";
    drawMonthToDate();
  }

  // The month so far: counts only, beside the last published month's board (SCORING.md §6).
  function drawMonthToDate() {
    var live = data.month_to_date;
    byId("mtd").hidden = !live;
    byId("screen").classList.toggle("with-mtd", !!live);
    if (!live) return;
    byId("mtd-title").textContent = live.label;
    var items = byId("mtd-items");
    items.textContent = "";
    live.items.forEach(function (item) {
      var node = element("li", "mtd-item");
      node.appendChild(element("span", "mtd-label", item.label));
      var figure = element("span", "mtd-figure");
      figure.appendChild(element("span", "mtd-value", item.value));
      figure.appendChild(element("span", "unit", item.unit));
      node.appendChild(figure);
      items.appendChild(node);
    });
    var table = byId("mtd-branches");
    table.textContent = "";
    table.hidden = !live.branches.length;
    if (!live.branches.length) return;
    var head = element("tr");
    head.appendChild(element("th", "", ""));
    live.items.forEach(function (item) {
      head.appendChild(element("th", "", item.label));
    });
    table.appendChild(head);
    live.branches.forEach(function (branch) {
      var row = element("tr");
      row.appendChild(element("th", "", branch.branch));
      branch.values.forEach(function (value) {
        row.appendChild(element("td", "", value));
      });
      table.appendChild(row);
    });
  }

  function drawTabs(shown) {
    var tabs = byId("tabs");
    tabs.textContent = "";
    shown.forEach(function (board, index) {
      tabs.appendChild(element("span", "tab" + (index === boardIndex ? " active" : ""), board.label));
    });
  }

  function drawEmpty(title, text) {
    byId("rows").textContent = "";
    byId("board-title").textContent = "";
    byId("board-caption").textContent = "";
    byId("board-month").textContent = "";
    byId("empty-title").textContent = title;
    byId("empty-text").textContent = text;
    byId("empty").hidden = false;
    byId("tabs").textContent = "";
  }

  function drawBoard(animate) {
    drawFrame();
    var shown = boards();
    if (!data.month) {
      drawEmpty(labels.no_month, labels.no_month_text);
      fitAll();
      return;
    }
    if (!shown.length) {
      drawEmpty(data.month_label + " " + labels.no_entries, labels.no_entries_text);
      fitAll();
      return;
    }
    if (boardIndex >= shown.length) boardIndex = 0;
    var board = shown[boardIndex];
    byId("empty").hidden = true;
    byId("board-title").textContent = board.title;
    byId("board-caption").textContent = board.caption + (data.compared_with ? " · " + labels.compared : "");
    var month = byId("board-month");
    month.textContent = "";
    month.appendChild(element("strong", "", data.month_label));
    month.appendChild(element("span", "", labels.top.replace("{count}", board.entries.length)));
    var rows = byId("rows");
    rows.textContent = "";
    board.entries.forEach(function (entry) {
      rows.appendChild(rowNode(entry));
    });
    // A screen for one outlet need not say on every row where each person works.
    rows.classList.toggle(
      "one-place",
      board.entries.every(function (entry) {
        return data.branch.indexOf(entry.branch) === 0;
      })
    );
    layout(board.entries.length);
    if (animate) {
      rows.classList.remove("entering");
      void rows.offsetWidth; // restart the animation
      rows.classList.add("entering");
    }
    drawTabs(shown);
    fitAll();
  }

  // -- rotation ---------------------------------------------------------------------------
  function restartProgress() {
    var bar = byId("progress");
    bar.classList.remove("running");
    void bar.offsetWidth;
    bar.style.animationDuration = rotateSeconds + "s";
    if (boards().length > 1) bar.classList.add("running");
  }

  function rotate() {
    var count = boards().length;
    if (count > 1) {
      boardIndex = (boardIndex + 1) % count;
      drawBoard(true);
    }
    restartProgress();
  }

  function startRotation() {
    rotateSeconds = Math.max(1, data.rotate_seconds || 15);
    clearInterval(rotateTimer);
    rotateTimer = setInterval(rotate, rotateSeconds * 1000);
    restartProgress();
  }

  // -- polling ----------------------------------------------------------------------------
  function schedule(seconds) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, Math.max(1, seconds || data.poll_seconds || 30) * 1000);
  }

  function setState(next) {
    if (state === "disabled" && next !== "disabled") {
      // The screen answers again: start over from a fresh page.
      window.location.reload();
      return;
    }
    state = next;
    document.body.setAttribute("data-state", next);
    byId("screen").hidden = next === "disabled";
    byId("disabled").hidden = next !== "disabled";
    var mark = byId("offline");
    mark.hidden = next !== "offline";
    mark.textContent = labels.offline.replace("{time}", shortTimeFormat.format(lastUpdate));
    if (next === "disabled") {
      clearInterval(rotateTimer);
    }
  }

  function receive(fresh, tag) {
    if (fresh.version !== config.version) {
      window.location.reload(); // the page itself changed
      return;
    }
    var current = boards()[boardIndex];
    var rotationChanged = fresh.rotate_seconds !== data.rotate_seconds;
    data = fresh;
    etag = tag || etag;
    // Stay on the same board if it is still there.
    var shown = boards();
    boardIndex = 0;
    for (var i = 0; current && i < shown.length; i++) {
      if (shown[i].key === current.key) boardIndex = i;
    }
    drawBoard(false);
    if (rotationChanged) startRotation();
  }

  function poll() {
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = setTimeout(function () {
      if (controller) controller.abort();
    }, 15000);
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(config.data_url, {
      headers: headers,
      cache: "no-store",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        clearTimeout(timeout);
        syncClock(response);
        if (response.status === 404) {
          setState("disabled");
          schedule(Math.max(60, data.poll_seconds));
          return null;
        }
        if (response.status === 304) {
          lastUpdate = now();
          setState("online");
          schedule();
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        var tag = response.headers.get("ETag");
        return response.json().then(function (fresh) {
          lastUpdate = now();
          setState("online");
          receive(fresh, tag);
          schedule();
        });
      })
      .catch(function () {
        clearTimeout(timeout);
        if (state !== "disabled") setState("offline");
        schedule();
      });
  }

  // For the browser tests and for whoever sets a screen up: which board is showing.
  window.LobbyScreen = {
    boards: function () {
      return boards().map(function (board) {
        return board.key;
      });
    },
    current: function () {
      var board = boards()[boardIndex];
      return board ? board.key : null;
    },
    show: function (index) {
      boardIndex = index;
      drawBoard(false);
    },
    state: function () {
      return state;
    },
  };

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      drawBoard(false);
    }, 150);
  });

  tick();
  setState("online");
  drawBoard(true);
  startRotation();
  schedule();
})();
