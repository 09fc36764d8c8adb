// Queue shortcuts: j/k move between rows, d marks the focused row done, s snoozes it a week.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.row")); }
  function current(list) { return list.indexOf(document.activeElement && document.activeElement.closest("tr.row")); }
  function focusRow(list, index) {
    if (!list.length) { return; }
    var row = list[Math.max(0, Math.min(list.length - 1, index))];
    list.forEach(function (r) { r.tabIndex = -1; });
    row.tabIndex = 0;
    row.focus();
  }
  function press(row, action) {
    var button = row && row.querySelector('[data-action="' + action + '"]');
    if (button) { button.click(); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) ||
        target.isContentEditable) { return; }
    var list = rows(), index = current(list);
    if (event.key === "j") { focusRow(list, index + 1); }
    else if (event.key === "k") { focusRow(list, index < 0 ? 0 : index - 1); }
    else if (event.key === "d" && index >= 0) { press(list[index], "done"); }
    else if (event.key === "s" && index >= 0) { press(list[index], "snooze"); }
    else { return; }
    event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () { var list = rows(); if (list.length) { list[0].tabIndex = 0; } });
}());
