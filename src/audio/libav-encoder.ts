import LibAV from 'libav.js';
import { floatToInt16 } from './pcm16';
import { contentTypeFor, type StreamEncoder } from './stream-encoder';

/**
 * opus (in Ogg) and flac via libav.js: FFmpeg's own encoders and muxers compiled to wasm, driven through its
 * low-level API so the codec and muxer keep their state across pushes (no per-chunk restarts, hence no joins).
 *
 * libav.js runs in "direct" mode (no worker: its calls are synchronous) on one shared instance per thread, created on
 * first use (~50 ms). Each encoder writes to its own streaming writer device (non-seekable, so muxers never go back to
 * patch headers) and collects what the muxer writes. Encoding speed is far above real time (opus ~40×, flac ~300×),
 * so pushes of speech-sized chunks cost milliseconds of the event loop.
 */

type LibAVInstance = LibAV.LibAV & LibAV.LibAVSync;

export const OPUS_RATES = [8000, 12000, 16000, 24000, 48000] as const;

const AV_LOG_QUIET = -8;
/** AVFMT_FLAG_FLUSH_PACKETS: flush the muxer's I/O buffer after every packet instead of every 32 KB. */
const AVFMT_FLAG_FLUSH_PACKETS = 0x0200;
const AV_CH_LAYOUT_MONO = 0x4;

let shared: Promise<LibAVInstance> | undefined;
let sharedInstance: LibAVInstance | undefined;
const sinks = new Map<string, (data: Uint8Array | Int8Array) => void>();
let deviceCounter = 0;

function libav(): Promise<LibAVInstance> {
  if (!shared) {
    const loading = LibAV.LibAV({ noworker: true, nothreads: true }).then((lib) => {
      lib.av_log_set_level_sync(AV_LOG_QUIET);
      // One callback per instance: route writes to the encoder that owns the device.
      lib.onwrite = (name: string, _position: number, data: Uint8Array | Int8Array) => sinks.get(name)?.(data);
      sharedInstance = lib;
      return lib;
    });
    shared = loading;
    // A failed load is retried by the next encoder rather than cached.
    loading.catch(() => {
      if (shared === loading) shared = undefined;
    });
  }
  return shared;
}

interface CodecSetup {
  format: 'opus' | 'flac';
  codec: string;
  muxer: string;
  sampleFormat: (lib: LibAVInstance) => number;
  int16: boolean;
  bitRate?: number;
}

export async function createOpusEncoder(sampleRate: number, bitRate = 48_000): Promise<StreamEncoder> {
  if (!(OPUS_RATES as readonly number[]).includes(sampleRate)) throw new RangeError(`opus cannot encode at ${sampleRate} Hz`);
  return LibavStreamEncoder.create(await libav(), sampleRate, {
    format: 'opus',
    codec: 'libopus',
    muxer: 'ogg',
    sampleFormat: (lib) => lib.AV_SAMPLE_FMT_FLT,
    int16: false,
    bitRate,
  });
}

export async function createFlacEncoder(sampleRate: number): Promise<StreamEncoder> {
  return LibavStreamEncoder.create(await libav(), sampleRate, {
    format: 'flac',
    codec: 'flac',
    muxer: 'flac',
    sampleFormat: (lib) => lib.AV_SAMPLE_FMT_S16,
    int16: true,
  });
}

class LibavStreamEncoder implements StreamEncoder {
  readonly contentType: string;
  readonly inputRate: number;
  private output: Uint8Array[] = [];
  /** Samples waiting for a full codec frame (encoders need exactly frameSize samples per frame but the last). */
  private pending: Float32Array;
  private pendingLength = 0;
  private pts = 0;
  private open = true;

  private constructor(
    private readonly lib: LibAVInstance,
    readonly sampleRate: number,
    private readonly setup: CodecSetup,
    private readonly native: NativeHandles,
    private readonly frameSize: number,
  ) {
    this.contentType = contentTypeFor(setup.format);
    this.inputRate = sampleRate;
    this.pending = new Float32Array(Math.max(frameSize, 1) * 8);
  }

  get format(): 'opus' | 'flac' {
    return this.setup.format;
  }

  static create(lib: LibAVInstance, sampleRate: number, setup: CodecSetup): LibavStreamEncoder {
    // libav.js reports writes by bare name, so the device lives in the FS root under a bare name.
    const device = `stream-${++deviceCounter}`;
    const [, ctx, frame, pkt, frameSize] = lib.ff_init_encoder_sync(setup.codec, {
      ctx: {
        sample_fmt: setup.sampleFormat(lib),
        sample_rate: sampleRate,
        channel_layout: AV_CH_LAYOUT_MONO,
        channels: 1,
        ...(setup.bitRate ? { bit_rate: setup.bitRate } : {}),
      },
      time_base: [1, sampleRate],
    });
    let oc = 0;
    let pb = 0;
    try {
      lib.mkstreamwriterdev_sync(device);
      [oc, , pb] = lib.ff_init_muxer_sync({ format_name: setup.muxer, filename: device, open: true }, [[ctx, 1, sampleRate]]);
      lib.AVFormatContext_flags_s_sync(oc, lib.AVFormatContext_flags_sync(oc) | AVFMT_FLAG_FLUSH_PACKETS);
      // The flac muxer reserves 8 KB of padding for later tag edits by default; a stream has no use for it.
      if (setup.muxer === 'flac') lib.av_opt_set_sync(oc, 'metadata_header_padding', '0', 0);
    } catch (error) {
      if (oc) lib.ff_free_muxer_sync(oc, pb);
      lib.ff_free_encoder_sync(ctx, frame, pkt);
      throw error;
    }
    const native: NativeHandles = { lib, device, ctx, frame, pkt, oc, pb };
    const encoder = new LibavStreamEncoder(lib, sampleRate, setup, native, frameSize || 1024);
    // The sink holds the encoder weakly, so an encoder its caller dropped (never finished or closed) can be
    // collected, and the finalizer then frees its native contexts in the shared wasm heap.
    const ref = new WeakRef(encoder);
    sinks.set(device, (data) => ref.deref()?.collect(data));
    abandoned.register(encoder, native, encoder);
    encoder.guard(() => {
      // Ogg: the OpusHead/OpusTags pages; flac: "fLaC" + STREAMINFO (total length 0 = unknown, fine for streams).
      const ret = lib.avformat_write_header_sync(oc, 0);
      if (ret < 0) throw new Error(`${setup.muxer} muxer refused the stream (${ret})`);
    });
    return encoder;
  }

  encode(samples: Float32Array): Uint8Array[] {
    if (!this.open) throw new Error(`${this.format} encoder is finished`);
    this.append(samples);
    this.guard(() => this.writeFrames(false));
    return this.drain();
  }

  finish(): Uint8Array[] {
    if (!this.open) return [];
    this.guard(() => {
      this.writeFrames(true);
      this.lib.av_write_trailer_sync(this.native.oc);
    });
    this.release();
    return this.drain();
  }

  close(): void {
    if (this.open) this.release();
    this.output = [];
  }

  private append(samples: Float32Array): void {
    if (this.pendingLength + samples.length > this.pending.length) {
      const grown = new Float32Array(Math.max(this.pendingLength + samples.length, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(samples, this.pendingLength);
    this.pendingLength += samples.length;
  }

  /** Encodes every complete frame (and, when final, the short last one plus the encoder's delayed output). */
  private writeFrames(final: boolean): void {
    const { lib, frameSize } = this;
    const frames: LibAV.Frame[] = [];
    let offset = 0;
    while (this.pendingLength - offset >= frameSize || (final && offset < this.pendingLength)) {
      const count = Math.min(frameSize, this.pendingLength - offset);
      const floats = this.pending.subarray(offset, offset + count);
      frames.push({
        data: this.setup.int16 ? floatToInt16(floats) : floats.slice(),
        format: this.setup.sampleFormat(lib),
        pts: this.pts,
        sample_rate: this.sampleRate,
        channel_layout: AV_CH_LAYOUT_MONO,
        channels: 1,
      });
      this.pts += count;
      offset += count;
    }
    this.pending.copyWithin(0, offset, this.pendingLength);
    this.pendingLength -= offset;
    if (!frames.length && !final) return;
    const { ctx, frame, pkt, oc } = this.native;
    const packets = lib.ff_encode_multi_sync(ctx, frame, pkt, frames, final);
    lib.ff_write_multi_sync(oc, pkt, packets, false);
    // A null packet asks muxers that buffer (Ogg pages) to write out what they hold, so each push's audio leaves now.
    lib.av_write_frame_sync(oc, 0);
  }

  /** Muxer output arrives here; the data is a view into the wasm heap, so it is copied. */
  private collect(data: Uint8Array | Int8Array): void {
    this.output.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
  }

  private drain(): Uint8Array[] {
    const out = this.output;
    this.output = [];
    return out;
  }

  /** Runs libav calls; on failure frees this encoder and, since the shared instance may be corrupt, drops it. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (sharedInstance === this.lib) {
        shared = undefined;
        sharedInstance = undefined;
      }
      this.release();
      throw error;
    }
  }

  private release(): void {
    this.open = false;
    abandoned.unregister(this);
    freeNative(this.native);
  }
}

/** Everything an encoder owns inside the libav.js instance. */
interface NativeHandles {
  lib: LibAVInstance;
  device: string;
  ctx: number;
  frame: number;
  pkt: number;
  oc: number;
  pb: number;
}

const abandoned = new FinalizationRegistry<NativeHandles>(freeNative);

function freeNative({ lib, device, ctx, frame, pkt, oc, pb }: NativeHandles): void {
  try {
    // Closing the muxer's I/O context may still write buffered bytes, so the sink goes last.
    lib.ff_free_muxer_sync(oc, pb);
    lib.ff_free_encoder_sync(ctx, frame, pkt);
    lib.unlink_sync(device);
  } catch {
    // Freeing on a broken instance can fail too; it is no longer shared, so nothing else depends on it.
  } finally {
    sinks.delete(device);
  }
}
