// Validates Kubernetes manifests offline against Kubernetes' OpenAPI schemas, as compiled into the
// kubernetes-models package: types, required fields, enumerations and formats of every object.
//
//   node k8s-validate.mjs [--json] FILE...
//
// Each YAML document of each FILE is checked by the model of its apiVersion and kind. Errors go to
// standard error, one line each ("FILE: Kind/name: /path must be integer"); the exit code is 1 if
// there is any, 2 on bad usage. With --json, standard output is a JSON array of the documents
// ({ file, object }) so that a caller can check facts about them without a YAML parser of its own.
//
// Not checked: fields the schemas do not know (a misspelt optional field passes, as it does in
// kubectl's client-side validation of old; the API server's strict field validation rejects it).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const json = args[0] === "--json";
const files = json ? args.slice(1) : args;
if (files.length === 0) {
  console.error("usage: node k8s-validate.mjs [--json] FILE...");
  process.exit(2);
}

/** The model class for apiVersion and kind ("v1" is the core group), or null if the package has none. */
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[a-z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion)) {
    return null;
  }
  try {
    const group = await import(`kubernetes-models/${apiVersion}`);
    return typeof group[kind] === "function" ? group[kind] : null;
  } catch {
    return null;
  }
}

const documents = [];
let failures = 0;
const fail = (message) => {
  console.error(message);
  failures++;
};

for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`${file}: ${error.message}`);
    continue;
  }
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      document.errors.forEach((error) => fail(`${file}: ${error.message.split("\n")[0]}`));
      continue;
    }
    const object = document.toJS();
    if (object === null || object === undefined) {
      continue; // an empty document, e.g. after a trailing ---
    }
    const what = `${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
    const Model = await modelFor(object.apiVersion, object.kind);
    if (Model === null) {
      fail(`${file}: ${what}: no Kubernetes schema for apiVersion '${object.apiVersion}' kind '${object.kind}'`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      for (const e of error.errors ?? [{ instancePath: "", message: error.message }]) {
        fail(`${file}: ${what}: ${e.instancePath || "/"} ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : ""}`);
      }
      continue;
    }
    documents.push({ file, object });
    if (!json) {
      console.log(`${file}: ${what} valid`);
    }
  }
}

if (json) {
  console.log(JSON.stringify(documents));
}
process.exit(failures > 0 ? 1 : 0);
