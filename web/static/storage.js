// Web storage may be unavailable (private windows, strict settings): reads give null,
// writes and removals quietly do nothing.

export function storageGet(storage, key) {
  try { return window[storage].getItem(key); } catch { return null; }
}
export function storageSet(storage, key, value) {
  try { window[storage].setItem(key, value); } catch { /* keep going without it */ }
}
export function storageRemove(storage, key) {
  try { window[storage].removeItem(key); } catch { /* nothing to remove */ }
}
