// Draws the dashboard's charts from the JSON the page carries (labels already translated).
(function () {
  const source = document.getElementById("gq-charts");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = {
    done: "#198754", in_progress: "#ffc107", not_started: "#adb5bd", overdue: "#dc3545",
    green: "#198754", yellow: "#ffc107", red: "#dc3545", "": "#6c8ebf",
  };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;

  const byUnion = document.getElementById("chart-by-union");
  if (byUnion) {
    new Chart(byUnion, {
      type: "bar",
      data: {
        labels: data.by_union.labels,
        datasets: [{
          label: data.by_union.label,
          data: data.by_union.values,
          backgroundColor: data.by_union.lights.map((light) => colours[light]),
        }],
      },
      options: { indexAxis: "y", scales: { x: { min: 0, max: 100 } }, plugins: { legend: { display: false } } },
    });
  }
  const timeline = document.getElementById("chart-timeline");
  if (timeline) {
    new Chart(timeline, {
      type: "line",
      data: {
        labels: data.timeline.points.map((point) => point.label),
        datasets: [{
          label: data.timeline.label,
          data: data.timeline.points.map((point) => point.y),
          borderColor: colours.done, backgroundColor: colours.done, stepped: true,
        }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const statuses = document.getElementById("chart-statuses");
  if (statuses) {
    new Chart(statuses, {
      type: "doughnut",
      data: {
        labels: data.statuses.labels,
        datasets: [{
          data: data.statuses.values,
          backgroundColor: data.statuses.keys.map((key) => colours[key]),
        }],
      },
      options: { plugins: { legend: { position: "bottom" } } },
    });
  }
})();
