// The panel's only way to the server: GraphQL over HTTP (queries, mutations, file uploads),
// GraphQL over WebSocket (the graphql-transport-ws protocol, for subscriptions) and the
// OpenAI-compatible chat endpoint. The API token lives in sessionStorage: it is gone when the
// browser tab closes.

const TOKEN_KEY = "tuner.token";

/** The signed-in token, kept for this browser session only. */
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

let unauthenticated = () => {};

/** Calls `handler(error)` whenever the server no longer accepts the token. */
export function onUnauthenticated(handler) {
  unauthenticated = handler;
}

/** A failed GraphQL request: `errors` as the server sent them (message, extensions.code, extensions.field). */
export class ApiError extends Error {
  constructor(message, errors = [], status = 0) {
    super(message);
    this.name = "ApiError";
    this.errors = errors;
    this.status = status;
  }

  /** The first error's code (`BAD_USER_INPUT`, `NOT_FOUND`, ...), or `NETWORK`. */
  get code() {
    return this.errors[0]?.extensions?.code ?? "NETWORK";
  }

  /** Messages of the errors that name an input field, by field (`name`, `exchanges[0].prompt`). */
  get fieldErrors() {
    const fields = {};
    for (const error of this.errors) {
      const field = error.extensions?.field;
      if (field && !(field in fields)) fields[field] = error.message;
    }
    return fields;
  }
}

function authorization(token) {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function readGraphQLAnswer(response, token = session.token) {
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} ${response.statusText} instead of a GraphQL result.`, [], response.status);
  }
  if (body.errors?.length) {
    const error = new ApiError(body.errors.map((e) => e.message).join("\n"), body.errors, response.status);
    // A token being tried at sign-in is not the session's: its refusal is the form's to show.
    if (error.code === "UNAUTHENTICATED" && token === session.token) unauthenticated(error);
    throw error;
  }
  return body.data;
}

async function send(request) {
  try {
    return await fetch("/graphql", request);
  } catch (cause) {
    throw new ApiError(`The server cannot be reached (${cause.message}). Check that tuner is running and try again.`);
  }
}

/**
 * Runs a query or mutation and returns its `data`; throws `ApiError` when the answer has errors.
 * `token` defaults to the session's (the sign-in form passes the one being tried).
 */
export async function gql(query, variables = {}, { token = session.token } = {}) {
  const response = await send({
    method: "POST",
    headers: { "content-type": "application/json", ...authorization(token) },
    body: JSON.stringify({ query, variables }),
  });
  return readGraphQLAnswer(response, token);
}

/**
 * Runs a mutation with one file (the GraphQL multipart request convention): `file` becomes the
 * variable `fileVariable`.
 */
export async function upload(query, variables, fileVariable, file) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables: { ...variables, [fileVariable]: null } }));
  form.append("map", JSON.stringify({ 0: [`variables.${fileVariable}`] }));
  form.append("0", file, file.name);
  const response = await send({ method: "POST", headers: authorization(session.token), body: form });
  return readGraphQLAnswer(response);
}

/**
 * Follows a subscription over its own WebSocket. `handlers.next(data)` gets each result,
 * `handlers.error(apiError)` a failure, `handlers.complete()` the end. A dropped connection is
 * opened again after a pause (the server sends the whole state first). Returns `stop()`.
 */
export function subscribe(query, variables, handlers) {
  let socket = null;
  let stopped = false;
  let retryDelay = 500;
  let retryTimer = null;

  const open = () => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/graphql`, "graphql-transport-ws");
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "connection_init", payload: authorization(session.token) }));
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      switch (message.type) {
        case "connection_ack":
          retryDelay = 500;
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
          break;
        case "ping":
          socket.send(JSON.stringify({ type: "pong" }));
          break;
        case "next":
          if (message.payload?.errors?.length) {
            fail(message.payload.errors);
          } else {
            handlers.next?.(message.payload.data);
          }
          break;
        case "error":
          fail(message.payload);
          break;
        case "complete":
          stopped = true;
          socket.close(1000);
          handlers.complete?.();
          break;
      }
    });
    socket.addEventListener("close", (event) => {
      if (stopped) return;
      if (event.code === 4401 || event.code === 4403) {
        stopped = true;
        const error = new ApiError("The server no longer accepts this token.", [{ message: event.reason, extensions: { code: "UNAUTHENTICATED" } }]);
        unauthenticated(error);
        handlers.error?.(error);
        return;
      }
      handlers.reconnecting?.();
      retryTimer = setTimeout(open, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10_000);
    });
  };

  const fail = (errors) => {
    const list = Array.isArray(errors) ? errors : [errors];
    const error = new ApiError(list.map((e) => e.message).join("\n"), list);
    stopped = true;
    socket?.close(1000);
    if (error.code === "UNAUTHENTICATED") unauthenticated(error);
    handlers.error?.(error);
  };

  open();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  };
}

/**
 * One chat completion through tuner's OpenAI-compatible endpoint. Returns
 * `{ reply, systemPrompt, body }`; throws an `ApiError` with OpenAI's error message.
 */
export async function chat(model, messages) {
  let response;
  try {
    response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", ...authorization(session.token) },
      body: JSON.stringify({ model, messages }),
    });
  } catch (cause) {
    throw new ApiError(`The server cannot be reached (${cause.message}).`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // An answer without JSON is reported below by its status.
  }
  if (!response.ok) {
    const message = body?.error?.message ?? `The chat endpoint answered ${response.status}.`;
    throw new ApiError(message, [{ message, extensions: { code: body?.error?.code ?? String(response.status) } }], response.status);
  }
  return {
    reply: body?.choices?.[0]?.message?.content ?? "",
    systemPrompt: response.headers.get("x-tuner-system-prompt"),
    body,
  };
}
