// Charts on paper. Plotly draws each chart at the width it had on screen, in pixels, so a
// chart drawn on a wide screen would run off an A4 page. Before the page prints (and
// whenever print media is switched on, as a browser's print preview or a PDF export does),
// every chart is redrawn at the size style.css gives it on paper; afterwards it goes back
// to following its container. The sizes below must match the print rules of style.css:
// `.page` is 186 mm (703 px) wide on paper and `.two-up` puts two charts side by side
// with an 8 px gap.
(function () {
  var WIDTH = 703;
  var GAP = 8;
  var SIZES = {
    timeseries: {width: WIDTH, height: 360},
    breakdown: {width: (WIDTH - GAP) / 2, height: 230},
    // The map draws its areas (and its attribution under them) even where the breakdown
    // beside it has nothing: a little lower than the bars, for the page to keep to one sheet.
    map: {width: (WIDTH - GAP) / 2, height: 210},
  };
  var EMPTY_HEIGHT = 70;
  var FONT = 0.8;  // event labels shrink with the chart
  var EMPTY_FONT = 0.65;  // and a "no figures" note fits half the width
  var saved = null;

  function charts() {
    return Object.keys(SIZES).map(function (id) {
      var host = document.getElementById(id);
      var gd = host && (host.classList.contains("js-plotly-plot") ? host
        : host.querySelector(".js-plotly-plot"));
      return gd && gd._fullLayout && window.Plotly ? {id: id, gd: gd} : null;
    }).filter(Boolean);
  }

  function toPaper() {
    if (saved) return;
    saved = charts().map(function (c) {
      var layout = c.gd.layout || {};
      // The height goes back to what it was drawn at: left unset, autosize would keep the
      // paper height, since the chart's container has taken that height meanwhile.
      var before = {
        width: layout.width,
        height: layout.height === undefined ? c.gd._fullLayout.height : layout.height,
        autosize: layout.autosize,
      };
      // A chart with nothing to draw only says why: a line's height on paper.
      var empty = !(c.gd._fullData || []).length;
      var height = empty ? EMPTY_HEIGHT : SIZES[c.id].height;
      var update = {width: SIZES[c.id].width, height: height, autosize: false};
      (c.gd._fullLayout.annotations || []).forEach(function (a, i) {
        var size = ((layout.annotations || [])[i] || {}).font;
        size = size && size.size;
        before["annotations[" + i + "].font.size"] = size;
        var scale = empty ? EMPTY_FONT : FONT;
        update["annotations[" + i + "].font.size"] = Math.round(a.font.size * scale * 10) / 10;
      });
      window.Plotly.relayout(c.gd, update);
      return {gd: c.gd, before: before};
    });
  }

  function toScreen() {
    if (!saved) return;
    saved.forEach(function (s) {
      var restore = {};
      Object.keys(s.before).forEach(function (key) {
        restore[key] = s.before[key] === undefined ? null : s.before[key];
      });
      window.Plotly.relayout(s.gd, restore);
    });
    saved = null;
  }

  window.addEventListener("beforeprint", toPaper);
  var print = window.matchMedia && window.matchMedia("print");
  // Still on print media after printing (a PDF export with print media emulated): stay on
  // paper until the media changes back.
  window.addEventListener("afterprint", function () { if (!(print && print.matches)) toScreen(); });
  if (print) {
    print.addEventListener("change", function (e) { (e.matches ? toPaper : toScreen)(); });
  }
})();
