// The what-if page: build the scenario from the form, POST /api/whatif, show the report.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("whatif-form");
  if (!form) return;

  function langs(text) {
    return text.split(/[+;, ]+/).map((s) => s.trim()).filter((s) => s);
  }

  function request() {
    const changes = [];
    document.querySelectorAll("#wi-centres tbody tr").forEach((tr) => {
      const id = tr.dataset.id;
      if (tr.querySelector(".wi-close").checked) { changes.push({ close: id }); return; }
      const rooms = tr.querySelector(".wi-rooms").value;
      if (rooms && rooms !== tr.dataset.rooms) changes.push({ rooms: id, value: Number(rooms) });
      const l = tr.querySelector(".wi-langs").value;
      if (l && l !== tr.dataset.langs) changes.push({ languages: id, value: langs(l) });
    });
    const addId = $("wi-add-id").value.trim();
    const where = $("wi-add-where").value.trim();
    if (addId && where) {
      const add = { add: addId, languages: langs($("wi-add-langs").value || "fr") };
      if (/^\d{4}$/.test(where)) add.postcode = where; else add.station = where;
      changes.push(add);
    }
    const modes = {};
    [["best", "wi-best"], ["car", "wi-car"], ["pt", "wi-pt"]].forEach(([k, id]) => {
      const v = Number($(id).value || 0);
      if (v > 0) modes[k] = v;
    });
    const body = { scenarios: [], modes: Object.keys(modes).length ? modes : null,
                   demand: $("wi-demand").value,
                   schedule_weeks: Number($("wi-weeks").value || 0) };
    if ($("wi-from").value) body.period_from = $("wi-from").value;
    if ($("wi-to").value) body.period_to = $("wi-to").value;
    if (changes.length) body.scenarios.push({ name: $("wi-name").value || "scenario", changes });
    if ($("wi-opt").checked) {
      body.optimise = { p: Number($("wi-p").value), method: $("wi-method").value,
                        candidates: $("wi-cands").value,
                        keep: $("wi-keep").checked ? "all" : "none",
                        capacitated: $("wi-cap").checked,
                        radius: Number($("wi-radius").value || 45) };
    }
    return body;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const status = $("wi-status");
    status.textContent = "working…";
    $("wi-run").disabled = true;
    try {
      const r = await fetch("/api/whatif", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Medex": "1" },
        body: JSON.stringify(request()) });
      const data = await r.json();
      if (!r.ok) { status.textContent = "error: " + (data.detail || r.status); return; }
      status.textContent = "done: " + data.scenarios.map((s) =>
        s.scenario + " " + s.mean_min.toFixed(1) + " min mean").join("; ");
      $("wi-links").innerHTML = '<a id="wi-open" target="_blank" href="' + data.report_url +
        '">open the report</a> · <a href="' + data.csv_url + '">comparison CSV</a> · <a href="' +
        data.json_url + '">metrics JSON</a>';
      $("wi-report").src = data.report_url;
      $("wi-result").hidden = false;
    } catch (e) {
      status.textContent = "error: " + e;
    } finally {
      $("wi-run").disabled = false;
    }
  });
})();
