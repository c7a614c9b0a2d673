/**
 * The transcripts of spoken replies, by audio id, for an hour: OpenAI lets a client continue a conversation by
 * sending an earlier reply back as `{role: "assistant", audio: {id}}` (no text), and the upstream LLM needs that
 * reply's words. Only text is kept, in this process's memory, and at most MAX_ENTRIES of them (oldest go first).
 */
export const AUDIO_TTL_S = 3600;
const MAX_ENTRIES = 10_000;

export class AudioTranscriptMemory {
  private readonly entries = new Map<string, { transcript: string; expiresAt: number }>();

  constructor(private readonly now: () => number = () => Date.now() / 1000) {}

  /** Keeps a transcript; returns when it expires (unix seconds), the reply's `expires_at`. */
  remember(id: string, transcript: string): number {
    const expiresAt = Math.floor(this.now()) + AUDIO_TTL_S;
    this.entries.set(id, { transcript, expiresAt });
    // Map order is insertion order: the first entries are the oldest.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(key);
    }
    return expiresAt;
  }

  recall(id: string): string | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.transcript;
  }
}
