/** Named bounds of the client library. */

/** Chunks per POST /v1/fs/placement. */
export const PLACEMENT_BATCH_MAX = 64;
/** Pause before the second round over the controller list, ms. */
export const CONTROLLER_BACKOFF_MS = 250;
/** Chunks up to this size are PUT without a HEAD first: the round trip costs more than resending them. */
export const PUT_WITHOUT_HEAD_MAX_BYTES = 64 * 1024;
