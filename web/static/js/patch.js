// RFC 7386 JSON Merge Patch, applied in place.

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Apply `patch` to `target` and return the result: objects merge deeply, `null` deletes a
 * key, anything else (arrays included) replaces. `target` is changed in place when it is an
 * object; the return value is what the caller must keep.
 */
export function applyMergePatch(target, patch) {
  if (!isObject(patch)) return patch;
  const result = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = applyMergePatch(result[key], value);
    }
  }
  return result;
}
