/** Wire contract spoken by this SDK (executor contract D1). */
export const CONTRACT_VERSION = '0.13.4';

export const LENGTH_PREFIX_SIZE = 4;
export const MAX_FRAME_SIZE = 16_777_216;
/** Largest payload a frame may carry; larger envelopes are refused before writing. */
export const MAX_PAYLOAD_SIZE = MAX_FRAME_SIZE - LENGTH_PREFIX_SIZE;
/** Largest raw `data` in one artifact_chunk or file_write frame. */
export const MAX_CHUNK_SIZE = 8_388_608;
/**
 * Deepest nesting of a payload (the payload object is level 1). The runtime refuses frames nested
 * deeper than 256 levels and ends the run; refusing at emit keeps the run going (the call rejects
 * with an EncodeError like any other unencodable value). Same bound as Quarry's JSON inputs.
 */
export const MAX_NESTING = 128;
