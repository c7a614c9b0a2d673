/**
 * What a person sees on stderr: a bar redrawn in place on a terminal, with bytes, percent, speed and time left;
 * plain lines, one per file, anywhere else (CI logs, docker build).
 */
import { createProgress } from '../../src/models/progress';

function terminal(): { write(text: string): void; isTTY: boolean; columns: number; text: string } {
  return {
    isTTY: true,
    columns: 120,
    text: '',
    write(chunk: string) {
      this.text += chunk;
    },
  };
}

describe('download progress', () => {
  it('draws bytes, percent, speed and ETA on one terminal line, redrawn in place', () => {
    let clock = 0;
    const stream = terminal();
    const progress = createProgress(stream, () => clock);
    progress.start('onnx/encoder_model.onnx', 10_000_000, 0);
    clock = 1000;
    progress.advance(2_500_000);
    const frames = stream.text.split('\r\x1b[K').filter((frame) => frame.length > 0);
    const last = frames[frames.length - 1];
    expect(last).toContain('onnx/encoder_model.onnx');
    expect(last).toContain('2.50 MB/10.0 MB');
    expect(last).toContain(' 25%');
    expect(last).toContain('2.50 MB/s');
    expect(last).toContain('ETA 3s');
    expect(last).not.toContain('\n');
    progress.finish('onnx/encoder_model.onnx', '10.0 MB downloaded');
    expect(stream.text.endsWith('\r\x1b[K  onnx/encoder_model.onnx  10.0 MB downloaded\n')).toBe(true);
  });

  it('counts speed from this run only when resuming a .part', () => {
    let clock = 0;
    const stream = terminal();
    const progress = createProgress(stream, () => clock);
    progress.start('big.onnx_data', 4_000_000, 3_000_000);
    clock = 2000;
    progress.advance(500_000);
    expect(stream.text).toContain('3.50 MB/4.00 MB  88% 250.0 kB/s ETA 2s');
  });

  it('writes one plain line per file when stderr is not a terminal', () => {
    let text = '';
    const progress = createProgress({ write: (chunk: string) => (text += chunk) });
    progress.start('config.json', 1000, 0);
    progress.advance(1000);
    progress.finish('config.json', '1.00 kB downloaded');
    progress.start('onnx/model.onnx', 2000, 500);
    progress.advance(1500);
    progress.finish('onnx/model.onnx', '2.00 kB downloaded');
    expect(text).toBe('  config.json  1.00 kB downloaded\n  onnx/model.onnx  2.00 kB downloaded, resumed at 500 B\n');
  });
});
