/** Who an audited request acts as: the session's user (`user:<name>`), as the audit log records people. */
export function actor(req: { session: { username: string } | undefined }): string {
  return `user:${req.session?.username ?? '?'}`;
}
