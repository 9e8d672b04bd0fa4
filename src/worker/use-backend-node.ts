import { loadNativeAddon } from '../backend/native/load-addon.js';
import { createNativeBackend } from '../backend/native/native-backend.js';
import { backend, listBackends, registerBackend, setBackend } from '../backend/registry.js';

/**
 * Make backend `name` (the main thread's `st.backend()`) the active one in a worker thread,
 * registering the native addon there first when it is asked for and not registered yet.
 */
export function useBackend(name: string): void {
  if (backend() === name) return;
  if (name === 'native' && !listBackends().includes('native')) {
    const addon = loadNativeAddon(true);
    if (addon) registerBackend(createNativeBackend(addon));
  }
  setBackend(name);
}
