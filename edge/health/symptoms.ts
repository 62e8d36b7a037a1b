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
export type ClusterCategory = (typeof CLUSTER_CATEGORIES)[number];

export const ABSENCE_REASONS = ['illness', 'personal', 'other', 'unknown'] as const;
export type AbsenceReason = (typeof ABSENCE_REASONS)[number];
