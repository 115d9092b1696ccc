// Reads every PromQL query of a Grafana dashboard with Prometheus' own grammar (lezer-promql, the
// parser of Prometheus' web UI) and prints, as JSON, what each one refers to:
//
//   node promql-names.mjs DASHBOARD.json
//   → [{ "expr": "...", "metrics": ["reverb_info"], "labels": ["instance"], "error": null }, ...]
//
// Queries are the panels' targets' "expr" (labels include those of "legendFormat" {{...}}) and the
// query variables' "query" (Grafana's label_values(SELECTOR, LABEL)). Grafana's range variables
// ($__rate_interval...) become a duration before parsing; "error" names a syntax error. Exit code 1
// if any query does not parse, 2 on bad usage.
import { readFileSync } from "node:fs";
import { parser } from "@prometheus-io/lezer-promql";

if (process.argv.length !== 3) {
  console.error("usage: node promql-names.mjs DASHBOARD.json");
  process.exit(2);
}

/** Every query in the dashboard, wherever it is (panels, rows' panels, templating). */
function queries(node, found = []) {
  if (Array.isArray(node)) {
    node.forEach((item) => queries(item, found));
  } else if (node !== null && typeof node === "object") {
    if (typeof node.expr === "string") {
      found.push({ expr: node.expr, legend: node.legendFormat ?? "" });
    }
    if (node.type === "query" && node.query !== undefined) {
      found.push({ expr: typeof node.query === "string" ? node.query : node.query.query, legend: "" });
    }
    Object.entries(node).forEach(([key, value]) => key !== "expr" && queries(value, found));
  }
  return found;
}

function read({ expr, legend }) {
  const labels = new Set([...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]));
  let promql = expr;
  const labelValues = /^\s*label_values\(\s*(?:(.*?)\s*,\s*)?([A-Za-z_]\w*)\s*\)\s*$/.exec(expr);
  if (labelValues) {
    labels.add(labelValues[2]);
    promql = labelValues[1] ?? "";
  }
  // Grafana's interval variables stand where PromQL wants a duration.
  promql = promql.replace(/\$__(rate_interval|interval|range)(_ms|_s)?\b|\$\{__(rate_interval|interval|range)\}/g, "5m");

  const metrics = new Set();
  let error = null;
  if (promql.trim() !== "") {
    parser.parse(promql).iterate({
      enter(node) {
        const text = promql.slice(node.from, node.to);
        if (node.type.isError && error === null) {
          error = `syntax error at ${node.from}: '${promql.slice(Math.max(0, node.from - 10), node.from + 10)}'`;
        } else if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
          metrics.add(text);
        } else if (node.name === "UnquotedLabelMatcher" && /^__name__\s*=\s*"/.test(text)) {
          metrics.add(JSON.parse(text.replace(/^__name__\s*=\s*/, "")));
          return false;
        } else if (node.name === "LabelName") {
          labels.add(text);
        } else if (node.name === "QuotedLabelName") {
          // {"name"} alone is a metric name; in a matcher ({"a.b"="x"}), a label.
          (node.node.parent?.name === "QuotedLabelMatcher" ? labels : metrics).add(JSON.parse(text));
        }
      },
    });
  }
  return { expr, metrics: [...metrics], labels: [...labels], error };
}

const results = queries(JSON.parse(readFileSync(process.argv[2], "utf8"))).map(read);
console.log(JSON.stringify(results));
process.exit(results.some((r) => r.error !== null) ? 1 : 0);
