// Charts (Chart.js, shipped in the bundle): only the parts the console draws.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { h } from "../dom.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.animation = false;

const COLOURS = ["#2d6cdf", "#1b9e77", "#7570b3", "#e7298a", "#d95f02", "#a6761d", "#666666", "#66a61e", "#e6ab02"];

export function chart(type, labels, datasets, title, { linearX = false } = {}) {
  const canvas = h("canvas", { role: "img", "aria-label": title });
  const box = h("figure", { class: "chart" }, h("figcaption", {}, title), h("div", { class: "chart-box" }, canvas));
  new Chart(canvas, {
    type,
    data: { labels, datasets: datasets.map((d, i) => ({ backgroundColor: COLOURS[i % COLOURS.length], borderColor: COLOURS[i % COLOURS.length], ...d })) },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      scales: linearX ? { x: { type: "linear", min: 0, max: 1 }, y: { beginAtZero: true, max: 1 } } : { y: { beginAtZero: true } },
    },
  });
  return box;
}
