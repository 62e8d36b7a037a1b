import { api, type ResponseOf } from './api.js';
import { signalLike } from './store.js';
import type { LessonSession } from './remote-session.js';

type LessonInfo = ResponseOf<'GET /api/v1/media/lesson'>;

/**
 * The remote lesson belongs to the panel, not to the 远程课堂 tab: the teacher's connection (and so
 * the camera the viewers watch) stays open while other tabs are shown. Only 结束远程课, a reload or
 * the lock closes it; after a reload the server still has the lesson and the panel offers to go back.
 */
export const remoteSession = signalLike<LessonSession | undefined>(undefined);

/** What the appliance says: the lesson under way (also one this page is not connected to) and the join addresses. */
export const remoteInfo = signalLike<LessonInfo | undefined>(undefined);

export async function refreshRemoteInfo(): Promise<LessonInfo | undefined> {
  try {
    const info = await api('GET /api/v1/media/lesson');
    remoteInfo.set(info);
    return info;
  } catch {
    return remoteInfo.get();
  }
}

/** Take the session as this panel's lesson (closing one it replaces). */
export function holdSession(s: LessonSession | undefined): void {
  const old = remoteSession.get();
  if (old && old !== s) old.close();
  remoteSession.set(s);
  void refreshRemoteInfo();
}

/** Whether a remote lesson is under way: this page's, or one the appliance reports. */
export function lessonLive(): boolean {
  const s = remoteSession.get();
  if (s && !s.state.get().closed) return true;
  return remoteInfo.get()?.lesson != null;
}

/** The join link for a code: the first address the school's network reaches, else this page's origin. */
export function joinUrl(code: string): { url: string; reachable: boolean } {
  const info = remoteInfo.get();
  const origin = info?.joinOrigins[0];
  return { url: `${origin ?? location.origin}/join#${code}`, reachable: origin !== undefined };
}
