// The little JavaScript of the planner's pages: start a plan and follow its progress,
// stop and publish it, move an appointment, issue a victim a new personal link.  Calls the JSON API with the session cookie
// and the X-Medex header that state-changing calls need.
(function () {
  "use strict";
  const headers = { "Content-Type": "application/json", "X-Medex": "1" };
  const $ = (id) => document.getElementById(id);

  async function call(method, url, body) {
    const r = await fetch(url, { method, headers, credentials: "same-origin",
                                 body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { ok: r.ok, status: r.status, data };
  }

  const planning = $("planning");
  if (planning) {
    const week = planning.dataset.week;
    let job = planning.dataset.job;
    const status = $("job-status");
    const message = $("plan-message");

    function show(p) {
      const pr = p.progress || {};
      const parts = [p.status];
      if (pr.best_cost !== null && pr.best_cost !== undefined) parts.push("cost " + pr.best_cost);
      if (pr.bound !== null && pr.bound !== undefined) parts.push("bound " + pr.bound);
      if (pr.elapsed_s !== null && pr.elapsed_s !== undefined) parts.push(pr.elapsed_s.toFixed(1) + " s");
      if (p.scheduled !== null && p.scheduled !== undefined) parts.push(p.scheduled + " scheduled");
      status.textContent = parts.join(", ");
      $("stop-plan").hidden = !["queued", "running", "stopping"].includes(p.status);
      $("publish-plan").hidden = !["done", "stopped"].includes(p.status);
    }

    async function follow() {
      if (!job) return;
      const r = await call("GET", "/api/plans/" + job);
      if (!r.ok) { message.textContent = (r.data && r.data.detail) || "error"; return; }
      show(r.data);
      if (["queued", "running", "stopping"].includes(r.data.status)) {
        setTimeout(follow, 700);
      } else if (["done", "stopped"].includes(r.data.status)) {
        message.textContent = "Plan ready: " + r.data.scheduled + " scheduled, " +
          r.data.unscheduled + " unscheduled.";
        const link = document.createElement("a");
        link.href = "/week?start=" + week + "&plan=" + job;
        link.id = "view-plan-ready";
        link.textContent = " View the plan";
        message.appendChild(link);
      } else if (r.data.status === "failed") {
        message.textContent = "The plan failed: " + r.data.error;
      }
    }

    $("plan-week").addEventListener("click", async () => {
      message.textContent = "";
      const body = { week_start: week, keep_published: !$("unpin").checked,
                     time_limit_s: Number($("time-limit").value) || 20 };
      const r = await call("POST", "/api/plans", body);
      if (!r.ok) { message.textContent = (r.data && r.data.detail) || "error"; return; }
      job = r.data.id;
      show(r.data);
      follow();
    });
    $("stop-plan").addEventListener("click", async () => {
      if (job) await call("DELETE", "/api/plans/" + job);
    });
    $("publish-plan").addEventListener("click", async () => {
      const r = await call("POST", "/api/plans/" + job + "/publish");
      if (!r.ok) { message.textContent = (r.data && r.data.detail) || "error"; return; }
      message.textContent = "Published: " + r.data.created + " new, " + r.data.moved +
        " moved, " + r.data.unchanged + " unchanged.";
      setTimeout(() => { window.location = "/week?start=" + week; }, 600);
    });
    if (["queued", "running", "stopping"].includes(planning.dataset.status)) follow();
  }

  const dialog = $("move-dialog");
  if (dialog) {
    let current = null;
    document.querySelectorAll("button.move").forEach((b) => {
      b.addEventListener("click", () => {
        current = b.dataset.id;
        $("move-ref").textContent = b.closest(".appt").dataset.ref;
        $("move-start").value = b.dataset.start;
        if (b.dataset.doctor) $("move-doctor").value = b.dataset.doctor;
        $("move-message").textContent = "";
        dialog.showModal();
      });
    });
    $("move-cancel").addEventListener("click", () => dialog.close());
    $("move-save").addEventListener("click", async () => {
      const body = { start: $("move-start").value, doctor_id: Number($("move-doctor").value),
                     reason: $("move-reason").value };
      const r = await call("POST", "/api/appointments/" + current + "/move", body);
      if (!r.ok) { $("move-message").textContent = (r.data && r.data.detail) || "error"; return; }
      dialog.close();
      window.location.reload();
    });
  }

  const linkForm = $("link-form");
  if (linkForm) {
    let issuing = false;  // one request at a time: a second would withdraw the link shown
    linkForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (issuing) return;
      issuing = true;
      $("link-issue").disabled = true;
      try { await issue(); } finally { issuing = false; $("link-issue").disabled = false; }
    });

    async function issue() {
      const message = $("link-message");
      const reference = $("link-ref").value.trim();
      message.textContent = "";
      $("link-url").value = "";
      const found = await call("GET", "/api/convocations?reference=" +
                               encodeURIComponent(reference));
      if (!found.ok) { message.textContent = (found.data && found.data.detail) || "error"; return; }
      if (!found.data.items.length) { message.textContent = "No convocation " + reference + "."; return; }
      const r = await call("POST", "/api/convocations/" + found.data.items[0].id + "/link",
                           { withdraw: $("link-withdraw").checked });
      if (!r.ok) { message.textContent = (r.data && r.data.detail) || "error"; return; }
      $("link-url").value = r.data.url;
      message.textContent = (r.data.withdrawn ? "The earlier links no longer work. " : "") +
        "The new link of " + reference + " is valid until " + r.data.last_day + ".";
      $("link-url").select();
    }
  }
})();
