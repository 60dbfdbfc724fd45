(function () {
  "use strict";

  var doc = JSON.parse(document.getElementById("agentops-data").textContent);
  var sessions = doc.sessions ? doc.sessions : [doc];
  var state = { session: 0, step: 0 };

  function $(id) { return document.getElementById(id); }
  // Control, invisible and bidi characters (the text replay's set, render/_format.py) as escapes: a
  // right-to-left override would show "\u202Egnp.exe" as "exe.png", a zero-width space make two names
  // read the same. Line breaks and tabs stay: the details panel keeps the recorded layout.
  var HIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;
  function hex(n, w) { var h = n.toString(16); while (h.length < w) { h = "0" + h; } return h; }
  function visible(text) {
    return String(text).replace(HIDDEN, function (c) {
      var code = c.length > 1 ? 0x10000 + ((c.charCodeAt(0) - 0xd800) << 10) + (c.charCodeAt(1) - 0xdc00) : c.charCodeAt(0);
      return code < 0x100 ? "\\x" + hex(code, 2) : code < 0x10000 ? "\\u" + hex(code, 4) : "\\U" + hex(code, 8);
    });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = visible(text); }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function pad(n, w) { var s = String(n); while (s.length < w) { s = "0" + s; } return s; }
  function offset(sec) {
    var ms = Math.round(Math.abs(sec) * 1000);
    var m = Math.floor(ms / 60000), s = Math.floor((ms % 60000) / 1000);
    return (sec < 0 ? "-" : "") + pad(m, 2) + ":" + pad(s, 2) + "." + pad(ms % 1000, 3);
  }
  function duration(sec) {
    if (sec < 1) { return (sec * 1000).toFixed(sec * 1000 >= 1 || sec === 0 ? 0 : 2) + "ms"; }
    if (sec < 60) { return sec.toFixed(1) + "s"; }
    var t = Math.round(sec);
    return Math.floor(t / 60) + "m" + pad(t % 60, 2) + "s";
  }
  // A count no call reported is unknown, not 0: "≥ N" for a total some calls left out, "?" for none known.
  function tokens(n, complete) {
    if (n === null || n === undefined) { return complete ? "0" : "?"; }
    if (complete) { return String(n); }
    return n ? "\u2265 " + n : "?";
  }
  function money(usd) {
    if (usd === null || usd === undefined) { return "n/a"; }
    if (usd === 0) { return "$0"; }
    var dec = Math.max(2, Math.min(8, 2 - Math.floor(Math.log10(Math.abs(usd)))));
    var parts = usd.toFixed(dec).split(".");
    var frac = parts[1].replace(/0+$/, "");
    while (frac.length < 2) { frac += "0"; }
    return "$" + parts[0] + "." + frac;
  }
  function parse(text) {
    if (typeof text !== "string") { return { ok: false }; }
    var t = text.trim();
    if (!t || "[{\"".indexOf(t.charAt(0)) < 0) { return { ok: false }; }
    try { return { ok: true, value: JSON.parse(t) }; } catch (e) { return { ok: false }; }
  }
  function isMessages(v) {
    return Array.isArray(v) && v.length > 0 && v.every(function (m) {
      return m && typeof m === "object" && !Array.isArray(m) && "role" in m;
    });
  }
  function partText(p) {
    if (typeof p === "string") { return p; }
    if (!p || typeof p !== "object") { return JSON.stringify(p); }
    if (p.type === "tool_call" || ("name" in p && "arguments" in p)) {
      var a = p.arguments;
      return "→ " + p.name + "(" + (typeof a === "string" ? a : JSON.stringify(a)) + ")";
    }
    if (p.type === "tool_call_response") {
      var r = "response" in p ? p.response : p.result;
      return "tool result: " + (typeof r === "string" ? r : JSON.stringify(r, null, 2));
    }
    if (typeof p.content === "string") { return p.content; }
    if (typeof p.text === "string") { return p.text; }
    return JSON.stringify(p, null, 2);
  }
  function messageText(m) {
    var out = [];
    if (Array.isArray(m.parts)) { m.parts.forEach(function (p) { out.push(partText(p)); }); }
    if (typeof m.content === "string") { out.push(m.content); }
    else if (Array.isArray(m.content)) { m.content.forEach(function (p) { out.push(partText(p)); }); }
    if (Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach(function (c) { out.push(partText(c && c["function"] ? c["function"] : c)); });
    }
    return out.join("\n");
  }
  function gist(text, limit) {
    if (text === null || text === undefined) { return ""; }
    var p = parse(text), s;
    if (p.ok && isMessages(p.value)) { s = messageText(p.value[p.value.length - 1]); }
    else if (p.ok && p.value && typeof p.value === "object" && !Array.isArray(p.value)) {
      s = Object.keys(p.value).map(function (k) { return k + "=" + JSON.stringify(p.value[k]); }).join(", ");
    } else if (p.ok && typeof p.value === "string") { s = p.value; }
    else if (p.ok) { s = JSON.stringify(p.value); }
    else { s = text; }
    s = s.replace(/\s+/g, " ").trim();
    return s.length > limit ? s.slice(0, limit - 1) + "…" : s;
  }
  function errorText(step) {
    var e = step.error;
    if (!e) { return ""; }
    if (e.type && e.message) { return e.type + ": " + e.message; }
    return e.type || e.message || "";
  }

  function current() { return sessions[state.session]; }

  function renderHeader(s) {
    var sum = s.summary, status = sum.end_state || (sum.end_reason === "still running" ? "Running" : "Unknown");
    $("session-id").textContent = visible(sum.session_id);
    var badge = $("status");
    badge.textContent = visible(status);
    badge.className = "badge " + status;
    $("session-name").textContent = sum.name ? visible(sum.name) : "";
    document.title = visible("Session " + sum.session_id + " · " + status);
    var figs = $("figures");
    clear(figs);
    function fig(label, value) {
      var f = el("div", "figure");
      f.appendChild(el("span", null, label));
      f.appendChild(el("b", null, value));
      figs.appendChild(f);
    }
    fig("Duration", duration(sum.duration_s));
    var gaps = sum.cost_gaps || [];
    fig("Cost", money(sum.cost_usd) + (sum.cost_complete ? "" : " (incomplete" +
        (gaps.length ? ": " + gaps.join("; ") : "") + ")"));
    fig("Tokens", tokens(sum.input_tokens, sum.input_tokens_complete !== false) + " in / " +
        tokens(sum.output_tokens, sum.output_tokens_complete !== false) + " out");
    fig("LLM calls", (sum.llm_calls_complete === false ? "≥ " : "") + String(sum.llm_calls));
    fig("Tool calls", String(sum.tool_calls));
    fig("Actions", String(sum.actions));
    fig("Errors", String(sum.errors));
    fig("Started", sum.start_time ? sum.start_time.replace("T", " ").slice(0, 23) + " UTC" : "unknown");
    if (sum.service_name) { fig("Service", sum.service_name); }
    if (sum.tags.length) { fig("Tags", sum.tags.join(", ")); }
    if (sum.parent_session_id) { fig("Parent session", sum.parent_session_id); }
    fig("Trace", sum.trace_ids.length ? sum.trace_ids.join(", ") : "unknown");
    var reason = $("reason");
    reason.textContent = sum.end_reason ? visible("Reason: " + sum.end_reason) : "";
    reason.hidden = !sum.end_reason;
    var issues = $("issues");
    clear(issues);
    var list = sum.issues.slice();
    if (!sum.complete && !list.length) { list.push("session incomplete"); }
    list.forEach(function (i) { issues.appendChild(el("li", null, i)); });
    issues.hidden = !list.length;
    $("fail-btn").hidden = sum.failed_step_index === null;
  }

  function renderTrack(s) {
    var track = $("track");
    clear(track);
    var total = Math.max(s.summary.duration_s, 1e-9);
    s.steps.forEach(function (st, i) {
      var end = st.offset_s + st.duration_s;
      if (end > total) { total = end; }
    });
    s.steps.forEach(function (st, i) {
      var bar = el("div", "bar b-" + st.kind + (i === s.summary.failed_step_index ? " failed" : ""));
      bar.style.left = (100 * st.offset_s / total) + "%";
      bar.style.width = Math.max(100 * st.duration_s / total, 0.3) + "%";
      bar.style.top = (4 + 10 * Math.min(st.depth, 4)) + "px";
      bar.title = visible(offset(st.offset_s) + " " + st.kind + " " + st.name);
      bar.dataset.index = String(i);
      track.appendChild(bar);
    });
    var cursor = el("div", "cursor");
    cursor.id = "cursor";
    track.appendChild(cursor);
    track.dataset.total = String(total);
  }

  function renderList(s) {
    var list = $("steps");
    clear(list);
    s.steps.forEach(function (st, i) {
      var li = el("li", "step");
      li.dataset.index = String(i);
      if (st.status === "error" || st.kind === "error") { li.classList.add("error"); }
      if (i === s.summary.failed_step_index) { li.classList.add("failed"); }
      li.appendChild(el("span", "off", offset(st.offset_s)));
      var k = el("span", "kind k-" + st.kind, st.kind);
      k.style.marginLeft = (st.depth * 14) + "px";
      li.appendChild(k);
      li.appendChild(el("span", "name", st.name));
      if (st.raised_here || i === s.summary.failed_step_index) {
        var e = errorText(st);
        li.appendChild(el("span", "marker", "← ERROR" + (e ? " " + gist(e, 60) : "")));
      }
      st.flags.forEach(function (f) { li.appendChild(el("span", "flag", f)); });
      var g = gist(st.input, 60);
      if (g) { li.appendChild(el("span", "gist", g)); }
      list.appendChild(li);
    });
    var slider = $("scrub");
    slider.min = "0";
    slider.max = String(Math.max(s.steps.length - 1, 0));
    slider.disabled = s.steps.length === 0;
  }

  function block(parent, title, text, cls) {
    parent.appendChild(el("h3", null, title));
    var p = parse(text);
    if (p.ok && isMessages(p.value)) {
      var wrap = el("div", "messages");
      wrap.dataset.field = title.toLowerCase();
      p.value.forEach(function (m) {
        var box = el("div", "msg");
        box.appendChild(el("div", "role", m.role + (m.finish_reason ? " · " + m.finish_reason : "")));
        box.appendChild(el("pre", null, messageText(m)));
        wrap.appendChild(box);
      });
      parent.appendChild(wrap);
      return;
    }
    var pre = el("pre", cls || null, p.ok && typeof p.value !== "string" ? JSON.stringify(p.value, null, 2)
      : (p.ok ? p.value : text));
    pre.dataset.field = title.toLowerCase();
    parent.appendChild(pre);
  }

  function renderDetails(s, i) {
    var d = $("details");
    clear(d);
    var st = s.steps[i];
    if (!st) { d.appendChild(el("p", "muted", "No steps were recorded in this session.")); return; }
    if (i === s.summary.failed_step_index) { d.appendChild(el("div", "failed-note", "✗ The session failed here")); }
    d.appendChild(el("h2", null, "#" + i + " " + st.kind + " · " + st.name));
    var dl = el("dl");
    function row(k, v) {
      if (v === null || v === undefined || v === "") { return; }
      dl.appendChild(el("dt", null, k));
      dl.appendChild(el("dd", null, v));
    }
    row("Offset", offset(st.offset_s));
    row("Duration", duration(st.duration_s));
    row("Status", st.status);
    row("Span", st.span_name);
    row("Model", st.model);
    if (st.input_tokens !== null || st.output_tokens !== null || st.usage_gap) {
      row("Tokens", tokens(st.input_tokens, !st.usage_gap || st.input_tokens !== null) + " in / " +
          tokens(st.output_tokens, !st.usage_gap || st.output_tokens !== null) + " out");
    }
    if (st.cost_usd !== null) { row("Cost", money(st.cost_usd)); }
    if (st.flags.length) { row("Flags", st.flags.join(", ")); }
    row("Span id", st.span_id);
    row("Parent span", st.parent_span_id);
    row("Trace id", st.trace_id);
    d.appendChild(dl);
    if (st.error) {
      var err = st.error;
      var head = errorText(st);
      if (!st.raised_here) { head += "  (passed through: raised in a nested step)"; }
      block(d, "Error", head + (err.stacktrace ? "\n\n" + err.stacktrace : ""), "err");
    }
    if (st.input !== null) { block(d, "Input", st.input); }
    if (st.output !== null) { block(d, "Output", st.output); }
    var keys = Object.keys(st.attributes);
    if (keys.length) {
      d.appendChild(el("h3", null, "Attributes"));
      var at = el("dl");
      keys.forEach(function (k) {
        var v = st.attributes[k];
        at.appendChild(el("dt", null, k));
        at.appendChild(el("dd", null, typeof v === "string" ? v : JSON.stringify(v)));
      });
      d.appendChild(at);
    }
  }

  function select(i) {
    var s = current(), n = s.steps.length;
    if (n === 0) { state.step = 0; renderDetails(s, 0); $("pos").textContent = "no steps"; return; }
    i = Math.max(0, Math.min(n - 1, i));
    state.step = i;
    var items = $("steps").children;
    for (var j = 0; j < items.length; j++) {
      items[j].classList.toggle("current", j === i);
      items[j].classList.toggle("future", j > i);
    }
    if (items[i] && items[i].scrollIntoView) { items[i].scrollIntoView({ block: "nearest" }); }
    var bars = $("track").querySelectorAll(".bar");
    for (var b = 0; b < bars.length; b++) { bars[b].classList.toggle("sel", b === i); }
    var total = parseFloat($("track").dataset.total || "1");
    $("cursor").style.left = (100 * s.steps[i].offset_s / total) + "%";
    $("scrub").value = String(i);
    var cost = 0, tin = 0, tout = 0, inKnown = true, outKnown = true;
    for (var k = 0; k <= i; k++) {
      var sk = s.steps[k];
      cost += sk.cost_usd || 0; tin += sk.input_tokens || 0; tout += sk.output_tokens || 0;
      if (sk.usage_gap) { inKnown = inKnown && sk.input_tokens !== null; outKnown = outKnown && sk.output_tokens !== null; }
    }
    $("pos").textContent = "Step " + (i + 1) + " / " + n + " · " + offset(s.steps[i].offset_s) +
      " · so far " + money(cost) + ", " + tokens(tin, inKnown) + "/" + tokens(tout, outKnown) + " tok";
    renderDetails(s, i);
  }

  function showSession(idx) {
    state.session = Math.max(0, Math.min(sessions.length - 1, idx));
    $("session-select").value = String(state.session);
    var s = current();
    renderHeader(s);
    renderTrack(s);
    renderList(s);
    var f = s.summary.failed_step_index;
    select(f !== null ? f : 0);
  }

  function move(delta) { select(state.step + delta); }

  function onKey(ev) {
    var t = ev.target;
    if (t && (t.tagName === "SELECT" || t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type !== "range"))) {
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var s = current();
    switch (ev.key) {
      case "ArrowRight": case "j": move(1); break;
      case "ArrowLeft": case "k": move(-1); break;
      case "Home": select(0); break;
      case "End": select(s.steps.length - 1); break;
      case "f":
        if (s.summary.failed_step_index !== null) { select(s.summary.failed_step_index); }
        break;
      default: return;
    }
    ev.preventDefault();
  }

  function init() {
    var sel = $("session-select");
    sessions.forEach(function (s, i) {
      var sum = s.summary;
      var label = sum.session_id + (sum.name ? " — " + sum.name : "") + " (" + (sum.end_state || "Unknown") + ")";
      var opt = el("option", null, label);
      opt.value = String(i);
      sel.appendChild(opt);
    });
    $("session-picker").hidden = sessions.length < 2;
    sel.addEventListener("change", function () { showSession(parseInt(sel.value, 10)); });
    $("scrub").addEventListener("input", function () { select(parseInt($("scrub").value, 10)); });
    $("prev").addEventListener("click", function () { move(-1); });
    $("next").addEventListener("click", function () { move(1); });
    $("fail-btn").addEventListener("click", function () {
      var f = current().summary.failed_step_index;
      if (f !== null) { select(f); }
    });
    $("steps").addEventListener("click", function (ev) {
      var li = ev.target.closest ? ev.target.closest("li") : null;
      if (li) { select(parseInt(li.dataset.index, 10)); }
    });
    $("track").addEventListener("click", function (ev) {
      var t = ev.target;
      if (t.dataset && t.dataset.index !== undefined) { select(parseInt(t.dataset.index, 10)); return; }
      var rect = $("track").getBoundingClientRect();
      var at = (ev.clientX - rect.left) / rect.width * parseFloat($("track").dataset.total || "1");
      var steps = current().steps, best = 0;
      for (var i = 0; i < steps.length; i++) { if (steps[i].offset_s <= at) { best = i; } }
      select(best);
    });
    document.addEventListener("keydown", onKey);
    showSession(0);
  }

  function autotest() {
    var results = [];
    function check(name, ok, detail) { results.push({ name: name, ok: !!ok, detail: detail === undefined ? null : detail }); }
    function press(key) {
      document.body.dispatchEvent(new KeyboardEvent("keydown", { key: key, bubbles: true, cancelable: true }));
    }
    var visited = [];
    sessions.forEach(function (s, si) {
      $("session-select").value = String(si);
      $("session-select").dispatchEvent(new Event("change"));
      var n = s.steps.length, f = s.summary.failed_step_index;
      check("session " + si + " header shows its id", $("session-id").textContent === visible(s.summary.session_id));
      check("session " + si + " opens on the failed step (or the first)", state.step === (f !== null ? f : 0));
      check("session " + si + " lists every step", $("steps").children.length === n);
      if (f !== null) {
        check("session " + si + " failed row highlighted", $("steps").children[f].classList.contains("failed"));
      }
      if (n === 0) { return; }
      press("Home");
      check("session " + si + " Home goes to the first step", state.step === 0);
      for (var i = 0; i < n; i++) {
        var d = $("details");
        var inp = d.querySelector("[data-field=input]");
        visited.push({ session: si, index: state.step, heading: d.querySelector("h2").textContent,
          input: inp ? inp.textContent : null, slider: $("scrub").value });
        if (i < n - 1) { press(i % 2 ? "ArrowRight" : "j"); }
      }
      check("session " + si + " stepping forward reaches the last step", state.step === n - 1);
      press("ArrowRight");
      check("session " + si + " stepping stops at the end", state.step === n - 1);
      press("k");
      check("session " + si + " k steps back", state.step === Math.max(n - 2, 0));
      press("ArrowLeft");
      check("session " + si + " left arrow steps back", state.step === Math.max(n - 3, 0));
      check("session " + si + " slider follows the keyboard", $("scrub").value === String(state.step));
      $("scrub").value = String(n - 1);
      $("scrub").dispatchEvent(new Event("input"));
      check("session " + si + " slider scrubs to the last step", state.step === n - 1);
      check("session " + si + " details follow the slider",
        $("details").querySelector("h2").textContent.indexOf(visible(s.steps[n - 1].name)) >= 0);
      if (f !== null) {
        press("Home"); press("f");
        check("session " + si + " f jumps to the failed step", state.step === f);
      }
    });
    $("session-select").value = "0";
    $("session-select").dispatchEvent(new Event("change"));
    check("no network requests", performance.getEntriesByType("resource").length === 0);
    var report = { ok: results.every(function (r) { return r.ok; }), checks: results, visited: visited,
      errors: window.__agentopsErrors.slice(), sessions: sessions.length, title: document.title };
    var out = $("autotest-result");
    out.textContent = JSON.stringify(report);
    out.setAttribute("data-status", report.ok && !report.errors.length ? "pass" : "fail");
  }

  init();
  if (/[?&#]autotest\b/.test(location.search + location.hash)) {
    try { autotest(); } catch (e) {
      window.__agentopsErrors.push("autotest crashed: " + e);
      $("autotest-result").textContent = JSON.stringify({ ok: false, errors: window.__agentopsErrors });
      $("autotest-result").setAttribute("data-status", "fail");
    }
  }
})();
