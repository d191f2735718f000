/* Sổ Gốc Số — draws each Vega-Lite spec the progress pages embed as
 * <script type="application/json" class="vl-spec" data-target="ID">…</script> into the element ID.
 * Vega runs with its expression interpreter (no eval: the page's Content-Security-Policy forbids it).
 * If the scripts fail, the tables beside the charts still carry every number. */
(function () {
  'use strict';
  function draw() {
    if (!window.vegaEmbed || !window.vegaInterpreter) return;
    var specs = document.querySelectorAll('script.vl-spec');
    for (var i = 0; i < specs.length; i++) {
      var el = document.getElementById(specs[i].getAttribute('data-target'));
      if (!el) continue;
      var spec = JSON.parse(specs[i].textContent);
      window.vegaEmbed(el, spec, {
        actions: false,
        renderer: 'svg',
        ast: true,
        expr: window.vegaInterpreter.expressionInterpreter
      }).then(function (result) {
        result.view.container().setAttribute('data-drawn', 'true');
      }).catch(function (err) {
        el.setAttribute('data-error', String(err));
      });
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
