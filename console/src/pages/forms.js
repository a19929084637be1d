// Errors from the API shown next to the field they name (by data-field prefix), the
// rest at the top of the form.
import { ApiError } from "../api.js";
import { clear, notice } from "../dom.js";

export function clearErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const top = form.querySelector(".form-errors");
  if (top) clear(top);
}

export function showErrors(form, error) {
  clearErrors(form);
  const top = form.querySelector(".form-errors");
  const problems = error instanceof ApiError ? error.problems : [{ field: "", reason: String(error) }];
  for (const problem of problems) {
    const target = bestField(form, problem.field);
    if (target) {
      const message = form.querySelector(`#${CSS.escape(target.id)}-error`);
      message.textContent = `${problem.field}: ${problem.reason}`;
      target.setAttribute("aria-invalid", "true");
    } else if (top) {
      top.append(notice(problem.field ? `${problem.field}: ${problem.reason}` : problem.reason, "error"));
    }
  }
}

// The input whose data-field is the longest prefix of the field the API named.
function bestField(form, name) {
  if (!name) return null;
  let best = null;
  for (const el of form.querySelectorAll("[data-field]")) {
    const key = el.dataset.field;
    if ((name === key || name.startsWith(`${key}.`) || name.startsWith(`${key}[`)) && (!best || key.length > best.dataset.field.length)) {
      best = el;
    }
  }
  return best;
}
