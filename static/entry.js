// The daily entry form without losing what was typed: every keystroke is
// kept in this browser (localStorage, per crossing and day) until the
// server confirms the save (its redirect carries saved=1), so a dropped
// connection, a reload, or a session that ended mid-form costs nothing.
// A draft is filled back in only while the day is still at the version it
// was typed against; otherwise the page says so and lets the person
// choose. It also keeps the totals of loaded trucks up to date. The form
// works fully without this script.
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  var notice = document.getElementById("draft-notice");
  if (!form || !notice) return;
  var store;
  try { store = window.localStorage; store.getItem("x"); } catch (e) { store = null; }
  var key = form.getAttribute("data-draft-key");
  var base = form.getAttribute("data-base-version");
  var prefix = key.slice(0, key.lastIndexOf(":") + 1);

  function fields() {
    return form.querySelectorAll("input[name*='.'], textarea[name=edit_reason]");
  }
  function currentValues() {
    var values = {};
    fields().forEach(function (f) { if (f.value !== "") values[f.name] = f.value; });
    return values;
  }
  function read(k) {
    try { return JSON.parse(store.getItem(k)); } catch (e) { return null; }
  }
  function save() {
    if (!store) return;
    var values = currentValues();
    try {
      if (Object.keys(values).length === 0) store.removeItem(key);
      else store.setItem(key, JSON.stringify({ base: base, at: Date.now(), values: values }));
    } catch (e) { /* storage full or refused: the form still works */ }
  }
  function same(a, b) { return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b)); }
  function sorted(o) {
    var out = {};
    Object.keys(o).sort().forEach(function (k) { out[k] = o[k]; });
    return out;
  }

  // Totals: a count typed with Arabic-Indic digits counts too.
  function digits(s) {
    return s.replace(/[\u0660-\u0669]/g, function (d) { return d.charCodeAt(0) - 0x0660; })
      .replace(/[\u06F0-\u06F9]/g, function (d) { return d.charCodeAt(0) - 0x06F0; });
  }
  function updateTotals() {
    form.querySelectorAll("output[data-total-for]").forEach(function (out) {
      var sum = 0;
      form.querySelectorAll("input[data-loaded][data-direction='" + out.getAttribute("data-total-for") + "']").forEach(function (f) {
        var v = digits(f.value.trim());
        if (/^\d+$/.test(v)) sum += parseInt(v, 10);
      });
      out.textContent = sum.toLocaleString(document.documentElement.lang || undefined);
    });
  }

  function fill(values) {
    Object.keys(values).forEach(function (name) {
      var f = form.elements.namedItem(name);
      if (!f || f.type === "hidden") return;
      f.value = values[name];
      var details = f.closest("details");
      if (details && values[name] !== "") details.open = true;
    });
    updateTotals();
  }
  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }
  function say(text) {
    var p = document.createElement("p");
    p.textContent = text;
    notice.appendChild(p);
    notice.hidden = false;
    return p;
  }
  function discard() {
    try { store.removeItem(key); } catch (e) { /* nothing to remove */ }
    location.reload();
  }

  form.addEventListener("input", function () { save(); updateTotals(); });

  if (!store) return;
  var params = new URLSearchParams(location.search);
  if (params.get("saved") === "1") {
    store.removeItem(key);
    params.delete("saved");
    history.replaceState(null, "", location.pathname + "?" + params.toString());
  } else if (form.getAttribute("data-rerender") === "true") {
    save(); // the server shows what was typed: keep it, against the version now shown
  } else {
    var draft = read(key);
    if (draft && draft.values && !same(draft.values, currentValues())) {
      if (String(draft.base) === base) {
        fill(draft.values);
        say(notice.getAttribute("data-restored")).appendChild(button(notice.getAttribute("data-discard"), discard));
      } else {
        var p = say(notice.getAttribute("data-stale"));
        p.appendChild(button(notice.getAttribute("data-restore"), function () {
          fill(draft.values);
          save();
          p.remove();
        }));
        p.appendChild(button(notice.getAttribute("data-discard"), discard));
      }
    }
  }
  // Unsaved figures of other days at this crossing, e.g. typed before a
  // session ended and the sign-in led back to today.
  for (var i = 0; i < store.length; i++) {
    var k = store.key(i);
    if (k && k !== key && k.indexOf(prefix) === 0) {
      var day = k.slice(prefix.length);
      var a = document.createElement("a");
      a.href = location.pathname + "?date=" + encodeURIComponent(day);
      a.textContent = notice.getAttribute("data-other").replace("{date}", day);
      say("").appendChild(a);
    }
  }
})();
