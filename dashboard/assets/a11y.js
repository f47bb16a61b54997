// Repairs for accessibility faults inside Dash's own components (dcc.Dropdown and
// dcc.DatePickerRange as of Dash 4.4), applied whenever the page changes:
// - the dropdown's focus target is focusable although aria-hidden (it is what Tab reaches);
// - the date picker's wrapper carries type="button" and labels pointing at "undefined";
// - the data table's page buttons have no accessible name.
(function () {
  var PAGES = {"first-page": "First page", "previous-page": "Previous page",
               "next-page": "Next page", "last-page": "Last page"};
  function repair(root) {
    Object.keys(PAGES).forEach(function (cls) {
      root.querySelectorAll("button." + cls).forEach(function (el) {
        if (el.getAttribute("aria-label") !== PAGES[cls]) el.setAttribute("aria-label", PAGES[cls]);
      });
    });
    // The focus target is how the keyboard reaches a dropdown: name it instead of hiding it.
    root.querySelectorAll(".dash-dropdown-focus-target[aria-hidden='true']").forEach(function (el) {
      var label = el.closest(".filter") && el.closest(".filter").querySelector("label");
      el.removeAttribute("aria-hidden");
      el.setAttribute("aria-label", label ? label.textContent : "Choose");
    });
    root.querySelectorAll(".dash-datepicker-input-wrapper").forEach(function (el) {
      if (el.hasAttribute("type")) el.removeAttribute("type");
      var ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(function (id) {
        return id && id !== "undefined" && document.getElementById(id);
      });
      var wanted = ids.join(" ");
      if (el.getAttribute("aria-labelledby") !== wanted) {
        if (wanted) el.setAttribute("aria-labelledby", wanted);
        else el.removeAttribute("aria-labelledby");
      }
      if (el.hasAttribute("aria-haspopup") && !el.getAttribute("role")) el.setAttribute("role", "group");
    });
  }
  new MutationObserver(function () { repair(document); }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["aria-hidden", "type", "aria-labelledby", "aria-label"],
  });
  document.addEventListener("DOMContentLoaded", function () { repair(document); });
})();
