// Whether autograd records operations (torch.no_grad / enable_grad).

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

export function setGradEnabled(flag: boolean): void {
  enabled = flag;
}

function withGradMode<T>(flag: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = flag;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Runs `fn` without recording gradients. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with gradient recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
