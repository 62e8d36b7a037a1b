import {
  CLUSTER_CATEGORIES,
  type ClusterCategory,
  type Symptom,
  type CLUSTER_RULES,
  type SIGNAL_CATEGORIES,
} from './symptoms.js';

/**
 * Class-level outbreak signals from the 2006 reporting rules (shared/domain/health-check.md),
 * computed on the appliance, offline. A case is one student on one day with what was found that
 * day: a confirmed fever and the symptoms recorded at the check or for an illness absence.
 */
export interface Case {
  pseudonym: string;
  day: string;
  symptoms: readonly Symptom[];
  feverC?: number;
}

export interface ClusterSignal {
  rule: (typeof CLUSTER_RULES)[number];
  category: (typeof SIGNAL_CATEGORIES)[number];
  firstDay: string;
  lastDay: string;
  cases: number;
  pseudonyms: string[];
}

const DAY = 86_400_000;
const dayNo = (d: string): number => Math.round(Date.parse(`${d}T00:00:00Z`) / DAY);

/** Which similar-symptom groups a case belongs to. */
function categories(c: Case): ClusterCategory[] {
  const s = new Set<string>(c.symptoms);
  if (c.feverC !== undefined) s.add('fever');
  return CLUSTER_CATEGORIES.filter((k) => s.has(k));
}

/** Influenza-like illness: at least 38 °C with cough or sore throat. */
function isIli(c: Case): boolean {
  return (c.feverC ?? 0) >= 38 && (c.symptoms.includes('cough') || c.symptoms.includes('sore-throat'));
}

/**
 * Distinct students among the cases inside [today - (days - 1), today] that match, each by their
 * earliest matching case: a signal's first day must not depend on the order the cases come in (a
 * student ill at home yesterday and at the door today is one case from yesterday, not a cluster
 * that starts today and is raised a second time).
 */
function window(cases: readonly Case[], today: string, days: number, match: (c: Case) => boolean): Case[] {
  const end = dayNo(today);
  const seen = new Map<string, Case>();
  for (const c of cases) {
    const d = dayNo(c.day);
    if (d > end || d <= end - days || !match(c)) continue;
    const had = seen.get(c.pseudonym);
    if (!had || c.day < had.day) seen.set(c.pseudonym, c);
  }
  return [...seen.values()];
}

function signal(rule: ClusterSignal['rule'], category: ClusterSignal['category'], hits: Case[]): ClusterSignal {
  const days = hits.map((c) => c.day).sort();
  return {
    rule,
    category,
    firstDay: days[0] as string,
    lastDay: days.at(-1) as string,
    cases: hits.length,
    pseudonyms: hits.map((c) => c.pseudonym).sort(),
  };
}

/** Every rule that fires for one class on `today`, given its cases of the last week or more. */
export function evaluateClusters(cases: readonly Case[], today: string): ClusterSignal[] {
  const out: ClusterSignal[] = [];
  for (const cat of CLUSTER_CATEGORIES) {
    const inCat = (c: Case): boolean => categories(c).includes(cat);
    const oneDay = window(cases, today, 1, inCat);
    if (oneDay.length >= 3) out.push(signal('similar-3-in-1-day', cat, oneDay));
    const threeDays = window(cases, today, 3, inCat);
    if (threeDays.length >= 5) out.push(signal('similar-5-in-3-days', cat, threeDays));
  }
  const hfmd = window(cases, today, 7, (c) => c.symptoms.includes('hand-foot-mouth'));
  if (hfmd.length >= 2) out.push(signal('hfmd-2-in-7-days', 'hand-foot-mouth', hfmd));
  const ili = window(cases, today, 7, isIli);
  if (ili.length >= 10) out.push(signal('ili-10-in-7-days', 'influenza-like', ili));
  return out;
}
