// Running totals on the scoring page. The server recomputes on save and is the source of truth;
// this mirrors qc/scoring.py so the assessor sees the effect of each deduction as it is typed.
(function () {
  "use strict";
  var form = document.getElementById("qc-score-form");
  var configNode = document.getElementById("qc-config");
  if (!form || !configNode) { return; }
  var config = JSON.parse(configNode.textContent);

  // Points are handled in tenths, as integers, so 0.1 + 0.2 stays 0.3.
  function tenths(text) { return Math.round(parseFloat(text) * 10); }
  function round1(x) { return Math.round(x * 10 + 1e-7) / 10; }
  function show(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value === null ? "—" : value.toFixed(1); }
  }

  function recompute() {
    var sheets = {}, groups = {}, failures = [];
    config.sheets.forEach(function (s) { sheets[s.id] = { part: s.part, max: 0, earned: 0 }; });
    form.querySelectorAll("input[data-line]").forEach(function (input) {
      var max = tenths(input.dataset.max);
      var per = input.dataset.per ? tenths(input.dataset.per) : 0;
      var occurrences = form.elements["o-" + input.dataset.line];
      var deducted = 0;
      if (input.value.trim() !== "") {
        deducted = tenths(input.value);
      } else if (per && occurrences && occurrences.value.trim() !== "") {
        deducted = per * (parseInt(occurrences.value, 10) || 0);
      }
      if (isNaN(deducted)) { deducted = 0; }
      deducted = Math.max(0, Math.min(deducted, max));
      var earned = max - deducted;
      var sheet = sheets[input.dataset.sheet];
      sheet.max += max;
      sheet.earned += earned;
      var group = groups[input.dataset.group] || (groups[input.dataset.group] = 0);
      groups[input.dataset.group] = group + earned;
      show("a-" + input.dataset.line, earned / 10);
      if (input.dataset.key && earned < max * parseFloat(config.keyRatio)) { failures.push(input.dataset.code); }
    });
    Object.keys(groups).forEach(function (key) { show("g-" + key, groups[key] / 10); });

    var parts = { institution: [], work_sample: [] };
    Object.keys(sheets).forEach(function (id) {
      var s = sheets[id];
      var score = s.max ? round1(s.earned / s.max * 100) : null;
      show("w-" + id, s.earned / 10);
      show("s-" + id, score);
      if (score !== null) { parts[s.part].push(score); }
    });
    var weighted = 0, weights = 0;
    Object.keys(parts).forEach(function (part) {
      var scores = parts[part], score = null;
      if (scores.length) {
        if (part === "work_sample" && config.averaging === "lowest") {
          score = Math.min.apply(null, scores);
        } else {
          score = round1(scores.reduce(function (a, b) { return a + b; }, 0) / scores.length);
        }
        weighted += score * parseFloat(config.weights[part]);
        weights += parseFloat(config.weights[part]);
      }
      show("p-" + part, score);
    });
    var total = weights ? round1(weighted / weights) : null;
    show("total", total);

    var grade = "", passed = null;
    if (total !== null) {
      for (var i = 0; i < config.bands.length; i++) {
        if (total >= parseFloat(config.bands[i][1])) { grade = config.bands[i][0]; passed = config.bands[i][2]; break; }
      }
      if (failures.length && config.keyFails) {
        if (passed) {
          var failing = config.bands.filter(function (b) { return !b[2]; })[0];
          if (failing) { grade = failing[0]; }
        }
        passed = false;
      }
    }
    var gradeNode = document.getElementById("grade");
    if (gradeNode) {
      gradeNode.innerHTML = "";
      var badge = document.createElement("span");
      badge.className = "badge" + (passed ? " ok" : passed === false ? " bad" : "");
      badge.textContent = grade || "—";
      gradeNode.appendChild(badge);
    }
    var keyNode = document.getElementById("key-failures");
    if (keyNode) {
      keyNode.hidden = !failures.length;
      if (failures.length) { keyNode.textContent = keyNode.dataset.label + "：" + failures.join("、"); }
    }
  }

  form.addEventListener("input", recompute);
})();
