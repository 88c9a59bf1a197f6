// The admin console's one way to the JSON admin API (DESIGN §3 "Admin API").
//
// Same origin, with the login cookie; every write is JSON (the server's same-origin
// check refuses cross-site writes). An answer is {ok, status, data} or
// {ok: false, status, error: {code, message, field?}} — never a thrown error, so each
// caller decides where the message goes.

const NETWORK = { code: "network", message: "The server could not be reached. Please try again." };

export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, error: NETWORK };
  }
  if (response.status === 204) return { ok: true, status: 204, data: null };
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return { ok: true, status: response.status, data, headers: response.headers };
  const error = (data && data.error && typeof data.error === "object")
    ? data.error
    : { code: "error", message: `The server answered ${response.status}.` };
  if (response.status === 401) {
    error.message = "Your sign-in has ended. Sign in again to keep working.";
  }
  return { ok: false, status: response.status, error };
}
