import { useEffect, useState } from 'preact/hooks';
import type { LiveEvents } from '../../../edge/messages.js';
import { api } from '../api.js';
import { t, lang, type MessageKey, formatClock } from '../i18n.js';
import { useObservable } from '../store.js';
import { reportError } from '../hooks.js';
import type { LiveClient } from '../live.js';

type Room = LiveEvents['room.state'];
type RoomSwitch = Room['switches'][number];

const SCENE_KEYS = {
  lesson: 'roomctl.scene.lesson',
  break: 'roomctl.scene.break',
  projection: 'roomctl.scene.projection',
  leave: 'roomctl.scene.leave',
} as const satisfies Record<NonNullable<Room['scene']>['id'], MessageKey>;

const ROLE_KEYS = {
  'fresh-air': 'roomctl.role.freshAir',
  lights: 'roomctl.role.lights',
  'screen-lights': 'roomctl.role.screenLights',
  other: 'roomctl.role.other',
} as const satisfies Record<RoomSwitch['role'], MessageKey>;

const hhmm = formatClock;

/**
 * The room's switches and scenes for the teacher: one tap for 上课 / 下课 / 投影 / 离开; each switch
 * as its device confirmed it (开, 关, or 未确认 when the device has not answered), whether the room or
 * a person decides it and until when, and why. Hidden when room control is off.
 */
export function RoomControl({ live }: { live: LiveClient }) {
  useObservable(lang);
  const [room, setRoom] = useState<Room | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  useEffect(() => {
    api('GET /api/v1/room').then(setRoom, reportError);
    return live.frames.subscribe((f) => {
      if (f?.type === 'room.state') setRoom(f.data);
    });
  }, [live]);
  if (!room?.enabled) return null;

  const scene = async (id: keyof typeof SCENE_KEYS): Promise<void> => {
    setBusy(id);
    try {
      setRoom(await api('POST /api/v1/room/scene', { body: { scene: id } }));
    } catch (err) {
      reportError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const move = async (id: string, motion: 'open' | 'close' | 'stop'): Promise<void> => {
    setBusy(id);
    try {
      setRoom(await api('POST /api/v1/room/curtains/:id', { params: { id }, body: { motion } }));
    } catch (err) {
      reportError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const set = async (s: RoomSwitch, mode: 'on' | 'off' | 'auto'): Promise<void> => {
    setBusy(s.id);
    try {
      setRoom(await api('POST /api/v1/room/switches/:id', { params: { id: s.id }, body: { mode } }));
    } catch (err) {
      reportError(err);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="card roomctl" data-testid="room-control" data-scene={room.scene?.id ?? ''}>
      <h2>{t('roomctl.title')}</h2>
      <div class="roomctl-scenes">
        {(Object.keys(SCENE_KEYS) as (keyof typeof SCENE_KEYS)[]).map((id) => (
          <button
            type="button"
            class={`btn big ${room.scene?.id === id ? 'primary' : ''}`}
            data-testid={`scene-${id}`}
            disabled={busy !== undefined}
            onClick={() => void scene(id)}
          >
            {t(SCENE_KEYS[id])}
          </button>
        ))}
      </div>
      {room.scene && (
        <p class="hint" data-testid="room-scene">
          {t('roomctl.sceneSince', {
            scene: t(SCENE_KEYS[room.scene.id]),
            time: hhmm(room.scene.since),
            by: room.scene.by === 'timetable' ? t('roomctl.byTimetable') : t('roomctl.byTeacher'),
          })}
        </p>
      )}
      {room.sizing.undersized && room.switches.some((s) => s.role === 'fresh-air') && (
        <p class="warn" data-testid="room-undersized">
          {t('roomctl.undersized', {
            settles: Math.round(room.sizing.steadyPpm),
            need: Math.round(room.sizing.requiredUnitM3h),
            have: room.sizing.unitM3h,
          })}
        </p>
      )}
      <div class="roomctl-switches">
        {room.switches.map((s) => {
          const state = s.status?.state ?? 'unknown';
          return (
            <div
              class={`roomctl-switch state-${state}`}
              data-testid={`switch-${s.id}`}
              data-state={state}
              data-mode={s.mode}
              data-source={s.source}
            >
              <div class="roomctl-name">{s.label ?? t(ROLE_KEYS[s.role])}</div>
              <div class="roomctl-state">
                {t(state === 'on' ? 'roomctl.on' : state === 'off' ? 'roomctl.off' : 'roomctl.unknown')}
                {s.status?.pending && ` · ${t('roomctl.pending')}`}
              </div>
              <div class="roomctl-why">
                {s.why.code === 'by-hand-only'
                  ? ''
                  : `${
                      s.source === 'override' && s.overrideUntil
                        ? t('roomctl.byHandUntil', { time: hhmm(s.overrideUntil) })
                        : s.mode === 'auto'
                          ? t('roomctl.auto')
                          : t('roomctl.byScene')
                    } · `}
                {t(`roomctl.why.${s.why.code}`, {
                  ...(s.why.n !== undefined ? { n: s.why.n } : {}),
                  ...(s.why.m !== undefined ? { m: s.why.m } : {}),
                })}
              </div>
              <div class="roomctl-buttons">
                <button
                  type="button"
                  class="btn"
                  data-testid={`switch-${s.id}-on`}
                  disabled={busy !== undefined}
                  onClick={() => void set(s, 'on')}
                >
                  {t('roomctl.turnOn')}
                </button>
                <button
                  type="button"
                  class="btn"
                  data-testid={`switch-${s.id}-off`}
                  disabled={busy !== undefined}
                  onClick={() => void set(s, 'off')}
                >
                  {t('roomctl.turnOff')}
                </button>
                {s.source === 'override' && (
                  <button
                    type="button"
                    class="btn"
                    data-testid={`switch-${s.id}-auto`}
                    disabled={busy !== undefined}
                    onClick={() => void set(s, 'auto')}
                  >
                    {t('roomctl.giveBack')}
                  </button>
                )}
              </div>
            </div>
          );
        })}
        {room.curtains.map((c) => (
          <div class="roomctl-switch" data-testid={`curtain-${c.id}`} data-moving={c.moving ?? ''}>
            <div class="roomctl-name">{c.label ?? t('roomctl.curtain')}</div>
            <div class="roomctl-state">
              {c.moving === 'opening'
                ? t('roomctl.opening')
                : c.moving === 'closing'
                  ? t('roomctl.closing')
                  : c.position === null
                    ? t('roomctl.positionUnknown')
                    : c.position >= 0.99
                      ? t('roomctl.open')
                      : c.position <= 0.01
                        ? t('roomctl.closed')
                        : t('roomctl.partly', { pct: Math.round(c.position * 100) })}
            </div>
            <div class="roomctl-why">{c.lastError ? t('roomctl.curtainFailed') : ''}</div>
            <div class="roomctl-buttons">
              <button
                type="button"
                class="btn"
                data-testid={`curtain-${c.id}-open`}
                disabled={busy !== undefined}
                onClick={() => void move(c.id, 'open')}
              >
                {t('roomctl.doOpen')}
              </button>
              <button
                type="button"
                class="btn"
                data-testid={`curtain-${c.id}-stop`}
                disabled={busy !== undefined}
                onClick={() => void move(c.id, 'stop')}
              >
                {t('roomctl.doStop')}
              </button>
              <button
                type="button"
                class="btn"
                data-testid={`curtain-${c.id}-close`}
                disabled={busy !== undefined}
                onClick={() => void move(c.id, 'close')}
              >
                {t('roomctl.doClose')}
              </button>
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}
