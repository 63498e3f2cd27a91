/** Named bounds of the client library. */

/** Chunks per POST /v1/fs/placement. */
export const PLACEMENT_BATCH_MAX = 64;
/** Pause before the second round over the controller list, ms. */
export const CONTROLLER_BACKOFF_MS = 250;
