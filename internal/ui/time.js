// Shows each <time datetime="…T…Z"> of the page in the reader's time zone
// and language; without script the page shows the time in UTC, labelled as
// such. Parts a page's own script puts in later are rewritten too.
(function () {
  'use strict';
  var format;
  try {
    format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short'
    });
  } catch (e) {
    return;
  }
  function local(root) {
    var ts = root.querySelectorAll ? root.querySelectorAll('time[datetime]:not([data-local])') : [];
    for (var i = 0; i < ts.length; i++) {
      var t = ts[i], v = t.getAttribute('datetime');
      if (v.indexOf('T') < 0) continue; // a date alone has no time zone
      var d = new Date(v);
      if (isNaN(d.getTime())) continue;
      t.setAttribute('data-local', '');
      t.title = t.textContent;
      t.textContent = format.format(d);
    }
  }
  function start() {
    local(document);
    if (window.MutationObserver) {
      new MutationObserver(function (ms) {
        for (var i = 0; i < ms.length; i++) {
          for (var j = 0; j < ms[i].addedNodes.length; j++) local(ms[i].addedNodes[j]);
        }
      }).observe(document.body, {childList: true, subtree: true});
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
