// storydiff: small progressive enhancements. Every page works without this file.
// On the diff page: j / k (and the Next / Previous buttons) move through the changes.
(function () {
  "use strict";
  var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"));
  var pos = document.getElementById("change-pos");
  var current = -1;

  function reveal(el) {
    var box = el.closest("details");
    while (box) {
      box.open = true;
      box = box.parentElement && box.parentElement.closest("details");
    }
  }

  function go(index) {
    if (!changes.length) { return; }
    current = Math.max(0, Math.min(changes.length - 1, index));
    var el = changes[current];
    reveal(el);
    changes.forEach(function (c) { c.classList.remove("current"); });
    el.classList.add("current");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "center" });
    if (history.replaceState) { history.replaceState(null, "", "#" + el.id); }
    if (pos) { pos.textContent = "Change " + (current + 1) + " of " + changes.length; }
  }

  var fromHash = changes.findIndex(function (c) { return "#" + c.id === location.hash; });
  if (fromHash >= 0) { current = fromHash; }

  var next = document.getElementById("next-change");
  var prev = document.getElementById("prev-change");
  if (next) { next.addEventListener("click", function (e) { e.preventDefault(); go(current + 1); }); }
  if (prev) {
    prev.addEventListener("click", function (e) {
      e.preventDefault();
      go(current < 0 ? changes.length - 1 : current - 1);
    });
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    if (e.key === "j") { e.preventDefault(); go(current + 1); }
    else if (e.key === "k") { e.preventDefault(); go(current < 0 ? changes.length - 1 : current - 1); }
  });

  // Moved paragraphs: following a link to the other place opens any folded run around it.
  document.querySelectorAll("a.movelink").forEach(function (a) {
    a.addEventListener("click", function () {
      var target = document.getElementById(a.getAttribute("href").slice(1));
      if (target) { reveal(target); }
    });
  });
})();

// Times: every <time datetime> is written in UTC by the server; show it in the reader's own
// time zone, keep a relative hint ("3 hours ago") and leave the ISO form in the tooltip.
(function () {
  "use strict";
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"
  });
  var rel = typeof Intl.RelativeTimeFormat === "function"
    ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  var units = [["day", 86400], ["hour", 3600], ["minute", 60]];

  function relative(ms) {
    var seconds = (ms - Date.now()) / 1000;
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(seconds) >= units[i][1]) {
        var n = Math.round(seconds / units[i][1]);
        return rel ? rel.format(n, units[i][0]) : "";
      }
    }
    return rel ? rel.format(0, "minute") : "";
  }

  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var ms = Date.parse(t.getAttribute("datetime"));
      if (isNaN(ms)) { return; }
      t.title = t.getAttribute("datetime");
      var text = fmt.format(new Date(ms));
      if (t.hasAttribute("data-rel")) { text += " · " + relative(ms); }
      t.textContent = text;
      t.classList.add("local");
    });
    root.querySelectorAll("option[data-datetime]").forEach(function (o) {
      var ms = Date.parse(o.getAttribute("data-datetime"));
      if (!isNaN(ms)) { o.textContent = "version " + o.value + " · " + fmt.format(new Date(ms)); }
    });
  }
  window.storydiffLocalize = localize;
  localize(document);
})();

// On a narrow screen the inline diff reads better than two squeezed columns: a diff page opened
// without an explicit ?view= switches to it (the Side by side link carries ?view=side).
(function () {
  "use strict";
  var diff = document.getElementById("diff");
  if (!diff || !diff.classList.contains("side")) { return; }
  if (/[?&]view=/.test(location.search)) { return; }
  if (window.matchMedia && window.matchMedia("(max-width: 40rem)").matches) {
    var inline = document.getElementById("view-inline");
    if (inline) { location.replace(inline.href + location.hash); }
  }
})();

// Live updates by conditional polling (see web/live.py): ask with the last ETag; a 304 costs
// nothing; anything else refreshes the parts of the page marked data-live-swap and says what
// arrived in a polite live region. Polling pauses while the tab is hidden.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-live-url");
  var every = Math.max(1, parseInt(box.getAttribute("data-poll"), 10) || 15) * 1000;
  var status = document.getElementById("live-status");
  var etag = null;
  var timer = null;

  function say(html) {
    box.hidden = false;
    status.innerHTML = "";
    status.appendChild(html);
  }

  function swap() {
    return fetch(location.href, { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (text) {
      if (!text) { return; }
      var doc = new DOMParser().parseFromString(text, "text/html");
      document.querySelectorAll("[data-live-swap]").forEach(function (el) {
        var fresh = el.id && doc.getElementById(el.id);
        if (fresh) {
          el.replaceWith(fresh);
          if (window.storydiffLocalize) { window.storydiffLocalize(fresh); }
        }
      });
    });
  }

  function arrived(data) {
    var frag = document.createDocumentFragment();
    if (data.version_count !== undefined) {
      var before = parseInt(box.getAttribute("data-versions"), 10) || 0;
      if (data.version_count > before) {
        box.setAttribute("data-versions", String(data.version_count));
        frag.appendChild(document.createTextNode("Version " + data.version_count + " just arrived. "));
        if (data.latest_diff) {
          var a = document.createElement("a");
          a.href = data.latest_diff;
          a.textContent = "See what changed";
          frag.appendChild(a);
        }
        return frag;
      }
      if (data.failures) {
        frag.appendChild(document.createTextNode("Checked again: " + data.failures +
          " failed check" + (data.failures === 1 ? "" : "s") + " in a row."));
        return frag;
      }
      return null;
    }
    var seen = {};
    document.querySelectorAll("[data-story]").forEach(function (li) {
      seen[li.getAttribute("data-story")] = parseInt(li.getAttribute("data-versions"), 10) || 0;
    });
    var fresh = (data.changes || []).filter(function (c) {
      return seen[c.story_id] !== undefined && c.version > seen[c.story_id];
    });
    if (!fresh.length) { return null; }
    var c = fresh[0];
    frag.appendChild(document.createTextNode(
      "Version " + c.version + " of “" + c.title + "” just arrived."));
    return frag;
  }

  function poll() {
    timer = null;
    if (document.hidden) { return; }
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-cache" })
      .then(function (r) {
        if (r.status === 304 || !r.ok) { return null; }
        var first = etag === null;
        etag = r.headers.get("ETag");
        return r.json().then(function (data) {
          if (first) { return; }
          var note = arrived(data);
          return swap().then(function () { if (note) { say(note); } });
        });
      })
      .catch(function () { return null; })
      .then(function () { schedule(); });
  }

  function schedule() {
    if (!timer && !document.hidden) { timer = setTimeout(poll, every); }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(); }
  });
  poll();
})();
