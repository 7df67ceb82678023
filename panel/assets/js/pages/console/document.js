// What the console reads from the text it is given: the operations a GraphQL document defines
// (to tell a subscription from a query) and the variables as JSON.

/** The variables text as an object (empty text: none); throws with a message for the field. */
export function parseVariables(text) {
  if (!text.trim()) return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The variables are not valid JSON: ${error.message}`);
  }
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw new Error("The variables must be a JSON object, such as { \"first\": 10 }.");
  return value;
}

/**
 * The operations a GraphQL document defines, `{ type, name }` in order (fragments left out):
 * enough to tell a subscription from a query. Strings and comments are skipped; anything the
 * server would refuse is left for it to say.
 */
export function operations(source) {
  const ops = [];
  let depth = 0;
  let pending = null;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === "#") {
      while (i < n && source[i] !== "\n" && source[i] !== "\r") i++;
      continue;
    }
    if (c === '"') {
      if (source.startsWith('"""', i)) {
        let end = source.indexOf('"""', i + 3);
        while (end > 0 && source[end - 1] === "\\") end = source.indexOf('"""', end + 3);
        i = end < 0 ? n : end + 3;
      } else {
        i += 1;
        while (i < n && source[i] !== '"' && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
        i += 1;
      }
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /\w/.test(source[j])) j++;
      const word = source.slice(i, j);
      i = j;
      if (depth === 0) {
        if (!pending && ["query", "mutation", "subscription", "fragment"].includes(word)) pending = { type: word, name: null, named: false };
        else if (pending && !pending.named) {
          pending.name = word;
          pending.named = true;
        }
      }
      continue;
    }
    if (c === "{" || c === "(" || c === "[") {
      if (depth === 0 && c === "{" && !pending) pending = { type: "query", name: null, named: true };
      if (depth === 0 && pending) pending.named = true;
      depth += 1;
    } else if (c === "}" || c === ")" || c === "]") {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && c === "}" && pending) {
        if (pending.type !== "fragment") ops.push({ type: pending.type, name: pending.name });
        pending = null;
      }
    } else if (c === "@" && depth === 0 && pending) {
      pending.named = true;
    }
    i += 1;
  }
  return ops;
}
