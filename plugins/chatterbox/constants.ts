/**
 * Token ids and rates every Chatterbox export shares (contract B0), and the two loop variants told apart by their
 * graphs' inputs (B2/B3).
 */

/** Speech-token vocabulary: 0..6560 are S3 speech tokens the decoder can voice. */
export const START_SPEECH_TOKEN = 6561;
export const STOP_SPEECH_TOKEN = 6562;
/** Original / multilingual: replaced inside embed_tokens by the emotion (exaggeration) embedding. */
export const EXAGGERATION_TOKEN = 6563;
/** S3Gen's silence token; three are appended before the decoder so the last word is not clipped (TJS, Resemble). */
export const SILENCE_TOKEN = 4299;
export const SILENCE_PADDING = 3;

/** Output rate of the conditional decoder, and the rate the speech encoder wants its reference at. */
export const SAMPLE_RATE = 24000;
/** Speech tokens run at 25 Hz: 960 output samples per token. */
export const SAMPLES_PER_TOKEN = 960;

/**
 * `turbo`: GPT-2 backbone; embed_tokens takes only `input_ids`, the LM takes `position_ids`.
 * `original`: Llama backbone (English or multilingual); embed_tokens takes `position_ids` and `exaggeration`.
 */
export type ChatterboxVariant = 'turbo' | 'original';

/** The graphs of an export, by transformers.js' session names (files `onnx/<name>{suffix}.onnx`). */
export const GRAPHS = ['speech_encoder', 'embed_tokens', 'language_model', 'conditional_decoder'] as const;
export type GraphName = (typeof GRAPHS)[number];

/** The speech encoder's outputs: together, one voice. */
export const VOICE_OUTPUTS = ['audio_features', 'audio_tokens', 'speaker_embeddings', 'speaker_features'] as const;
