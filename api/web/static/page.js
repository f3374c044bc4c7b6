// What a script adds to pages that work without one (CSP: script-src 'self', no inline code).
// 1. Print buttons (data-print): shown only where a script runs; they open the print dialog.
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});
// 2. Date lists that follow an act list (data-follows="<id of the act select>"): only the chosen
//    act's redactions are offered, its defaults (data-default) selected.
document.querySelectorAll("select[data-follows]").forEach(function (dates) {
  var act = document.getElementById(dates.getAttribute("data-follows"));
  if (!act) return;
  function follow() {
    var chosen = null;
    dates.querySelectorAll("optgroup").forEach(function (g) {
      var mine = g.getAttribute("data-act") === act.value;
      g.hidden = !mine; g.disabled = !mine;
      if (mine) chosen = g;
    });
    if (chosen && (!dates.selectedOptions.length || dates.selectedOptions[0].parentNode !== chosen)) {
      var d = chosen.querySelector("option[data-default]") || chosen.querySelector("option");
      if (d) d.selected = true;
    }
  }
  act.addEventListener("change", follow);
  follow();
});
