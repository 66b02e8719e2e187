// Bote's only script: copy buttons, upload progress, print. Everything works without it.
"use strict";
document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    input.select();
    var done = function () { button.setAttribute("aria-live", "polite"); button.textContent = "\u2713"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});

// Upload links: drag and drop, a check of each file against the link's limits before sending,
// a progress bar per file and a message per file. Without this script the form posts as is.
document.querySelectorAll("form[data-upload]").forEach(function (form) {
  var input = form.querySelector("input[type=file]");
  var list = form.querySelector("[data-upload-list]");
  var errorBox = form.querySelector("[data-upload-error]");
  var zone = form.querySelector("[data-drop-zone]");
  var submit = form.querySelector("button[type=submit]");
  var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };
  var num = function (name) {
    var v = form.getAttribute("data-" + name);
    return v === null || v === "" ? null : Number(v);
  };
  var perFile = num("per-file"), totalLeft = num("total-left"), filesLeft = num("files-left");
  var rows = [];

  var showError = function (text) {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  };

  var render = function () {
    list.textContent = "";
    rows = [];
    var files = Array.prototype.slice.call(input.files || []);
    var total = 0, problem = false;
    files.forEach(function (file, i) {
      total += file.size;
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      var note = document.createElement("span");
      note.className = "upload-note";
      if (perFile !== null && file.size > perFile) { note.textContent = msg("too-large"); problem = true; }
      else if (filesLeft !== null && i >= filesLeft) { note.textContent = msg("too-many"); problem = true; }
      else if (totalLeft !== null && total > totalLeft) { note.textContent = msg("total"); problem = true; }
      li.appendChild(name);
      li.appendChild(bar);
      li.appendChild(note);
      list.appendChild(li);
      rows.push({ file: file, bar: bar, note: note });
    });
    submit.disabled = problem;
    showError("");
  };

  input.addEventListener("change", render);
  if (zone) {
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        render();
      }
    });
  }

  form.addEventListener("submit", function (e) {
    if (!window.FormData || !window.XMLHttpRequest || !form.checkValidity()) { return; }
    e.preventDefault();
    submit.disabled = true;
    showError("");
    rows.forEach(function (r) { r.note.textContent = msg("sending"); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (ev) {
      if (!ev.lengthComputable) { return; }
      // The files travel one after the other: each bar fills with its share of the bytes.
      var sent = ev.loaded * rows.reduce(function (s, r) { return s + r.file.size; }, 0) / ev.total;
      rows.forEach(function (r) {
        var done = Math.max(0, Math.min(r.file.size, sent));
        r.bar.value = r.file.size ? (100 * done / r.file.size) : 100;
        sent -= r.file.size;
      });
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
      if (xhr.status === 201 && body && body.receipt_url) {
        rows.forEach(function (r) { r.bar.value = 100; r.note.textContent = msg("done"); });
        window.location.assign(body.receipt_url);
        return;
      }
      var problem = body && body.error ? body.error : null;
      rows.forEach(function (r) {
        r.note.textContent = problem && problem.file === r.file.name ? problem.message : "";
      });
      showError(problem && problem.message ? problem.message : msg("failed"));
      submit.disabled = false;
    });
    xhr.addEventListener("error", function () {
      showError(msg("failed"));
      submit.disabled = false;
    });
    xhr.send(new FormData(form));
  });
});

document.querySelectorAll("button[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
