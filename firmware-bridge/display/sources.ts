/**
 * The inputs a panel can show. Its own module without imports, so that the API contract (and with
 * it the kiosk, which lists them as buttons) takes the list from here instead of copying it.
 */
export const SOURCES = ['hdmi1', 'hdmi2', 'ops', 'whiteboard'] as const;
export type Source = (typeof SOURCES)[number];
