/** How long a one-time enrolment token is valid unless the engineer asks otherwise (`--hours`). */
export const ENROL_TOKEN_HOURS = 72;
