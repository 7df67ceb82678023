// The console's schema explorer: the root fields of the schema (queries, mutations and
// subscriptions) with their arguments and descriptions, from an introspection query.

import { gql } from "../../api.js";
import { errorBox, field, h, loading, replace } from "../../dom.js";

const TYPE_REF = "fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";
const ROOT_FIELDS = "name fields { name description args { name type { ...TypeRef } defaultValue } type { ...TypeRef } }";
const SCHEMA = `query ConsoleSchema {
  __schema { queryType { ${ROOT_FIELDS} } mutationType { ${ROOT_FIELDS} } subscriptionType { ${ROOT_FIELDS} } }
}
${TYPE_REF}`;

/** The explorer, a closed card that loads the schema the first time it is opened. */
export function schemaExplorer() {
  const body = h("div", { class: "schema-body" });
  let loaded = false;
  const details = h(
    "details",
    {
      class: "card schema-explorer",
      ontoggle: () => {
        if (details.open && !loaded) {
          loaded = true;
          load();
        }
      },
    },
    h("summary", {}, h("h2", { text: "Schema: queries, mutations and subscriptions" })),
    body,
  );
  const load = async () => {
    replace(body, loading("Loading the schema…"));
    try {
      const { __schema: schema } = await gql(SCHEMA);
      showSchema(body, schema);
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED") return;
      replace(body, errorBox(error, load));
    }
  };
  return details;
}

function showSchema(body, schema) {
  const roots = [
    ["Query", schema.queryType],
    ["Mutation", schema.mutationType],
    ["Subscription", schema.subscriptionType],
  ].filter(([, type]) => type);
  const filter = h("input", { type: "search", name: "schema-filter", autocomplete: "off", placeholder: "Field name or word of its description" });
  const lists = roots.map(([label, type]) => {
    const items = [...type.fields]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((f) =>
        h(
          "li",
          { class: "schema-field", "data-search": `${f.name} ${f.description ?? ""}`.toLowerCase() },
          h("code", { class: "schema-signature" }, h("strong", { text: f.name }), f.args.length ? `(${f.args.map((a) => `${a.name}: ${typeName(a.type)}${a.defaultValue !== null ? ` = ${a.defaultValue}` : ""}`).join(", ")})` : "", `: ${typeName(f.type)}`),
          f.description ? h("p", { class: "hint", text: f.description }) : null,
        ),
      );
    return h("section", { class: "schema-root", "aria-label": `${label} fields` }, h("h3", { text: `${label} (${type.fields.length})` }), h("ul", {}, items));
  });
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().trim();
    for (const item of body.querySelectorAll(".schema-field")) item.hidden = Boolean(words) && !item.dataset.search.includes(words);
    for (const root of body.querySelectorAll(".schema-root")) root.hidden = !root.querySelector(".schema-field:not([hidden])");
  });
  replace(body, field("Filter", filter), h("div", { class: "schema-roots" }, lists));
}

function typeName(type) {
  if (!type) return "?";
  if (type.kind === "NON_NULL") return `${typeName(type.ofType)}!`;
  if (type.kind === "LIST") return `[${typeName(type.ofType)}]`;
  return type.name;
}
