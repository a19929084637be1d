// Sign-in on AWS: the Cognito user pool named by config.json (its id and app client id,
// nothing secret), with the user's own password (InitiateAuth USER_PASSWORD_AUTH on the
// public app client), then whatever challenge the pool asks (RespondToAuthChallenge):
// NEW_PASSWORD_REQUIRED (a user created by an admin sets their own password),
// SOFTWARE_TOKEN_MFA (a code from an authenticator app) and SMS_MFA (a code sent by SMS),
// one after the other if the pool chains them. Every API call then carries the user's ID
// token, which the console API's Cognito authorizer checks; the API applies the admin /
// marketer group rules.
import { getConfig, setAuthorizer } from "./api.js";
import { button, clear, field, h, input, notice } from "./dom.js";

const KEY = "clarion-session";

// Cognito's error answer ({"__type": "CodeMismatchException", "message": ...}).
class CognitoError extends Error {
  constructor(data) {
    super(data.message || data.Message || data.__type || "sign-in failed");
    this.type = String(data.__type || "").split("#").pop();
  }
}

async function cognito(target, body) {
  const { region } = getConfig();
  const response = await fetch(`https://cognito-idp.${region}.amazonaws.com/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new CognitoError(data);
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

// The message shown under one field (the others cleared), or at the top of the form.
function showError(form, error, target) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const top = clear(form.querySelector(".form-errors"));
  const message = String(error?.message || error);
  if (target) {
    form.querySelector(`#${CSS.escape(target.id)}-error`).textContent = message;
    target.setAttribute("aria-invalid", "true");
    target.focus();
  } else {
    top.append(notice(message, "error"));
  }
}

function finish(result, then) {
  useSession({ idToken: result.IdToken, refreshToken: result.RefreshToken });
  then();
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
  const form = h(
    "form",
    {
      class: "card narrow",
      "aria-label": "Sign in",
      onsubmit: async (event) => {
        event.preventDefault();
        const username = user.value.trim();
        try {
          const { clientId } = getConfig();
          const answer = await cognito("InitiateAuth", {
            AuthFlow: "USER_PASSWORD_AUTH",
            ClientId: clientId,
            AuthParameters: { USERNAME: username, PASSWORD: password.value },
          });
          next(main, answer, username, then);
        } catch (error) {
          // A wrong password or an unknown user: Cognito says which, beside the password.
          const byField = { UserNotFoundException: user, NotAuthorizedException: password, PasswordResetRequiredException: password, UserNotConfirmedException: user };
          showError(form, error, byField[error.type]);
        }
      },
    },
    h("h1", {}, "Sign in to Clarion"),
    h("div", { class: "form-errors" }),
    field("User name or email", user),
    field("Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  clear(main).append(form);
  user.focus();
  return false;
}

// After InitiateAuth or a challenge's answer: signed in, or the next challenge's form.
function next(main, answer, username, then) {
  if (answer.AuthenticationResult) {
    finish(answer.AuthenticationResult, then);
    return;
  }
  const challenge = answer.ChallengeName;
  const parameters = answer.ChallengeParameters || {};
  // Cognito names the user by its internal id in the challenge when it has one.
  const who = parameters.USER_ID_FOR_SRP || parameters.USERNAME || username;
  if (challenge === "NEW_PASSWORD_REQUIRED") {
    challengeForm(main, answer, who, then, {
      title: "Set a new password",
      explain: "Your password was set by an administrator: choose your own to continue.",
      fields: [
        ["New password", "NEW_PASSWORD", { type: "password", autocomplete: "new-password" }],
        ["Repeat the new password", "REPEAT", { type: "password", autocomplete: "new-password" }],
      ],
      submit: "Set the password and sign in",
      check: (values, inputs) => (values.NEW_PASSWORD !== values.REPEAT ? [inputs.REPEAT, "The two passwords differ."] : null),
      errorField: (error, inputs) => (["InvalidPasswordException", "InvalidParameterException"].includes(error.type) ? inputs.NEW_PASSWORD : null),
    });
  } else if (challenge === "SOFTWARE_TOKEN_MFA" || challenge === "SMS_MFA") {
    const sms = challenge === "SMS_MFA";
    const where = parameters.CODE_DELIVERY_DESTINATION;
    challengeForm(main, answer, who, then, {
      title: "Enter your code",
      explain: sms ? `Enter the code sent by SMS${where ? ` to ${where}` : ""}.` : "Enter the six-digit code from your authenticator app.",
      fields: [[sms ? "SMS code" : "Authenticator code", `${challenge}_CODE`, { autocomplete: "one-time-code", inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 }]],
      submit: "Verify and sign in",
      check: (values, inputs) => (/^[0-9]{6}$/.test(values[`${challenge}_CODE`]) ? null : [inputs[`${challenge}_CODE`], "The code is six digits."]),
      errorField: (error, inputs) => (["CodeMismatchException", "ExpiredCodeException", "InvalidParameterException"].includes(error.type) ? inputs[`${challenge}_CODE`] : null),
    });
  } else {
    const form = h("div", { class: "card narrow" }, h("h1", {}, "Sign in to Clarion"), notice(`${challenge}: this sign-in step is not offered by the console; finish it in the user pool's hosted sign-in first.`, "error"), button("Start again", () => signIn(main, then)));
    clear(main).append(form);
  }
}

function challengeForm(main, answer, username, then, spec) {
  const inputs = {};
  const fields = spec.fields.map(([label, key, props]) => {
    inputs[key] = input({ required: true, ...props });
    return field(label, inputs[key]);
  });
  const form = h(
    "form",
    {
      class: "card narrow",
      "aria-label": spec.title,
      // The console's own checks, so each message is shown beside its field.
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
        const problem = spec.check(values, inputs);
        if (problem) {
          showError(form, problem[1], problem[0]);
          return;
        }
        const responses = { USERNAME: username };
        for (const [k, v] of Object.entries(values)) if (k !== "REPEAT") responses[k] = k === "NEW_PASSWORD" ? inputs[k].value : v;
        try {
          const reply = await cognito("RespondToAuthChallenge", {
            ChallengeName: answer.ChallengeName,
            ClientId: getConfig().clientId,
            Session: answer.Session,
            ChallengeResponses: responses,
          });
          next(main, reply, username, then);
        } catch (error) {
          // A session past its few minutes cannot be answered again: start over.
          if (error.type === "NotAuthorizedException" && /session/i.test(error.message)) {
            showError(form, `${error.message}: start again.`);
            return;
          }
          showError(form, error, spec.errorField(error, inputs));
        }
      },
    },
    h("h1", {}, spec.title),
    h("p", {}, spec.explain),
    h("div", { class: "form-errors" }),
    fields,
    h("button", { type: "submit" }, spec.submit),
    button("Start again", () => signIn(main, then), { class: "small" }),
  );
  clear(main).append(form);
  Object.values(inputs)[0].focus();
}
