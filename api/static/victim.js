// Progressive enhancement of the victims' pages; everything works without it.
//  - moves the focus to the error summary or the confirmation (for browsers that ignore
//    autofocus on a non-control), so that a screen reader reads it first;
//  - draws the small map of the place when Leaflet loaded (the tiles need the internet;
//    the address, station and walking time are in the text above it), and hides it
//    again when no tile can be had.
(function () {
  "use strict";
  var target = document.getElementById("error-summary") ||
    (document.querySelector("#notice[tabindex]"));
  if (target && document.activeElement !== target) target.focus();

  var map = document.getElementById("map");
  if (map && window.L) {
    var lat = Number(map.dataset.lat), lon = Number(map.dataset.lon);
    if (isFinite(lat) && isFinite(lon)) {
      map.hidden = false;
      var m = window.L.map(map, { scrollWheelZoom: false, keyboard: false, zoomControl: false })
        .setView([lat, lon], 15);
      var loaded = 0, failed = 0;
      window.L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
        maxZoom: 19, attribution: "&copy; OpenStreetMap"
      }).on("tileload", function () { loaded += 1; })
        .on("tileerror", function () {
          // no tile at all (offline, blocked): an empty grey box helps nobody
          failed += 1;
          if (loaded === 0 && failed >= 3) map.hidden = true;
        }).addTo(m);
      window.L.circleMarker([lat, lon], { radius: 9, color: "#1d4f91", weight: 3 }).addTo(m);
      // the map is a picture with a name (role=img): keep its inner links out of Tab order
      map.querySelectorAll("a, [tabindex]").forEach(function (el) {
        el.setAttribute("tabindex", "-1");
      });
    }
  }
})();
