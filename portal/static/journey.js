// The journey page's live status: while an answer is expected, ask the
// portal what changed and update the page in place — the status region
// (role="status", announced politely), the step indicator, each
// requirement whose state changed, and the actions below. A requirement
// whose state did not change is never touched, so whatever the user ticked
// or typed there stays.
// Without this script the page offers a "check again" button.
(function () {
  "use strict";
  var region = document.getElementById("journey-status");
  if (!region) return;
  var url = region.getAttribute("data-poll");
  if (!url) return;
  var delay = 2000, maxDelay = 15000, left = 400; // at most ~1.5 h of asking

  function replace(el, html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    var next = tpl.content.firstElementChild;
    if (next) el.replaceWith(next);
  }

  function apply(s) {
    var p = document.createElement("div");
    p.innerHTML = s.status;
    if (region.textContent.trim() !== p.textContent.trim()) region.innerHTML = s.status;
    (s.requirements || []).forEach(function (r) {
      var li = document.getElementById(r.id);
      if (li && li.getAttribute("data-state") !== r.state) replace(li, r.html);
    });
    var steps = document.getElementById("journey-steps");
    if (steps && s.steps && steps.innerHTML.trim() !== s.steps.trim()) steps.innerHTML = s.steps;
    var actions = document.getElementById("journey-actions");
    if (actions && actions.innerHTML.trim() !== s.actions.trim()) actions.innerHTML = s.actions;
    if (!s.poll) {
      var again = document.querySelector("form.check-again");
      if (again) again.hidden = true;
    }
  }

  function ask() {
    if (--left < 0) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (resp) {
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        return resp.json();
      })
      .then(function (s) {
        apply(s);
        delay = 2000;
        if (s.poll) setTimeout(ask, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, maxDelay);
        setTimeout(ask, delay);
      });
  }
  setTimeout(ask, delay);
})();
