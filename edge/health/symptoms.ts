/**
 * What the morning check records. Symptoms are the WS/T 772-2020 school symptom surveillance list,
 * with hand-foot-mouth signs as their own box (kindergartens, lower primary).
 */
export const SYMPTOMS = [
  'fever',
  'cough',
  'headache',
  'sore-throat',
  'swollen-parotid',
  'abdominal-pain',
  'diarrhoea',
  'vomiting',
  'rash',
  'dizziness',
  'fatigue',
  'red-eyes',
  'jaundice',
  'hand-foot-mouth',
] as const;
export type Symptom = (typeof SYMPTOMS)[number];

/** Symptom groups the 2006 reporting rules count as "similar" (fever, rash, diarrhoea, vomiting, jaundice). */
export const CLUSTER_CATEGORIES = ['fever', 'rash', 'diarrhoea', 'vomiting', 'jaundice'] as const;
/** The outbreak signals of clusters.ts, and what each counts. */
export const CLUSTER_RULES = [
  'similar-3-in-1-day',
  'similar-5-in-3-days',
  'hfmd-2-in-7-days',
  'ili-10-in-7-days',
] as const;
export const SIGNAL_CATEGORIES = [...CLUSTER_CATEGORIES, 'hand-foot-mouth', 'influenza-like'] as const;
export type ClusterCategory = (typeof CLUSTER_CATEGORIES)[number];

export const ABSENCE_REASONS = ['illness', 'personal', 'other', 'unknown'] as const;
export type AbsenceReason = (typeof ABSENCE_REASONS)[number];
