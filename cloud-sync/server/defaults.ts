/** How long a one-time enrolment token is valid unless the engineer asks otherwise (`--hours`). */
export const ENROL_TOKEN_HOURS = 72;

/** Record days the receiver accepts: this many days before its clock (a box offline over a long holiday syncs)… */
export const DAYS_BACK = 400;
/** …to this many after it (time zones, and an appliance clock a little fast). */
export const DAYS_AHEAD = 2;

/**
 * What one batch may cost the receiver. An appliance sends at most 100 000 records a batch
 * (sync.batchMaxRecords); a reading line is about 120 bytes, a lesson a few kilobytes.
 */
export const LIMITS = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  maxRecords: 100_000,
};

/**
 * An appliance is offline once its last heartbeat is this old: three missed heartbeats at the
 * appliance's default of 5 minutes (sync.heartbeatSeconds).
 */
export const OFFLINE_AFTER_MINUTES = 15;
/** Days of each appliance's heartbeat history kept (hourly, and at every change of version or component state). */
export const STATUS_HISTORY_DAYS = 90;
