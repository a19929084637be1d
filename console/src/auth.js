// Sign-in on AWS: the Cognito user pool named by config.json (its id and app client id,
// nothing secret), with the user's own password (InitiateAuth USER_PASSWORD_AUTH on the
// public app client). Every API call then carries the user's ID token, which the console
// API's Cognito authorizer checks; the API applies the admin / marketer group rules.
import { getConfig, setAuthorizer } from "./api.js";
import { clear, field, h, input, notice } from "./dom.js";

const KEY = "clarion-session";

async function cognito(target, body) {
  const { region } = getConfig();
  const response = await fetch(`https://cognito-idp.${region}.amazonaws.com/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.message || data.__type || "sign-in failed");
  return data;
}

function expiry(token) {
  try {
    return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp * 1000;
  } catch {
    return 0;
  }
}

function useSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  setAuthorizer(async (url, request) => {
    let current = JSON.parse(sessionStorage.getItem(KEY) || "null") || session;
    if (expiry(current.idToken) - Date.now() < 60_000 && current.refreshToken) {
      const { clientId } = getConfig();
      const refreshed = await cognito("InitiateAuth", {
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: clientId,
        AuthParameters: { REFRESH_TOKEN: current.refreshToken },
      });
      current = { ...current, idToken: refreshed.AuthenticationResult.IdToken };
      sessionStorage.setItem(KEY, JSON.stringify(current));
    }
    return { ...request, headers: { ...request.headers, Authorization: current.idToken } };
  });
}

// Resolves true once signed in; otherwise shows the form and calls `then` after it.
export async function signIn(main, then) {
  const kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
  if (kept && expiry(kept.idToken) > Date.now()) {
    useSession(kept);
    return true;
  }
  const user = input({ autocomplete: "username", required: true });
  const password = input({ type: "password", autocomplete: "current-password", required: true });
  const errors = h("div", { class: "form-errors" });
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        try {
          const { clientId } = getConfig();
          const answer = await cognito("InitiateAuth", {
            AuthFlow: "USER_PASSWORD_AUTH",
            ClientId: clientId,
            AuthParameters: { USERNAME: user.value.trim(), PASSWORD: password.value },
          });
          if (!answer.AuthenticationResult) throw new Error(`${answer.ChallengeName}: finish it in the hosted sign-in first`);
          useSession({ idToken: answer.AuthenticationResult.IdToken, refreshToken: answer.AuthenticationResult.RefreshToken });
          then();
        } catch (error) {
          errors.append(notice(String(error.message || error), "error"));
        }
      },
    },
    h("h1", {}, "Sign in to Clarion"),
    errors,
    field("User name or email", user),
    field("Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  clear(main).append(form);
  user.focus();
  return false;
}
