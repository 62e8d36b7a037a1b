import { useEffect, useState } from 'preact/hooks';
import { consoleApi, type RolloutItem, type RolloutsAnswer } from './api.js';
import { bytes, w } from './words.js';

const STATE_WORD = { active: 'rolloutActive', halted: 'rolloutHalted', done: 'rolloutDone' } as const;
const STATE_PILL = { active: 'warn', halted: 'bad', done: 'ok' } as const;
/** The outcomes in the order an update goes through them; the last three are final. */
const OUTCOMES = [
  ['installed', 'outcomeInstalled'],
  ['rolled-back', 'outcomeRolledBack'],
  ['failed', 'outcomeFailed'],
  ['installing', 'outcomeInstalling'],
  ['downloading', 'outcomeDownloading'],
  ['offered', 'outcomeOffered'],
] as const;

/**
 * Why a rollout stopped, in the page's language: the district writes its own two reasons in English
 * (rollout-store.ts); a person's reason for a halt is shown as they wrote it.
 */
function reasonText(reason: string): string {
  const failed = /^(\d+) of (\d+) reported failed or rolled back \(more than ([\d.]+)\)$/.exec(reason);
  if (failed)
    return w('reasonFailed')
      .replace('{failed}', failed[1] ?? '')
      .replace('{reported}', failed[2] ?? '')
      .replace('{share}', String(Math.round(Number(failed[3]) * 100)));
  const all = /^all (\d+) of the ring reported$/.exec(reason);
  if (all) return w('reasonAll').replace('{n}', all[1] ?? '');
  const byHand = /^halted by ([^:]+): (.*)$/s.exec(reason);
  if (byHand)
    return w('reasonByHand')
      .replace('{who}', byHand[1] ?? '')
      .replace('{why}', byHand[2] ?? '');
  return reason;
}

/** A ring as the CLI writes it (pilot, all, school:<name>, list:<ids>), in words. */
function ringText(ring: string): string {
  if (ring === 'pilot') return w('ringPilot');
  if (ring === 'all') return w('ringAll');
  if (ring.startsWith('school:')) return `${w('ringSchool')} ${ring.slice('school:'.length)}`;
  if (ring.startsWith('list:')) {
    const ids = ring.slice('list:'.length).split(',');
    return `${w('ringList').replace('{n}', String(ids.length))}: ${ids.join(', ')}`;
  }
  return ring;
}

/** How far a rollout got: a bar of its ring by outcome, and the counts in words (not colour alone). */
function Progress({ r }: { r: RolloutItem }) {
  const of = Math.max(r.ringSize, 1);
  return (
    <div>
      <div class="progress" role="img" aria-label={`${r.counts.installed} / ${r.ringSize}`}>
        {OUTCOMES.map(([k]) =>
          r.counts[k] > 0 ? <span class={`seg ${k}`} style={{ width: `${(100 * r.counts[k]) / of}%` }} /> : null,
        )}
      </div>
      <span class="small" data-testid="outcomes">
        {OUTCOMES.filter(([k]) => r.counts[k] > 0)
          .map(([k, word]) => `${w(word)} ${r.counts[k]}`)
          .join(' · ') || '—'}{' '}
        / {r.ringSize}
      </span>
    </div>
  );
}

function Halt({ r, done }: { r: RolloutItem; done: (r: RolloutItem) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  if (!open)
    return (
      <button type="button" data-testid={`halt-${r.id}`} onClick={() => setOpen(true)}>
        {w('halt')}
      </button>
    );
  return (
    <form
      class="halt"
      onSubmit={(e) => {
        e.preventDefault();
        consoleApi.haltRollout(r.id, reason).then(
          (a) => a.rollouts[0] && done(a.rollouts[0]),
          (err: Error) => setError(`${w('loadFailed')}: ${err.message}`),
        );
      }}
    >
      <label>
        {w('haltReason')}
        <input name="reason" maxLength={300} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={!reason.trim()}>
        {w('haltConfirm')}
      </button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

/**
 * The district's rollouts (docs/fleet-updates.md): each one's ring, window, state and how far its
 * appliances got. District IT may halt an active one; the district halts one by itself past its
 * failure share, and the reason shows here.
 */
export function RolloutsPage() {
  const [data, setData] = useState<RolloutsAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const load = (): void =>
      void consoleApi.rollouts().then(setData, (e: Error) => setError(`${w('loadFailed')}: ${e.message}`));
    load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, []);
  const replace = (r: RolloutItem): void =>
    setData((d) => d && { ...d, rollouts: d.rollouts.map((x) => (x.id === r.id ? r : x)) });
  return (
    <section>
      <h2>{w('rolloutsTitle')}</h2>
      {error && <p class="error">{error}</p>}
      {data && data.rollouts.length === 0 && <p class="muted">{w('noRollouts')}</p>}
      {data && data.rollouts.length > 0 && (
        <table class="fleet" data-testid="rollouts">
          <thead>
            <tr>
              <th>#</th>
              <th>{w('version')}</th>
              <th>{w('rolloutRing')}</th>
              <th>{w('rolloutWindow')}</th>
              <th>{w('rolloutState')}</th>
              <th>{w('rolloutProgress')}</th>
              {data.mayHalt && <th />}
            </tr>
          </thead>
          <tbody>
            {data.rollouts.map((r) => (
              <tr data-rollout={r.id}>
                <td>{r.id}</td>
                <td>
                  {r.version} <span class="muted small">{bytes(r.size)}</span>
                </td>
                <td>{ringText(r.ring)}</td>
                <td>{r.window ? `${r.window.from}–${r.window.to}` : w('anyTimeOutsideLessons')}</td>
                <td>
                  <span class={`pill ${STATE_PILL[r.state]}`} data-testid="state">
                    {w(STATE_WORD[r.state])}
                  </span>
                  {r.reason && (
                    <div class="small muted" data-testid="reason">
                      {reasonText(r.reason)}
                    </div>
                  )}
                  <div class="small muted">
                    {w('maxFailure')} {Math.round(r.maxFailureShare * 100)} %
                  </div>
                </td>
                <td>
                  <Progress r={r} />
                </td>
                {data.mayHalt && <td>{r.state === 'active' && <Halt r={r} done={replace} />}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
