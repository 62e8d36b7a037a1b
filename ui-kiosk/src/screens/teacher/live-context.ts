import { createContext } from 'preact';
import type { LiveClient } from '../../live.js';

/** The panel's one live connection, shared by every teacher screen. */
export const LiveContext = createContext<LiveClient | undefined>(undefined);
