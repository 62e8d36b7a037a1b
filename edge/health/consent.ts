/**
 * What a guardian's consent can be (PIPL arts. 29 and 31): given, refused, or given and later
 * withdrawn. A student with nothing recorded counts as not consenting. Shared by the register, the
 * API contract and the kiosk, so it imports nothing.
 */
export const CONSENT_STATUSES = ['given', 'refused', 'withdrawn'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];
